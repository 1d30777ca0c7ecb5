/**
 * Regular-expression searches, indexed so that a new listing name is tested
 * only against the expressions it could match.
 *
 * Each search is filed once, under the most telling literal text every name
 * it matches must have:
 *
 * 1. its literal prefix, when it has at least {@link GRAM} characters
 *    (`device-[0-9]+` under `device-`);
 * 2. else its literal suffix, likewise (`.*\.eu-west` under `.eu-west`);
 * 3. else one {@link GRAM}-character piece of a literal run inside it
 *    (`[a-z]+-42\..*` under one of `-42`, `42.`: the one with the fewest
 *    searches filed under it);
 * 4. else a shorter prefix or suffix;
 * 5. else nowhere: it is tested against every name.
 *
 * The candidates for a name are then found with one map look-up per distinct
 * prefix and suffix length in use (at most {@link MAX_LITERAL_LENGTH} each)
 * and one per {@link GRAM}-character piece of the name, whatever the number
 * of searches.
 *
 * @module
 */
import { MAX_LITERAL_LENGTH, type SearchPattern } from './search-pattern.ts';

/** The length of the pieces of literal text searches are filed under. */
export const GRAM = 3;

/** Items filed under the literal text a name must start (or end) with. */
class AnchoredBuckets<T> {
  readonly #buckets = new Map<string, Set<T>>();
  /** How many items are filed under a literal of each length. */
  readonly #lengthCounts = new Map<number, number>();
  /** The lengths in use, ascending; undefined when it must be recomputed. */
  #lengths: number[] | undefined = [];
  readonly #fromEnd: boolean;

  constructor(fromEnd: boolean) {
    this.#fromEnd = fromEnd;
  }

  add(literal: string, item: T): void {
    let bucket = this.#buckets.get(literal);
    if (bucket === undefined) {
      bucket = new Set();
      this.#buckets.set(literal, bucket);
    }
    bucket.add(item);
    const count = this.#lengthCounts.get(literal.length) ?? 0;
    this.#lengthCounts.set(literal.length, count + 1);
    if (count === 0) this.#lengths = undefined;
  }

  delete(literal: string, item: T): void {
    const bucket = this.#buckets.get(literal);
    if (bucket === undefined || !bucket.delete(item)) return;
    if (bucket.size === 0) this.#buckets.delete(literal);
    const count = (this.#lengthCounts.get(literal.length) ?? 1) - 1;
    if (count > 0) {
      this.#lengthCounts.set(literal.length, count);
    } else {
      this.#lengthCounts.delete(literal.length);
      this.#lengths = undefined;
    }
  }

  /** Calls `visit` with every item filed under a literal that `name` starts (ends) with. */
  visit(name: string, visit: (item: T) => void): void {
    if (this.#buckets.size === 0) return;
    if (this.#lengths === undefined) {
      this.#lengths = [...this.#lengthCounts.keys()].sort((a, b) => a - b);
    }
    for (const length of this.#lengths) {
      if (length > name.length) break;
      const key = this.#fromEnd ? name.slice(name.length - length) : name.slice(0, length);
      const bucket = this.#buckets.get(key);
      if (bucket !== undefined) for (const item of bucket) visit(item);
    }
  }
}

/** Where one item is filed. */
type Filing =
  | { readonly at: 'prefix' | 'suffix' | 'gram'; readonly key: string }
  | { readonly at: 'unfiled' };

/**
 * Regular-expression searches (any item type `T` with its compiled
 * {@link SearchPattern}), found by the names they could match.
 */
export class RegexSearchIndex<T> {
  readonly #byPrefix = new AnchoredBuckets<T>(false);
  readonly #bySuffix = new AnchoredBuckets<T>(true);
  readonly #byGram = new Map<string, Set<T>>();
  /** Searches with no literal text to file them under: tested against every name. */
  readonly #unfiled = new Set<T>();
  readonly #filings = new Map<T, Filing>();

  /** How many searches are indexed. */
  get size(): number {
    return this.#filings.size;
  }

  /** Files `item` (again, if it was filed already). */
  add(item: T, pattern: SearchPattern): void {
    this.delete(item);
    const filing = this.#choose(pattern);
    this.#filings.set(item, filing);
    if (filing.at === 'prefix') this.#byPrefix.add(filing.key, item);
    else if (filing.at === 'suffix') this.#bySuffix.add(filing.key, item);
    else if (filing.at === 'unfiled') this.#unfiled.add(item);
    else {
      let bucket = this.#byGram.get(filing.key);
      if (bucket === undefined) {
        bucket = new Set();
        this.#byGram.set(filing.key, bucket);
      }
      bucket.add(item);
    }
  }

  /** Removes `item`, if it is filed. */
  delete(item: T): void {
    const filing = this.#filings.get(item);
    if (filing === undefined) return;
    this.#filings.delete(item);
    if (filing.at === 'prefix') this.#byPrefix.delete(filing.key, item);
    else if (filing.at === 'suffix') this.#bySuffix.delete(filing.key, item);
    else if (filing.at === 'unfiled') this.#unfiled.delete(item);
    else {
      const bucket = this.#byGram.get(filing.key);
      bucket?.delete(item);
      if (bucket?.size === 0) this.#byGram.delete(filing.key);
    }
  }

  /**
   * Calls `visit` with every search that could match `name`: a superset of
   * those that do (the caller tests the regular expression), each once.
   */
  candidates(name: string, visit: (item: T) => void): void {
    for (const item of this.#unfiled) visit(item);
    this.#byPrefix.visit(name, visit);
    this.#bySuffix.visit(name, visit);
    if (this.#byGram.size === 0) return;
    let seen: Set<T>[] | undefined;
    for (let at = 0; at + GRAM <= name.length; at++) {
      const bucket = this.#byGram.get(name.slice(at, at + GRAM));
      if (bucket === undefined) continue;
      // A name can hold the same piece twice: visit its bucket once.
      if (seen === undefined) seen = [];
      else if (seen.includes(bucket)) continue;
      seen.push(bucket);
      for (const item of bucket) visit(item);
    }
  }

  #choose(pattern: SearchPattern): Filing {
    const { prefix, suffix, literals } = pattern;
    if (prefix.length >= GRAM) return { at: 'prefix', key: prefix.slice(0, MAX_LITERAL_LENGTH) };
    if (suffix.length >= GRAM) return { at: 'suffix', key: suffix.slice(-MAX_LITERAL_LENGTH) };
    let best: string | undefined;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const literal of literals) {
      for (let at = 0; at + GRAM <= literal.length && bestSize > 0; at++) {
        const gram = literal.slice(at, at + GRAM);
        const size = this.#byGram.get(gram)?.size ?? 0;
        if (size < bestSize) {
          best = gram;
          bestSize = size;
        }
      }
    }
    if (best !== undefined) return { at: 'gram', key: best };
    if (prefix.length > 0) return { at: 'prefix', key: prefix };
    if (suffix.length > 0) return { at: 'suffix', key: suffix };
    return { at: 'unfiled' };
  }
}
