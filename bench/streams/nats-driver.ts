/**
 * callsign's `nats` stream driver on the same nats-server as raw JetStream
 * in bench:streams: acknowledged appends with many in flight, and
 * consume-and-acknowledge, through the `StreamStore` contract, measured as
 * the raw client is (the same payload, window and count), so that the
 * ratio is what the layer costs.
 *
 * @module
 */
import { openStreamStore } from '../../src/streams/drivers.ts';
import type { Delivery } from '../../src/streams/store.ts';
import { pipelined, rate, type StreamBenchSizes } from './shapes.ts';

/** What the driver measured. */
export interface NatsDriverFigures {
  append_per_s: number;
  consume_ack_per_s: number;
}

/** Measures the `nats` driver on the JetStream at `url`; `run` keeps each run's streams apart. */
export async function measureNatsDriver(
  url: string,
  sizes: StreamBenchSizes,
  run: number,
): Promise<NatsDriverFigures> {
  const store = await openStreamStore({
    driver: 'nats',
    options: { servers: url, prefix: `bench${run}` },
  });
  try {
    await store.createStream({ name: 'bench' });
    const data = new Uint8Array(sizes.size).fill(7);
    process.stderr.write('  nats driver: appends\n');
    let started = performance.now();
    await pipelined(sizes.pipelined, sizes.window, () => store.append('bench', { data }));
    const append_per_s = rate(sizes.pipelined, started);

    process.stderr.write('  nats driver: consume and acknowledge\n');
    await store.createConsumer('bench', { name: 'c', start: 'earliest', maxAckPending: 10_000 });
    started = performance.now();
    let n = 0;
    const acks: Promise<boolean>[] = [];
    while (n < sizes.pipelined) {
      const ds: Delivery[] = await store.pull('bench', 'c', { max: sizes.window });
      for (const d of ds) acks.push(store.ack('bench', 'c', d.partition, d.sequence));
      n += ds.length;
    }
    await Promise.all(acks);
    const consume_ack_per_s = rate(n, started);
    await store.deleteStream('bench');
    return { append_per_s, consume_ack_per_s };
  } finally {
    await store.close();
  }
}
