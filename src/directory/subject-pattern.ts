/**
 * Subjects and subject patterns, NATS style: a subject is dot-separated
 * tokens (`lab.strain.beam-3`); a pattern may use `*` for exactly one token
 * and `>` (last token only) for one or more tokens (`lab.*.beam-3`,
 * `lab.>`). Pure functions and two indexes, so that neither direction of a
 * match scans every entry:
 *
 * - {@link SubjectPatternIndex} holds patterns and finds those a subject
 *   matches (a stream's bindings, a consumer's filter, searches for live
 *   listings when a listing arrives);
 * - {@link SubjectNameIndex} holds subjects (names) and finds those a
 *   pattern matches (listings, when a search arrives).
 *
 * Both are token tries: a look-up visits one branch per token, plus the `*`
 * and `>` branches, whatever the number of entries.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';

/** The longest subject or pattern, in UTF-16 code units. */
export const MAX_SUBJECT_LENGTH = 1024;

/** The most tokens in a subject or pattern. */
export const MAX_SUBJECT_TOKENS = 64;

// No whitespace, no control characters, no dot, no wildcard inside a token.
const BAD_TOKEN_CHAR = /[\s\p{Cc}.*>]/u;

function check(text: unknown, what: 'subject' | 'subject pattern'): string[] {
  if (typeof text !== 'string' || text.length === 0) {
    throw new CallsignError('ERR_INVALID_SUBJECT', `a ${what} must be a non-empty string`);
  }
  if (text.length > MAX_SUBJECT_LENGTH) {
    throw new CallsignError(
      'ERR_INVALID_SUBJECT',
      `a ${what} is at most ${MAX_SUBJECT_LENGTH} characters, not ${text.length}`,
    );
  }
  const tokens = text.split('.');
  if (tokens.length > MAX_SUBJECT_TOKENS) {
    throw new CallsignError(
      'ERR_INVALID_SUBJECT',
      `a ${what} has at most ${MAX_SUBJECT_TOKENS} tokens, not ${tokens.length}`,
    );
  }
  return tokens;
}

/**
 * The tokens of `subject`, checked: non-empty tokens without whitespace,
 * `*` or `>`.
 *
 * @throws CallsignError `ERR_INVALID_SUBJECT`
 */
export function subjectTokens(subject: string): string[] {
  const tokens = check(subject, 'subject');
  for (const token of tokens) {
    if (token.length === 0 || BAD_TOKEN_CHAR.test(token)) {
      throw new CallsignError(
        'ERR_INVALID_SUBJECT',
        `invalid subject ${JSON.stringify(subject)}: tokens are non-empty, without spaces, '*' or '>'`,
      );
    }
  }
  return tokens;
}

/**
 * The tokens of `pattern`, checked: as a subject, except that a token may be
 * `*`, and the last token may be `>`.
 *
 * @throws CallsignError `ERR_INVALID_SUBJECT`
 */
export function patternTokens(pattern: string): string[] {
  const tokens = check(pattern, 'subject pattern');
  tokens.forEach((token, i) => {
    if (token === '*' || (token === '>' && i === tokens.length - 1)) return;
    if (token.length === 0 || BAD_TOKEN_CHAR.test(token)) {
      throw new CallsignError(
        'ERR_INVALID_SUBJECT',
        `invalid subject pattern ${JSON.stringify(pattern)}: tokens are non-empty, '*' stands alone, '>' only last`,
      );
    }
  });
  return tokens;
}

/** True when `subject` is a valid subject (see {@link subjectTokens}). */
export function isValidSubject(subject: unknown): subject is string {
  try {
    subjectTokens(subject as string);
    return true;
  } catch {
    return false;
  }
}

/** True when `pattern` is a valid subject pattern (see {@link patternTokens}). */
export function isValidSubjectPattern(pattern: unknown): pattern is string {
  try {
    patternTokens(pattern as string);
    return true;
  } catch {
    return false;
  }
}

/** True when the pattern has a wildcard (`*` or `>`). */
export function hasWildcard(pattern: string): boolean {
  return pattern.split('.').some((t) => t === '*' || t === '>');
}

function tokensMatch(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== '*' && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/**
 * True when `subject` matches `pattern`. Both are checked.
 *
 * @example
 * ```ts
 * subjectMatches('lab.*.beam-3', 'lab.strain.beam-3'); // true
 * subjectMatches('lab.>', 'lab'); // false: '>' takes one token or more
 * ```
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  return tokensMatch(patternTokens(pattern), subjectTokens(subject));
}

/**
 * True when some subject matches both patterns (a stream refuses a binding
 * that overlaps another stream's, as two owners of one subject would split
 * its messages).
 */
export function patternsOverlap(a: string, b: string): boolean {
  const x = patternTokens(a);
  const y = patternTokens(b);
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === q;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}

/**
 * A compiled pattern, for matching many subjects against one filter
 * without re-parsing it.
 */
export function compileSubjectPattern(pattern: string): (subject: string) => boolean {
  const tokens = patternTokens(pattern);
  if (tokens.length === 1 && tokens[0] === '>') return () => true;
  if (!hasWildcard(pattern)) return (subject) => subject === pattern;
  return (subject) => tokensMatch(tokens, subject.split('.'));
}

/** One token of a valid subject, as a regular expression (see BAD_TOKEN_CHAR). */
const TOKEN = String.raw`[^\s\p{Cc}.*>]+`;

/**
 * A compiled pattern that also checks what it is given: true only for a
 * valid subject that matches, false for any other string. For matching one
 * pattern against many names that may not be subjects at all (a directory's
 * listing names), in one regular-expression test each.
 */
export function compileSubjectMatcher(pattern: string): (name: string) => boolean {
  const tokens = patternTokens(pattern);
  const source = tokens
    .map((t) =>
      t === '*'
        ? TOKEN
        : t === '>'
          ? `${TOKEN}(?:\\.${TOKEN})*`
          : t.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'),
    )
    .join('\\.');
  const regex = new RegExp(`^${source}$`, 'u');
  const open = tokens.at(-1) === '>';
  return (name) =>
    name.length <= MAX_SUBJECT_LENGTH &&
    regex.test(name) &&
    (!open || name.split('.').length <= MAX_SUBJECT_TOKENS);
}

// ---------------------------------------------------------------------------
// Indexes

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  readonly items: Set<T>;
}

