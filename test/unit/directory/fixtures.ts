import type {
  ListingEntry,
  RouteChange,
  Scope,
  SearchEntry,
} from '../../../src/directory/index.ts';
import { type ErrorCode, isCallsignError } from '../../../src/errors.ts';

/** A listing with defaults: scope `wan`, not multi. */
export function listing(
  id: string,
  name: string,
  options: { scope?: Scope; multi?: boolean; where?: string } = {},
): ListingEntry {
  return {
    id,
    name,
    scope: options.scope ?? 'wan',
    multi: options.multi ?? false,
    publisher: {
      nodeKey: `key-of-${id}`,
      actor: 1,
      endpoints: ['unix:/tmp/test.sock'],
      where: options.where ?? `publisher ${id}`,
    },
  };
}

/** An exact search with defaults: scope `wan`. */
export function exact(id: string, name: string, options: { scope?: Scope } = {}): SearchEntry {
  return {
    id,
    pattern: name,
    kind: 'name',
    scope: options.scope ?? 'wan',
    subscriber: { nodeKey: `key-of-${id}`, actor: 2, where: `subscriber ${id}` },
  };
}

/** A regular-expression search with defaults: scope `wan`, no flags. */
export function regex(
  id: string,
  pattern: string,
  options: { scope?: Scope; flags?: string } = {},
): SearchEntry {
  return {
    id,
    pattern,
    kind: 'regex',
    ...(options.flags === undefined ? {} : { flags: options.flags }),
    scope: options.scope ?? 'wan',
    subscriber: { nodeKey: `key-of-${id}`, actor: 2, where: `subscriber ${id}` },
  };
}

/** A subject-pattern search with defaults: scope `wan`. */
export function subject(id: string, pattern: string, options: { scope?: Scope } = {}): SearchEntry {
  return {
    id,
    pattern,
    kind: 'subject',
    scope: options.scope ?? 'wan',
    subscriber: { nodeKey: `key-of-${id}`, actor: 2, where: `subscriber ${id}` },
  };
}

/** A route as `kind searchId>listingId searchLink>listingLink`, for readable comparisons. */
export function describeChange(change: RouteChange): string {
  return `${change.kind} ${change.search.id}>${change.listing.id} ${change.searchLink}>${change.listingLink}`;
}

/** The changes as sorted descriptions. */
export function described(changes: readonly RouteChange[]): string[] {
  return changes.map(describeChange).sort();
}

/** The code of what `f` throws. */
export function codeOfThrow(f: () => unknown): ErrorCode | 'no error' | 'not a CallsignError' {
  try {
    f();
    return 'no error';
  } catch (err) {
    return isCallsignError(err) ? err.code : 'not a CallsignError';
  }
}

/** A small seeded generator (mulberry32), so that random tests repeat. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of `items`, chosen by `random`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
