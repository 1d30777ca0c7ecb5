/**
 * The JetStream side of bench:streams, as its client's docs recommend for
 * throughput: `noAsyncTraces` (no error stack captured per request, which
 * its release notes give for JetStream publishers), async publishes with
 * many in flight, durable pull consumers
 * read with `consume()` (batches of many), an ordered consumer for replay.
 * File storage, on a nats-server of the benchmark's own.
 *
 * @module
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { percentile } from '../lib/stats.ts';
import { cpuClock } from './cpu-clock.ts';
import { pipelined, rate, type StreamBenchSizes, type StreamFigures } from './shapes.ts';

/** Measures JetStream at `url`; `serverPid`: nats-server's process, whose CPU is counted. */
export async function measureJetStream(
  url: string,
  sizes: StreamBenchSizes,
  serverPid?: number,
): Promise<StreamFigures> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const data = new Uint8Array(sizes.size).fill(7);
    for (const name of ['bench', 'latency']) {
      await jsm.streams.add({ name, subjects: [`${name}.>`], storage: StorageType.File });
    }

    const note = (text: string) => process.stderr.write(`  JetStream: ${text}\n`);
    note('appends');
    let started = performance.now();
    for (let i = 0; i < sizes.one; i++) await js.publish('bench.one', data);
    const append_one_per_s = rate(sizes.one, started);

    started = performance.now();
    await pipelined(sizes.pipelined, sizes.window, () => js.publish('bench.many', data));
    const append_per_s = rate(sizes.pipelined, started);
    const total = sizes.one + sizes.pipelined;

    note('consume and acknowledge');
    await jsm.consumers.add('bench', {
      durable_name: 'c',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    });
    const consumer = await js.consumers.get('bench', 'c');
    const cpu = {} as StreamFigures['cpu'];
    started = performance.now();
    let clock = cpuClock(serverPid);
    {
      const messages = await consumer.consume({ max_messages: sizes.window });
      let n = 0;
      for await (const m of messages) {
        m.ack();
        if (++n >= total) break;
      }
      await messages.close();
    }
    const consume_ack_per_s = rate(total, started);
    cpu.consume_ack = clock(total);

    note('replay');
    started = performance.now();
    clock = cpuClock(serverPid);
    {
      const ordered = await js.consumers.get('bench');
      const messages = await ordered.consume({ max_messages: sizes.window });
      let n = 0;
      for await (const _ of messages) if (++n >= total) break;
      await messages.close();
    }
    const replay_per_s = rate(total, started);
    cpu.replay = clock(total);

    note('latency');
    // Latency: publish one at a time; time until a consumer that waits has it.
    await jsm.consumers.add('latency', {
      durable_name: 'l',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
    });
    const lc = await js.consumers.get('latency', 'l');
    const received = await lc.consume({ max_messages: 100 });
    let arrived: (() => void) | undefined;
    const reading = (async () => {
      for await (const m of received) {
        m.ack();
        arrived?.();
      }
    })();
    const times: number[] = [];
    // Untimed rounds first, as for callsign.
    for (let i = 0; i < sizes.latencyWarmUp + sizes.latency; i++) {
      if (i === sizes.latencyWarmUp) clock = cpuClock(serverPid);
      const t0 = performance.now();
      const got = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      await js.publish('latency.x', data);
      await got;
      if (i >= sizes.latencyWarmUp) times.push((performance.now() - t0) * 1000);
    }
    cpu.latency = clock(sizes.latency);
    await received.close();
    await reading;
    times.sort((a, b) => a - b);

    note('appends again (for flush)');
    // JetStream 2.9 has no per-message sync (sync_interval came later): its default, again.
    started = performance.now();
    for (let i = 0; i < sizes.one; i++) await js.publish('bench.flush', data);
    const flush_append_one_per_s = rate(sizes.one, started);
    started = performance.now();
    await pipelined(sizes.pipelined, sizes.window, () => js.publish('bench.flush', data));
    const flush_append_per_s = rate(sizes.pipelined, started);
    return {
      append_one_per_s,
      append_per_s,
      consume_ack_per_s,
      replay_per_s,
      latency_p50_us: Math.round(percentile(times, 50)),
      latency_p99_us: Math.round(percentile(times, 99)),
      flush_append_one_per_s,
      flush_append_per_s,
      cpu,
    };
  } finally {
    await nc.close();
  }
}
