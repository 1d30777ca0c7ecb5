/**
 * The `code` of a Node system error (`ENOENT`, `EPIPE`, ...), on its own so
 * that the command line's front can read one without loading the file helpers.
 *
 * @module
 */

/** The `code` of a Node.js system error (`ENOENT`, ...), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
