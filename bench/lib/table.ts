/**
 * Plain-text tables and number formats for benchmark output.
 *
 * @module
 */

/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * A Markdown pipe table with padded columns, readable both in a terminal and
 * pasted into a document.
 *
 * @param align - per column; missing entries are `right`, the first column defaults to `left`
 * @example
 * ```ts
 * formatTable(['stack', 'p50'], [['ws', '75']]);
 * // | stack | p50 |
 * // |:------|----:|
 * // | ws    |  75 |
 * ```
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = ['left'],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const alignOf = (column: number): Align => align[column] ?? 'right';
  const line = (cells: readonly string[]): string =>
    `| ${widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return alignOf(column) === 'left' ? cell.padEnd(width) : cell.padStart(width);
      })
      .join(' | ')} |`;
  const rule = `|${widths
    .map((width, column) =>
      alignOf(column) === 'left' ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`,
    )
    .join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** A placeholder for figures that could not be measured. */
export const MISSING = '—';

/** Microseconds: one decimal below 1000, whole numbers above. */
export function formatMicros(value: number | null): string {
  if (value === null) return MISSING;
  return value < 1000 ? value.toFixed(1) : Math.round(value).toString();
}

/** A rate with a k/M suffix: `192 k`, `1.54 M`. */
export function formatRate(value: number | null): string {
  if (value === null) return MISSING;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${Math.round(value / 1e3)} k`;
  return Math.round(value).toString();
}

/** Megabytes per second, whole numbers. */
export function formatMegabytes(value: number | null): string {
  return value === null ? MISSING : Math.round(value).toString();
}

/** A ratio with two decimals. */
export function formatRatio(value: number | null): string {
  return value === null ? MISSING : value.toFixed(2);
}
