/**
 * The searches of a directory table that are patterns rather than names:
 * regular expressions and subject patterns, each filed in its index.
 *
 * - A new listing finds its pattern searches without a scan: the regular
 *   expressions its name is a candidate for (by literal text), each then
 *   tested; the subject patterns that match it, by walking the pattern index.
 * - A new pattern search tests every name held, cheapened by a literal
 *   prefix (or suffix). Listing names are not filed a second time for subject
 *   patterns: an index of every name doubled the table's memory (a million
 *   listings went from 935 MiB to 1.76 GiB), while a scan costs a new search
 *   what a new regular-expression search costs already.
 *
 * @module
 */
import { RegexSearchIndex } from './regex-search-index.ts';
import type { SearchPattern } from './search-pattern.ts';
import {
  compileSubjectMatcher,
  hasWildcard,
  isValidSubject,
  patternTokens,
  SubjectPatternIndex,
} from './subject-pattern.ts';

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

  /** Files a search of kind `regex` or `subject`. */
  add(search: S): void {
    if (search.pattern !== undefined) this.#regex.add(search, search.pattern);
    else this.#subjects.add(search, search.entry.pattern);
  }

  delete(search: S): void {
    if (search.pattern !== undefined) this.#regex.delete(search);
    else this.#subjects.delete(search);
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
   * Calls `each(name, visit)` with each of `names` (every name the table
   * holds, each once) that `search` matches.
   */
  listingsOf(
    search: S,
    names: Iterable<string>,
    each: (name: string, visit: (listing: L) => void) => void,
    visit: (listing: L) => void,
  ): void {
    const pattern = search.pattern;
    if (pattern === undefined) {
      const subject = search.entry.pattern;
      if (!hasWildcard(subject)) {
        each(subject, visit); // one name: no scan
        return;
      }
      const matches = compileSubjectMatcher(subject);
      const prefix = literalPrefix(subject);
      for (const name of names) {
        if (prefix !== '' && !name.startsWith(prefix)) continue;
        if (matches(name)) each(name, visit);
      }
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

/** The tokens of a subject pattern before its first wildcard, each with its dot: `lab.` of `lab.*.t`. */
function literalPrefix(pattern: string): string {
  let prefix = '';
  for (const token of patternTokens(pattern)) {
    if (token === '*' || token === '>') return prefix;
    prefix += `${token}.`;
  }
  return prefix;
}
