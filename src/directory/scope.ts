/**
 * Scopes: how far a listing or a search reaches, and which directory level
 * serves it. They are ordered `process < group < host < lan < wan`.
 *
 * @module
 */

/** Every scope, narrowest first. */
export const SCOPES = ['process', 'group', 'host', 'lan', 'wan'] as const;

/** How far a listing or a search reaches; also the level of a directory. */
export type Scope = (typeof SCOPES)[number];

const RANKS: ReadonlyMap<string, number> = new Map(SCOPES.map((scope, rank) => [scope, rank]));

/**
 * The position of `scope` in {@link SCOPES}: 0 for `process` up to 4 for
 * `wan`, so that scopes compare as numbers.
 *
 * @example
 * ```ts
 * scopeRank('host') > scopeRank('group'); // true
 * ```
 */
export function scopeRank(scope: Scope): number {
  const rank = RANKS.get(scope);
  if (rank === undefined) throw new TypeError(`not a scope: ${String(scope)}`);
  return rank;
}

/** True when `x` is one of the {@link SCOPES}. */
export function isScope(x: unknown): x is Scope {
  return typeof x === 'string' && RANKS.has(x);
}
