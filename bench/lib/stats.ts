/**
 * Small, dependency-free statistics for benchmark samples.
 *
 * @module
 */

/**
 * The value below which `p` percent of the samples fall (nearest-rank
 * method), from samples sorted in ascending order.
 *
 * @param sorted - samples in ascending order; must not be empty
 * @param p - percentile in `[0, 100]`
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50); // 2
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/**
 * The median of the values, or `null` when there are none. With an even
 * count it is the mean of the two middle values.
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/**
 * `numerator / denominator`, or `null` when either is missing or the
 * denominator is zero.
 */
export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || denominator === 0) return null;
  return numerator / denominator;
}

/** Rounds to `digits` decimals, passing `null` through. */
export function round(value: number | null, digits: number): number | null {
  if (value === null) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
