/**
 * The measuring loops, shared by every stack so that all are timed alike.
 * They run in the client child, on its pinned core.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type {
  RoundTripMessage,
  RoundTripPlan,
  ThroughputMessage,
  ThroughputPlan,
} from './protocol.ts';
import type { StackClient } from './stack.ts';
import { percentile } from './stats.ts';

/** Monotonic time in seconds, with sub-microsecond resolution. */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * Round-trip latency with one request in flight: `plan.warmup` requests, then
 * up to `plan.iterations` timed ones or `plan.maxSeconds`, whichever ends first.
 *
 * @throws when a reply does not carry the payload's length back
 */
export async function measureRoundTrip(
  client: StackClient,
  size: number,
  plan: RoundTripPlan,
): Promise<RoundTripMessage> {
  const payload = new Uint8Array(randomBytes(size));
  const check = (reply: Uint8Array): void => {
    if (reply.byteLength !== size) {
      throw new Error(`reply of ${reply.byteLength} bytes to a ${size}-byte request`);
    }
  };
  for (let i = 0; i < plan.warmup; i++) check(await client.request(payload));

  const samples = new Float64Array(plan.iterations);
  const deadline = now() + plan.maxSeconds;
  let n = 0;
  while (n < plan.iterations) {
    const start = process.hrtime.bigint();
    const reply = await client.request(payload);
    samples[n++] = Number(process.hrtime.bigint() - start) / 1e3;
    check(reply);
    if (n % 64 === 0 && now() > deadline) break;
  }
  const sorted = samples.subarray(0, n).sort();
  return {
    type: 'rtt',
    size,
    samples: n,
    p50_us: percentile(sorted, 50),
    p90_us: percentile(sorted, 90),
    p99_us: percentile(sorted, 99),
  };
}

/**
 * Runs one push and returns how long it took until the receiver confirmed,
 * failing after `timeoutSeconds` even if the stack ignores the abort signal.
 */
async function timedPush(
  client: StackClient,
  payload: Uint8Array,
  count: number,
  variant: string,
  timeoutSeconds: number,
): Promise<number> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`push of ${count} messages not confirmed within ${timeoutSeconds} s`));
    }, timeoutSeconds * 1e3);
  });
  const start = now();
  try {
    const confirmed = await Promise.race([
      client.push(payload, count, { variant, signal: controller.signal }),
      expired,
    ]);
    const seconds = now() - start;
    if (confirmed !== count) {
      throw new Error(`receiver confirmed ${confirmed} of ${count} messages`);
    }
    return seconds;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One-way throughput of `variant` for one payload size. A warm-up push of
 * `plan.warmupBytes` estimates the rate, a second one sized to a third of
 * `plan.targetSeconds` refines it, and the measured push is sized from that to
 * last about `plan.targetSeconds`, within `plan.minCount` messages and
 * `plan.maxBytes`.
 */
export async function measureThroughput(
  client: StackClient,
  size: number,
  variant: string,
  plan: ThroughputPlan,
): Promise<ThroughputMessage> {
  const payload = new Uint8Array(randomBytes(size));
  const sized = (rate: number, seconds: number): number =>
    Math.max(plan.minCount, Math.min(Math.round(rate * seconds), Math.floor(plan.maxBytes / size)));
  const push = (count: number): Promise<number> =>
    timedPush(client, payload, count, variant, plan.timeoutSeconds);

  const warmupCount = Math.max(plan.minCount, Math.ceil(plan.warmupBytes / size));
  const firstRate = warmupCount / (await push(warmupCount));
  const calibrationCount = sized(firstRate, plan.targetSeconds / 3);
  const rate = calibrationCount / (await push(calibrationCount));
  const count = sized(rate, plan.targetSeconds);
  const seconds = await push(count);
  return {
    type: 'throughput',
    variant,
    size,
    count,
    seconds,
    msgs_per_s: count / seconds,
    mb_per_s: (count * size) / seconds / 1e6,
  };
}
