import { Aborted, Faulted, TimedOut } from '../messages/standard.ts';

/**
 * Exit codes of a node process: 0 when main completed, otherwise by the kind
 * of result main returned.
 */
export const EXIT_CODES = {
  completed: 0,
  faulted: 1,
  aborted: 2,
  timedOut: 3,
  invalidSettings: 64,
  forced: 130,
} as const;

/** The exit code for a value returned by main. */
export function exitCodeFor(value: unknown): number {
  if (value instanceof Faulted) return EXIT_CODES.faulted;
  if (value instanceof Aborted) return EXIT_CODES.aborted;
  if (value instanceof TimedOut) return EXIT_CODES.timedOut;
  return EXIT_CODES.completed;
}

/**
 * The process output: `value` as one JSON document. Messages become their
 * fields, bytes base64, maps objects, bigints strings, undefined null.
 */
export function formatOutput(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    return v;
  });
}
