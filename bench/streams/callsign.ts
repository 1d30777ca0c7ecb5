/**
 * The callsign side of bench:streams: a producer and consumers in this
 * process, found by name through a host directory, and the stream host (an
 * lmdb store) in a process of its own, over an encrypted unix-socket
 * session, as an application runs them.
 *
 * @module
 */
import {
  type ActorContext,
  type Node,
  openConsumer,
  openProducer,
  openReader,
  StreamDelivery,
} from '../discovery/imports.ts';
import { percentile } from '../lib/stats.ts';
import { cpuClock } from './cpu-clock.ts';
import { pipelined, rate, type StreamBenchSizes, type StreamFigures } from './shapes.ts';

function run<T>(node: Node, fn: (self: ActorContext) => Promise<T>): Promise<T> {
  return node.start(fn).result as Promise<T>;
}

/**
 * Measures callsign streams from `node` (whose directory finds the host);
 * `hostPid`: the stream host's process, whose CPU is counted.
 */
export async function measureCallsign(
  node: Node,
  sizes: StreamBenchSizes,
  hostPid?: number,
): Promise<StreamFigures> {
  const data = new Uint8Array(sizes.size).fill(7);
  const appends = async (stream: string) =>
    run(node, async (self) => {
      const producer = openProducer(self, stream, { window: sizes.window, seconds: 30 });
      await producer.ready();
      let started = performance.now();
      for (let i = 0; i < sizes.one; i++) await producer.append(data);
      const one = rate(sizes.one, started);
      started = performance.now();
      await pipelined(sizes.pipelined, sizes.window, () => producer.append(data));
      const many = rate(sizes.pipelined, started);
      producer.close();
      return { one, many };
    });
  const note = (text: string) => process.stderr.write(`  callsign: ${text}\n`);
  note('appends');
  const plain = await appends('bench');
  note('consume and acknowledge');
  const total = sizes.one + sizes.pipelined;

  const cpu = {} as StreamFigures['cpu'];
  const consume_ack_per_s = await run(node, async (self) => {
    const c = openConsumer(self, 'bench', {
      name: 'c',
      start: 'earliest',
      window: sizes.window,
      maxAckPending: 10_000,
    });
    await c.attached();
    const started = performance.now();
    const clock = cpuClock(hostPid);
    for (let n = 0; n < total; n++) c.ack(await self.select(StreamDelivery));
    const r = rate(total, started);
    cpu.consume_ack = clock(total);
    c.close();
    return r;
  });

  note('replay');
  const replay_per_s = await run(node, async (self) => {
    const reader = openReader(self, 'bench', { seconds: 30 });
    const started = performance.now();
    const clock = cpuClock(hostPid);
    let n = 0;
    let bytes = 0;
    const add = (r: { data: Uint8Array }) => {
      bytes += r.data.byteLength;
    };
    // Pages read in place (readPage): one moving view per page, no object per record.
    while (n < total) {
      const page = await reader.readPage();
      if (page.count === 0) break;
      n += page.count;
      page.forEach(add);
    }
    const r = rate(n, started);
    cpu.replay = clock(n);
    reader.close();
    if (bytes !== n * sizes.size)
      throw new Error(`replay read ${bytes} bytes of data, not ${n * sizes.size}`);
    return r;
  });

  note('latency');
  const times = await run(node, async (self) => {
    const producer = openProducer(self, 'bench-latency', { seconds: 30 });
    const c = openConsumer(self, 'bench-latency', { name: 'l', start: 'new' });
    await producer.ready();
    await c.attached();
    const out: number[] = [];
    let clock = cpuClock(hostPid);
    // Untimed rounds first: the timed ones run warmed-up code (see shapes.ts).
    for (let i = 0; i < sizes.latencyWarmUp + sizes.latency; i++) {
      if (i === sizes.latencyWarmUp) clock = cpuClock(hostPid);
      const t0 = performance.now();
      const stored = producer.append(data);
      const d = await self.select(StreamDelivery);
      if (i >= sizes.latencyWarmUp) out.push((performance.now() - t0) * 1000);
      c.ack(d);
      await stored;
    }
    cpu.latency = clock(sizes.latency);
    producer.close();
    c.close();
    return out.sort((a, b) => a - b);
  });

  note('flush appends');
  const flush = await appends('bench-flush');
  return {
    append_one_per_s: plain.one,
    append_per_s: plain.many,
    consume_ack_per_s,
    replay_per_s,
    latency_p50_us: Math.round(percentile(times, 50)),
    latency_p99_us: Math.round(percentile(times, 99)),
    flush_append_one_per_s: flush.one,
    flush_append_per_s: flush.many,
    cpu,
  };
}
