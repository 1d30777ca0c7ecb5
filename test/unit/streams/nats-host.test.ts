/**
 * Streams on JetStream are found by name as every stream is: a stream host
 * over the `nats` driver, and producers and consumers that use the same
 * calls as on lmdb. On a nats-server of the test's own.
 */
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import {
  configureDirectory,
  configureTransport,
  createRealm,
  defineMessage,
  generateNodeKeys,
  Node,
  t,
} from '../../../src/index.ts';
import { openConsumer } from '../../../src/streams/consumer.ts';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { streamHost } from '../../../src/streams/host.ts';
import { openProducer } from '../../../src/streams/producer.ts';
import { StreamDelivery } from '../../../src/streams/protocol.ts';
import { type NatsServers, startNatsServer } from '../../streams/nats-servers.ts';

vi.setConfig({ testTimeout: 30_000 });

class Gauge extends defineMessage('test.streams.Gauge', { device: t.string, value: t.float }) {}

let servers: NatsServers | undefined;
beforeAll(async () => {
  servers = await startNatsServer();
}, 30_000);
afterAll(async () => {
  await servers?.close();
});

it('a producer and a consumer find a stream on JetStream by name, with the calls they use on lmdb', async () => {
  const store = await openStreamStore({
    driver: 'nats',
    options: { servers: servers?.urls[0], prefix: 'host' },
  });
  await store.createStream({ name: 'gauges', partitions: 2 });
  const node = new Node({ name: 'nats-streams-test' });
  configureTransport(node, { realm: createRealm('nats-streams-test'), keys: generateNodeKeys() });
  configureDirectory(node, { parent: null });
  onTestFinished(async () => {
    await node.stop();
    await store.close();
  });
  node.start(streamHost, { store, scope: 'process' });
  const run = <T>(fn: Parameters<typeof node.start>[0]) => node.start(fn).result as Promise<T>;

  const appended = await run<{ partition: number; sequence: number }[]>(async (self) => {
    const producer = openProducer(self, 'gauges', { scope: 'process', name: 'bench-gauge' });
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        producer.append(new Gauge({ device: `d${i % 4}`, value: i }), { key: `d${i % 4}` }),
      ),
    );
    await producer.flush();
    producer.close();
    return all;
  });
  expect(new Set(appended.map((r) => `${r.partition}:${r.sequence}`)).size).toBe(40);

  const consume = (count: number) =>
    run<string[]>(async (self) => {
      const c = openConsumer(self, 'gauges', {
        scope: 'process',
        name: 'report',
        start: 'earliest',
      });
      await c.attached();
      const seen: string[] = [];
      while (seen.length < count) {
        const d = await self.select(StreamDelivery);
        const m = c.message(d) as Gauge;
        expect(d).toMatchObject({ stream: 'gauges', producer: 'bench-gauge', key: m.device });
        seen.push(`${d.partition}:${d.sequence}`);
        expect(await c.ackStored(d)).toBe(true);
      }
      c.close();
      return seen;
    });
  const first = await consume(15);
  const rest = await consume(25);
  expect([...first, ...rest].sort()).toEqual(
    appended.map((r) => `${r.partition}:${r.sequence}`).sort(),
  );
});
