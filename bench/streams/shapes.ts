/**
 * What bench:streams measures of each engine, in the same shapes: the
 * counts, and the figures each measurement gives.
 *
 * @module
 */

/** How much each measurement does. */
export interface StreamBenchSizes {
  /** Appends timed one at a time (each awaited). */
  readonly one: number;
  /** Appends timed with many in flight; also what consumers and replays read. */
  readonly pipelined: number;
  /** Appends in flight at most. */
  readonly window: number;
  /** Appends with one in flight whose arrival at a consumer is timed (after {@link latencyWarmUp}). */
  readonly latency: number;
  /**
   * Untimed rounds of the same before them: the first rounds run much of
   * their code in V8's baseline tier, and the bulk phases before do not
   * warm this path (measured on a shared machine: the stream host's CPU per
   * round ~1.1-1.5 ms over the first thousand rounds, ~0.5 ms after
   * 1500-2000). JetStream's client runs in Node too and gets the same.
   */
  readonly latencyWarmUp: number;
  /** Payload bytes. */
  readonly size: number;
}

import type { PhaseCpu } from './cpu-clock.ts';

/** What one engine measured. */
export interface StreamFigures {
  append_one_per_s: number;
  append_per_s: number;
  consume_ack_per_s: number;
  replay_per_s: number;
  latency_p50_us: number;
  latency_p99_us: number;
  /** With durability `flush` for callsign; JetStream's own default (it has no per-message sync). */
  flush_append_one_per_s: number;
  flush_append_per_s: number;
  /** CPU per message of each side: consume and acknowledge, replay, one append → delivery. */
  cpu: { consume_ack: PhaseCpu; replay: PhaseCpu; latency: PhaseCpu };
}

/** Runs `fn` `count` times with at most `window` in flight; resolves once all are done. */
export async function pipelined(
  count: number,
  window: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (next < count && failed === undefined) {
      const i = next++;
      await fn(i).catch((err: unknown) => {
        failed = err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
  if (failed !== undefined) throw failed;
}

/** Per second, from a count and a start time (performance.now()). */
export function rate(count: number, started: number): number {
  return Math.round(count / ((performance.now() - started) / 1000));
}
