/**
 * The contract every benchmarked stack implements.
 *
 * A stack is one module `bench/stacks/<name>.ts` that exports `stack` and is
 * also the entry point of its own child processes:
 *
 * ```ts
 * import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';
 * import type { Stack } from '../lib/stack.ts';
 *
 * export const stack: Stack = { name: 'mine', ... };
 *
 * if (isEntryModule(import.meta.url)) await runStackProcess(stack);
 * ```
 *
 * The harness runs `setup()` in its own process, then starts
 * `node --import tsx bench/stacks/<name>.ts server --params <json>` (pinned to
 * one core), which calls {@link Stack.serve} and reports the endpoint, then
 * `node --import tsx bench/stacks/<name>.ts client --endpoint <endpoint>
 * --params <json> --plan <json>` (pinned to another core), which calls
 * {@link Stack.connect} and measures through the returned {@link StackClient}.
 * The measuring itself (warm-up, timing, percentiles) is shared, so a stack
 * only says how to move bytes.
 *
 * @module
 */

/** A way of pushing messages one way, shown as its own row in the throughput table. */
export interface ThroughputVariant {
  /** Stable key in the JSON output, e.g. `per-message`. */
  readonly id: string;
  /** What the sender does, for the table, e.g. `one send per message`. */
  readonly label: string;
}

/** Parameters from {@link Stack.setup}, handed to both children. */
export type StackParams = Readonly<Record<string, string>>;

/** Whatever a stack runs in the harness process for the whole run (a broker, say). */
export interface StackFixture {
  /** Passed to {@link Stack.serve} and {@link Stack.connect} in the children. */
  readonly params: StackParams;
  /** One line for the output, e.g. `nats-server 2.9.10 on 127.0.0.1:4222, not pinned`. */
  readonly summary?: string;
  /** Processes `setup` started that do part of the stack's work (a broker), for `bench:cpu`. */
  readonly pids?: readonly number[];
  /** Stops what `setup` started; safe to call twice. */
  close(): Promise<void>;
}

/** The receiving side of a stack, running in the server child. */
export interface StackServer {
  /** How the client reaches this server (a URL, a name; opaque to the harness). */
  readonly endpoint: string;
  /** Stops serving and releases sockets; safe to call twice. */
  close(): Promise<void>;
}

/** Options of one {@link StackClient.push}. */
export interface PushOptions {
  /** Id of one of {@link Stack.variants}. */
  readonly variant: string;
  /** Aborted when the push takes too long; stop sending and reject. */
  readonly signal: AbortSignal;
}

/** The sending side of a stack, running in the client child. */
export interface StackClient {
  /**
   * Sends `payload` to the server and resolves with the server's reply, which
   * carries the same bytes back. Only one request is in flight at a time.
   */
  request(payload: Uint8Array): Promise<Uint8Array>;
  /**
   * Sends `count` messages carrying `payload` to the server, one way, as fast
   * as the variant allows with sensible flow control (never buffering the
   * whole push in memory), and resolves once the *receiver* has confirmed it
   * got all of them, with the count it confirmed.
   */
  push(payload: Uint8Array, count: number, options: PushOptions): Promise<number>;
  /** Disconnects; safe to call twice. */
  close(): Promise<void>;
}

/** One stack under test. */
export interface Stack {
  /** Short name: the file name, the table row and the key in the JSON output. */
  readonly name: string;
  /** What exactly is measured, for the output, e.g. `ws 8.23.0 binary frames + bufferutil`. */
  readonly description: string;
  /** Throughput variants; the first is the stack's headline figure. At least one. */
  readonly variants: readonly ThroughputVariant[];
  /**
   * `true` when the stack can run here, otherwise the reason it cannot,
   * printed as `<name>: skipped (<reason>)`. Runs in the harness process.
   */
  available(): Promise<true | string>;
  /**
   * Starts what the stack needs besides its two processes, once per harness
   * run, in the harness process. Optional.
   */
  setup?(): Promise<StackFixture>;
  /** In the server child: starts answering requests and counting pushed messages. */
  serve(params: StackParams): Promise<StackServer>;
  /** In the client child: connects to a server started by {@link Stack.serve}. */
  connect(endpoint: string, params: StackParams): Promise<StackClient>;
}

/** Whether a module's `stack` export looks like a {@link Stack}. */
export function isStack(value: unknown): value is Stack {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.description === 'string' &&
    Array.isArray(candidate.variants) &&
    candidate.variants.length > 0 &&
    typeof candidate.available === 'function' &&
    typeof candidate.serve === 'function' &&
    typeof candidate.connect === 'function' &&
    (candidate.setup === undefined || typeof candidate.setup === 'function')
  );
}
