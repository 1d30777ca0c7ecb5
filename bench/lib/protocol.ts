/**
 * What the harness and its stack child processes say to each other.
 *
 * The harness passes a {@link ClientPlan} to the client child on its command
 * line; children answer with one JSON object per line on stdout
 * ({@link ChildMessage}). Anything else a child prints is passed through to the
 * harness's stderr.
 *
 * @module
 */

/** The payload sizes every stack is measured with, in bytes. */
export const PAYLOAD_SIZES = [100, 16 * 1024] as const;

/** A payload size, in bytes. */
export type PayloadSize = (typeof PAYLOAD_SIZES)[number];

/** `100 B`, `16 KiB`: how sizes are written in tables and JSON keys. */
export function sizeLabel(size: number): string {
  return size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}

/** How the client child measures round trips. */
export interface RoundTripPlan {
  /** Requests sent and discarded before measuring. */
  readonly warmup: number;
  /** Measured requests, at most. */
  readonly iterations: number;
  /** Stop measuring after this long even if fewer requests were made. */
  readonly maxSeconds: number;
}

/** How the client child measures one-way throughput. */
export interface ThroughputPlan {
  /**
   * Payload bytes pushed (and confirmed) before measuring, in at least
   * {@link ThroughputPlan.minCount} messages.
   */
  readonly warmupBytes: number;
  /**
   * The measured push is sized from the warm-up rate to last about this long,
   * so slow and fast stacks both finish in bounded time.
   */
  readonly targetSeconds: number;
  /** Fewest messages in a push. */
  readonly minCount: number;
  /** Most bytes in a measured push. */
  readonly maxBytes: number;
  /** A push not confirmed within this long fails the run. */
  readonly timeoutSeconds: number;
}

/** Everything a client child measures, in order. */
export interface ClientPlan {
  readonly sizes: readonly number[];
  readonly roundTrip: RoundTripPlan;
  readonly throughput: ThroughputPlan;
  /** Throughput variant ids to measure (see `Stack.variants`). */
  readonly variants: readonly string[];
}

/** The server child is up; the client child should connect to `endpoint`. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly endpoint: string;
}

/** Round-trip latency for one payload size. */
export interface RoundTripMessage {
  readonly type: 'rtt';
  readonly size: number;
  readonly samples: number;
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
}

/** One-way throughput for one variant and payload size. */
export interface ThroughputMessage {
  readonly type: 'throughput';
  readonly variant: string;
  readonly size: number;
  /** Messages in the measured push. */
  readonly count: number;
  readonly seconds: number;
  readonly msgs_per_s: number;
  /** Payload megabytes (10^6 bytes) per second. */
  readonly mb_per_s: number;
}

/** The client child measured everything in its plan. */
export interface DoneMessage {
  readonly type: 'done';
}

/** The child failed; it exits after sending this. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

/** Any line a stack child reports. */
export type ChildMessage =
  | ReadyMessage
  | RoundTripMessage
  | ThroughputMessage
  | DoneMessage
  | ErrorMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasNumbers(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((key) => typeof value[key] === 'number');
}

/**
 * Parses one stdout line of a child; `undefined` when it is not a well-formed
 * {@link ChildMessage} (ordinary log output, for instance).
 */
export function parseChildMessage(line: string): ChildMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return typeof value.endpoint === 'string' ? (value as unknown as ReadyMessage) : undefined;
    case 'rtt':
      return hasNumbers(value, ['size', 'samples', 'p50_us', 'p90_us', 'p99_us'])
        ? (value as unknown as RoundTripMessage)
        : undefined;
    case 'throughput':
      return typeof value.variant === 'string' &&
        hasNumbers(value, ['size', 'count', 'seconds', 'msgs_per_s', 'mb_per_s'])
        ? (value as unknown as ThroughputMessage)
        : undefined;
    case 'done':
      return { type: 'done' };
    case 'error':
      return typeof value.message === 'string' ? (value as unknown as ErrorMessage) : undefined;
    default:
      return undefined;
  }
}

/** Writes one message as a JSON line on stdout (synchronous for pipes on Linux). */
export function report(message: ChildMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