function node<T>(): TrieNode<T> {
  return { children: new Map(), items: new Set() };
}

/** Walks `tokens` down from `root`, making nodes; returns the path, root first. */
function descend<T>(root: TrieNode<T>, tokens: readonly string[]): TrieNode<T>[] {
  const path = [root];
  let at = root;
  for (const token of tokens) {
    let next = at.children.get(token);
    if (!next) {
      next = node();
      at.children.set(token, next);
    }
    at = next;
    path.push(at);
  }
  return path;
}

/** Removes `item` at the end of `tokens`, pruning nodes left empty. */
function remove<T>(root: TrieNode<T>, tokens: readonly string[], item: T): void {
  const path: TrieNode<T>[] = [root];
  let at: TrieNode<T> | undefined = root;
  for (const token of tokens) {
    at = at.children.get(token);
    if (!at) return;
    path.push(at);
  }
  at.items.delete(item);
  for (let i = tokens.length; i > 0; i--) {
    const n = path[i] as TrieNode<T>;
    if (n.items.size > 0 || n.children.size > 0) break;
    (path[i - 1] as TrieNode<T>).children.delete(tokens[i - 1] as string);
  }
}

/**
 * Patterns, found by the subjects they match. An item is filed under one
 * pattern; adding it again moves it.
 *
 * @example
 * ```ts
 * const index = new SubjectPatternIndex<string>();
 * index.add('orders-stream', 'orders.>');
 * index.matches('orders.eu.42', (item) => console.log(item)); // orders-stream
 * ```
 */
export class SubjectPatternIndex<T> {
  readonly #root = node<T>();
  readonly #patterns = new Map<T, string[]>();

  /** How many items are filed. */
  get size(): number {
    return this.#patterns.size;
  }

  /**
   * Files `item` under `pattern`.
   *
   * @throws CallsignError `ERR_INVALID_SUBJECT` for an invalid pattern
   */
  add(item: T, pattern: string): void {
    const tokens = patternTokens(pattern);
    this.delete(item);
    descend(this.#root, tokens).at(-1)?.items.add(item);
    this.#patterns.set(item, tokens);
  }

  /** Removes `item`; nothing happens when it is not filed. */
  delete(item: T): void {
    const tokens = this.#patterns.get(item);
    if (!tokens) return;
    this.#patterns.delete(item);
    remove(this.#root, tokens, item);
  }

  /** The pattern `item` is filed under. */
  patternOf(item: T): string | undefined {
    return this.#patterns.get(item)?.join('.');
  }

  /** Calls `visit` once for each item whose pattern `subject` (a valid subject) matches. */
  matches(subject: string, visit: (item: T) => void): void {
    this.#walk(this.#root, subject.split('.'), 0, visit);
  }

  #walk(at: TrieNode<T>, tokens: readonly string[], i: number, visit: (item: T) => void): void {
    if (i === tokens.length) {
      for (const item of at.items) visit(item);
      return;
    }
    const rest = at.children.get('>');
    if (rest) for (const item of rest.items) visit(item);
    const exact = at.children.get(tokens[i] as string);
    if (exact) this.#walk(exact, tokens, i + 1, visit);
    const any = at.children.get('*');
    if (any) this.#walk(any, tokens, i + 1, visit);
  }
}

/**
 * Subjects (listing names), found by the patterns that match them. An item
 * is filed under one subject; adding it again moves it.
 */
export class SubjectNameIndex<T> {
  readonly #root = node<T>();
  readonly #subjects = new Map<T, string[]>();

  /** How many items are filed. */
  get size(): number {
    return this.#subjects.size;
  }

  /**
   * Files `item` under `subject`.
   *
   * @throws CallsignError `ERR_INVALID_SUBJECT` for an invalid subject
   */
  add(item: T, subject: string): void {
    const tokens = subjectTokens(subject);
    this.delete(item);
    descend(this.#root, tokens).at(-1)?.items.add(item);
    this.#subjects.set(item, tokens);
  }

  /** Removes `item`; nothing happens when it is not filed. */
  delete(item: T): void {
    const tokens = this.#subjects.get(item);
    if (!tokens) return;
    this.#subjects.delete(item);
    remove(this.#root, tokens, item);
  }

  /** Calls `visit` once for each item whose subject `pattern` (a valid pattern) matches. */
  matching(pattern: string, visit: (item: T) => void): void {
    this.#walk(this.#root, pattern.split('.'), 0, visit);
  }

  #walk(at: TrieNode<T>, tokens: readonly string[], i: number, visit: (item: T) => void): void {
    if (i === tokens.length) {
      for (const item of at.items) visit(item);
      return;
    }
    const token = tokens[i] as string;
    if (token === '>') {
      for (const child of at.children.values()) everything(child, visit);
      return;
    }
    if (token === '*') {
      for (const child of at.children.values()) this.#walk(child, tokens, i + 1, visit);
      return;
    }
    const exact = at.children.get(token);
    if (exact) this.#walk(exact, tokens, i + 1, visit);
  }
}

function everything<T>(at: TrieNode<T>, visit: (item: T) => void): void {
  for (const item of at.items) visit(item);
  for (const child of at.children.values()) everything(child, visit);
}
