/**
 * The searches of a directory table that are patterns rather than names:
 * regular expressions and subject patterns, each filed in its index, and the
 * listing names that are subjects, so that each side finds the other without
 * scanning everything.
 *
 * - A new listing finds its pattern searches: the regular expressions its
 *   name is a candidate for (by literal text), each then tested; the subject
 *   patterns that match it, by walking the pattern index.
 * - A new pattern search finds its listings: a regular expression tests every
 *   name held (cheapened by a literal prefix or suffix); a subject pattern
 *   walks the index of subject names.
 *
 * @module
 */
import { RegexSearchIndex } from './regex-search-index.ts';
import type { SearchPattern } from './search-pattern.ts';
import { isValidSubject, SubjectNameIndex, SubjectPatternIndex } from './subject-pattern.ts';

/** A pattern search as the table holds it. */
export interface PatternSearch {
  readonly entry: { readonly pattern: string; readonly kind: string };
  /** The compiled regular expression, for a `regex` search. */
  readonly pattern: SearchPattern | undefined;
}

/** A listing as far as its name goes. */
export interface NamedListing {
  readonly entry: { readonly name: string };
}

/** The pattern searches of one table, and its listings by subject. */
export class PatternSearches<S extends PatternSearch, L extends NamedListing> {
  readonly #regex = new RegexSearchIndex<S>();
  readonly #subjects = new SubjectPatternIndex<S>();
  readonly #subjectNames = new SubjectNameIndex<L>();

  /** Files a search of kind `regex` or `subject`. */
  add(search: S): void {
    if (search.pattern !== undefined) this.#regex.add(search, search.pattern);
    else this.#subjects.add(search, search.entry.pattern);
  }

  delete(search: S): void {
    if (search.pattern !== undefined) this.#regex.delete(search);
    else this.#subjects.delete(search);
  }

  /** Files a listing whose name is a subject, so that subject patterns find it. */
  addListing(listing: L): void {
    if (isValidSubject(listing.entry.name)) this.#subjectNames.add(listing, listing.entry.name);
  }

  deleteListing(listing: L): void {
    this.#subjectNames.delete(listing);
  }

  /** Calls `visit` with each pattern search that matches `name`. */
  matching(name: string, visit: (search: S) => void): void {
    if (this.#regex.size > 0) {
      this.#regex.candidates(name, (search) => {
        if ((search.pattern as SearchPattern).regex.test(name)) visit(search);
      });
    }
    if (this.#subjects.size > 0 && isValidSubject(name)) this.#subjects.matches(name, visit);
  }

  /**
   * Calls `visit` with each name `search` matches: of `names` (every name the
   * table holds) for a regular expression, of the subject names filed here
   * for a subject pattern (each listing once).
   */
  listingsOf(
    search: S,
    names: Iterable<string>,
    each: (name: string, visit: (listing: L) => void) => void,
    visit: (listing: L) => void,
  ): void {
    const pattern = search.pattern;
    if (pattern === undefined) {
      this.#subjectNames.matching(search.entry.pattern, visit);
      return;
    }
    const { regex, prefix, suffix } = pattern;
    // A literal prefix or suffix is cheaper to check than the regex (other
    // literal text is not: `includes` costs about what a failing test does).
    for (const name of names) {
      if (prefix !== '' && !name.startsWith(prefix)) continue;
      if (suffix !== '' && !name.endsWith(suffix)) continue;
      if (!regex.test(name)) continue;
      each(name, visit);
    }
  }
}
