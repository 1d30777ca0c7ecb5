/**
 * What bench:wan and bench:wan-loopback share: the plan their stacks' clients
 * run, how a client's output is read, and the relayed-against-NATS figures
 * both report under the same keys.
 *
 * @module
 */
import type { ClientPlan, RoundTripMessage, ThroughputMessage } from '../lib/protocol.ts';

/** The plan each stack's client runs: 100 B and 16 KiB, round trip and one way. */
export function wanPlan(quick: boolean): ClientPlan {
  return {
    sizes: [100, 16 * 1024],
    roundTrip: quick
      ? { warmup: 200, iterations: 1_000, maxSeconds: 2 }
      : { warmup: 500, iterations: 5_000, maxSeconds: 5 },
    throughput: {
      warmupBytes: quick ? 1e6 : 4e6,
      targetSeconds: quick ? 0.7 : 2,
      minCount: 500,
      maxBytes: quick ? 96e6 : 512e6,
      timeoutSeconds: 60,
    },
    variants: ['actor-send'],
  };
}

/** What one stack's client measured. */
export interface Measured {
  rtt: RoundTripMessage[];
  throughput: ThroughputMessage[];
}

/**
 * Reads a client's stdout (one JSON object a line, bench/lib/stack-process.ts).
 * Throws, with the end of its stderr, when it reported an error or no `done`.
 */
export function measuredFrom(file: string, stdout: string, stderr: string): Measured {
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; message?: string });
  const error = lines.find((l) => l.type === 'error');
  if (error || !lines.some((l) => l.type === 'done')) {
    throw new Error(`${file}: ${error?.message ?? `no result\n${stderr.slice(-2000)}`}`);
  }
  return {
    rtt: lines.filter((l) => l.type === 'rtt') as unknown as RoundTripMessage[],
    throughput: lines.filter((l) => l.type === 'throughput') as unknown as ThroughputMessage[],
  };
}

/** The round trip of `size` bytes in `m`. */
export const rttOf = (m: Measured, size: number) =>
  m.rtt.find((r) => r.size === size) as RoundTripMessage;

/** The one-way throughput of `size` bytes in `m`. */
export const throughputOf = (m: Measured, size: number) =>
  m.throughput.find((r) => r.size === size) as ThroughputMessage;

/** `a / b`, to two decimals. */
export const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** The relayed stack against NATS: round trip at 100 B and 16 KiB, one way at 100 B and 16 KiB. */
export function relayedVsNats(relayed: Measured, nats: Measured) {
  const rtt = rttOf;
  const tp = throughputOf;
  return {
    relay_rtt_p50_us: Math.round(rtt(relayed, 100).p50_us),
    nats_rtt_p50_us: Math.round(rtt(nats, 100).p50_us),
    relay_rtt_vs_nats: ratio(rtt(relayed, 100).p50_us, rtt(nats, 100).p50_us),
    relay_rtt_16KiB_vs_nats: ratio(rtt(relayed, 16384).p50_us, rtt(nats, 16384).p50_us),
    relay_msgs_100B_per_s: Math.round(tp(relayed, 100).msgs_per_s),
    nats_msgs_100B_per_s: Math.round(tp(nats, 100).msgs_per_s),
    relay_msgs_100B_vs_nats: ratio(tp(relayed, 100).msgs_per_s, tp(nats, 100).msgs_per_s),
    relay_mb_16KiB_per_s: Number(tp(relayed, 16384).mb_per_s.toFixed(1)),
    nats_mb_16KiB_per_s: Number(tp(nats, 16384).mb_per_s.toFixed(1)),
    relay_mb_16KiB_vs_nats: ratio(tp(relayed, 16384).mb_per_s, tp(nats, 16384).mb_per_s),
  };
}
