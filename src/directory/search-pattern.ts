/**
 * Turning the pattern of a regular-expression search into something a
 * directory can test names with, cheaply and safely.
 *
 * A search's regular expression must match the whole name, so it is compiled
 * as `new RegExp('^(?:' + pattern + ')$', flags)`; `a|b` matches `a` and `b`,
 * never `ab`.
 *
 * Regular expressions run on a backtracking engine, and a directory tests
 * every new listing name against every regular-expression search it holds.
 * Their cost is the subscriber's responsibility, but a directory refuses the
 * patterns known to blow up (with `ERR_INVALID_SEARCH`):
 *
 * - a group repeated more than once whose body can match in several ways:
 *   it contains a quantifier of variable count or an alternation (`(a+)+`,
 *   `(\w+\s?)*`, `(a|ab)*`, `(a*){3}`);
 * - patterns whose backtracking could take more than {@link MAX_PATTERN_COST}
 *   steps on one name: each variable quantifier multiplies by the number of
 *   counts it allows (at most 256, since names have at most 255 characters:
 *   `*`, `+` and `{2,}` count 256, `?` 2, `{1,3}` 3); alternatives add up
 *   their estimates. Three `.*` are allowed, four are not.
 *
 * The literal characters every matching name starts with, ends with or
 * contains (`prefix`, `suffix`, `literals`) let a directory skip the test
 * for names that cannot match.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { MAX_NAME_LENGTH, MAX_PATTERN_LENGTH } from './entries.ts';

/** The flags a search may have: `i` (ignore case), `s` (dot matches all), `u` (unicode). */
export const SEARCH_FLAGS = 'isu';

/**
 * The most backtracking steps a pattern may be estimated to take on one name:
 * 2²⁶, room for three unbounded quantifiers (256³) times a few alternatives,
 * or 26 optional parts.
 */
export const MAX_PATTERN_COST = 2 ** 26;

/** The longest literal prefix or suffix kept for pre-filtering. */
export const MAX_LITERAL_LENGTH = 32;

/** How many counts a quantifier can try on a name, at most. */
const WIDEST = MAX_NAME_LENGTH + 1;

/** A compiled regular-expression search. */
export interface SearchPattern {
  /** Tests a whole name: `^(?:pattern)$` with the search's flags. */
  readonly regex: RegExp;
  /** Literal characters every matching name starts with (may be empty). */
  readonly prefix: string;
  /** Literal characters every matching name ends with (may be empty). */
  readonly suffix: string;
  /**
   * Runs of literal characters every matching name contains, in order
   * (`[a-z]+-42\..*` has `-42.`); the prefix and the suffix among them.
   */
  readonly literals: readonly string[];
}

/**
 * Compiles the pattern of a regular-expression search.
 *
 * @throws CallsignError `ERR_INVALID_SEARCH` when the pattern is empty or
 *   longer than {@link MAX_PATTERN_LENGTH}, the flags are not among
 *   {@link SEARCH_FLAGS}, the pattern is not a valid regular expression, or
 *   it could backtrack catastrophically (see the module description).
 * @example
 * ```ts
 * const { regex, prefix } = compileSearchPattern('device-[0-9]+');
 * regex.test('device-12'); // true
 * prefix; // 'device-'
 * ```
 */
export function compileSearchPattern(pattern: string, flags = ''): SearchPattern {
  if (typeof pattern !== 'string' || pattern.length < 1 || pattern.length > MAX_PATTERN_LENGTH) {
    throw invalid(`the pattern must be a string of 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  if (typeof flags !== 'string') throw invalid('flags must be a string');
  for (const [i, flag] of [...flags].entries()) {
    if (!SEARCH_FLAGS.includes(flag) || flags.indexOf(flag) !== i) {
      throw invalid(
        `flags ${JSON.stringify(flags)}: only ${SEARCH_FLAGS.split('').join(', ')}, once each`,
      );
    }
  }
  try {
    // Alone first: a pattern such as `a)|(b` is only valid once wrapped.
    new RegExp(pattern, flags);
  } catch (err) {
    throw invalid(`not a regular expression: ${(err as Error).message}`, err);
  }
  const shape = scanPattern(pattern, flags.includes('u'));
  if (shape.nested !== undefined) {
    throw invalid(
      `the repeated group at ${shape.nested} can match in several ways (nested quantifier or alternation), ` +
        'which can take exponential time',
    );
  }
  if (shape.cost > MAX_PATTERN_COST) {
    throw invalid(
      'too many variable quantifiers or alternatives: backtracking could take too long ' +
        '(at most three unbounded quantifiers such as .* or +)',
    );
  }
  const literal = !flags.includes('i');
  return {
    regex: new RegExp(`^(?:${pattern})$`, flags),
    prefix: literal ? shape.prefix.slice(0, MAX_LITERAL_LENGTH) : '',
    suffix: literal ? shape.suffix.slice(-MAX_LITERAL_LENGTH) : '',
    literals: literal ? shape.literals : [],
  };
}

function invalid(message: string, cause?: unknown): CallsignError {
  return new CallsignError('ERR_INVALID_SEARCH', `invalid search: ${message}`, { cause });
}

// ---------------------------------------------------------------------------
// Scanning a (valid) pattern

interface PatternShape {
  /** Index of the first repeated group whose body can match in several ways. */
  nested: number | undefined;
  /** Estimated backtracking steps on one name (see the module description). */
  cost: number;
  prefix: string;
  suffix: string;
  literals: string[];
}

/** One group being scanned; the root frame is the whole pattern. */
interface Frame {
  start: number;
  /** Estimated cost of the alternatives already read. */
  sum: number;
  /** Estimated cost of the alternative being read: the product of its atoms. */
  product: number;
  alternatives: number;
  /** Holds a quantifier of variable count or an alternation, at any depth. */
  ambiguous: boolean;
}

/** A top-level atom: its literal text when it is one unquantified character. */
interface TopAtom {
  literal: string | undefined;
  anchor: '^' | '$' | undefined;
}

interface Quantifier {
  min: number;
  max: number;
  end: number;
}

const BRACES = /\{(\d+)(?:(,)(\d*))?\}/y;
const HEX = /^[0-9A-Fa-f]+$/;
const ALNUM = /[A-Za-z0-9]/;

function readQuantifier(src: string, i: number): Quantifier | undefined {
  let q: Quantifier;
  const c = src[i];
  if (c === '*') q = { min: 0, max: Number.POSITIVE_INFINITY, end: i + 1 };
  else if (c === '+') q = { min: 1, max: Number.POSITIVE_INFINITY, end: i + 1 };
  else if (c === '?') q = { min: 0, max: 1, end: i + 1 };
  else if (c === '{') {
    BRACES.lastIndex = i;
    const m = BRACES.exec(src);
    if (m === null) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
    q = { min, max, end: BRACES.lastIndex };
  } else return undefined;
  if (src[q.end] === '?') q.end++; // lazy: the same choices, in another order
  return q;
}

/** The index just past the escape starting at `i` (`src[i]` is a backslash). */
function escapeEnd(src: string, i: number, unicode: boolean): number {
  const e = src[i + 1] ?? '';
  let j = i + 2;
  const until = (close: string): number => {
    const k = src.indexOf(close, j);
    return k === -1 ? j : k + 1;
  };
  if (e === 'x') {
    if (HEX.test(src.slice(j, j + 2)) && j + 2 <= src.length) j += 2;
  } else if (e === 'u') {
    if (unicode && src[j] === '{') j = until('}');
    else if (HEX.test(src.slice(j, j + 4)) && j + 4 <= src.length) j += 4;
  } else if (e === 'c') {
    if (/[A-Za-z]/.test(src[j] ?? '')) j++;
  } else if (e === 'k') {
    if (src[j] === '<') j = until('>');
  } else if ((e === 'p' || e === 'P') && unicode) {
    if (src[j] === '{') j = until('}');
  } else if (/[0-9]/.test(e)) {
    while (/[0-9]/.test(src[j] ?? '')) j++;
  }
  return j;
}

function classEnd(src: string, i: number): number {
  let j = i + 1;
  if (src[j] === '^') j++;
  while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
  return j + 1;
}

function groupBodyStart(src: string, i: number): number {
  if (src[i + 1] !== '?') return i + 1;
  const c = src[i + 2];
  if (c === ':' || c === '=' || c === '!') return i + 3;
  if (c === '<') {
    if (src[i + 3] === '=' || src[i + 3] === '!') return i + 4;
    const k = src.indexOf('>', i + 3);
    return k === -1 ? i + 3 : k + 1;
  }
  return i + 2;
}

/**
 * Reads the structure of a valid pattern: whether a repeated group is
 * ambiguous, the backtracking estimate, and the literal prefix, suffix and
 * runs of a pattern without top-level alternatives.
 */
function scanPattern(src: string, unicode: boolean): PatternShape {
  const frame = (start: number): Frame => ({
    start,
    sum: 0,
    product: 1,
    alternatives: 1,
    ambiguous: false,
  });
  const root = frame(0);
  const stack: Frame[] = [root];
  const atoms: TopAtom[] = [];
  let nested: number | undefined;
  let i = 0;
  while (i < src.length) {
    const owner = stack[stack.length - 1] ?? root;
    const c = src[i] as string;
    if (c === '(') {
      stack.push(frame(i));
      i = groupBodyStart(src, i);
      continue;
    }
    if (c === '|') {
      owner.sum += owner.product;
      owner.product = 1;
      owner.alternatives++;
      owner.ambiguous = true;
      i++;
      continue;
    }
    let end = i + 1;
    let cost = 1;
    let literal: string | undefined;
    let anchor: TopAtom['anchor'];
    let group: Frame | undefined;
    if (c === ')' && stack.length > 1) {
      group = stack.pop() as Frame;
      cost = group.sum + group.product;
    } else if (c === '\\') {
      end = escapeEnd(src, i, unicode);
      const e = src[i + 1] ?? '';
      if (end === i + 2 && !ALNUM.test(e)) literal = e;
    } else if (c === '[') {
      end = classEnd(src, i);
    } else if (c === '^' || c === '$') {
      anchor = c;
    } else if (!'.{}]*+?)'.includes(c)) {
      literal = c;
      const code = c.charCodeAt(0);
      if (unicode && code >= 0xd800 && code <= 0xdbff && i + 1 < src.length) {
        literal = src.slice(i, i + 2);
        end = i + 2;
      }
    }
    // The frame the atom belongs to (a group closed just now belongs to its parent).
    const into = stack[stack.length - 1] ?? root;
    if (group?.ambiguous) into.ambiguous = true;
    const q = readQuantifier(src, end);
    if (q !== undefined) {
      if (q.min !== q.max) {
        into.ambiguous = true;
        cost *= Math.min(q.max - q.min + 1, WIDEST);
      }
      if (group?.ambiguous && q.max > 1 && nested === undefined) nested = group.start;
      literal = undefined;
      end = q.end;
    }
    into.product *= cost;
    if (stack.length === 1) atoms.push({ literal, anchor });
    i = end;
  }
  const cost = root.sum + root.product;
  let prefix = '';
  let suffix = '';
  const literals: string[] = [];
  if (root.alternatives === 1) {
    let k = 0;
    while (atoms[k]?.anchor === '^') k++;
    for (; k < atoms.length && atoms[k]?.literal !== undefined; k++) prefix += atoms[k]?.literal;
    k = atoms.length - 1;
    while (atoms[k]?.anchor === '$') k--;
    for (; k >= 0 && atoms[k]?.literal !== undefined; k--)
      suffix = (atoms[k]?.literal ?? '') + suffix;
    let run = '';
    for (const atom of atoms) {
      if (atom.literal !== undefined) {
        run += atom.literal;
      } else if (run !== '') {
        literals.push(run);
        run = '';
      }
    }
    if (run !== '') literals.push(run);
  }
  return { nested, cost, prefix, suffix, literals };
}
