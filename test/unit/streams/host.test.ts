import { describe, expect, it } from 'vitest';
import {
  type ActorContext,
  Available,
  Dropped,
  defineMessage,
  subscribe,
  t,
} from '../../../src/index.ts';
import { openConsumer } from '../../../src/streams/consumer.ts';
import { openProducer } from '../../../src/streams/producer.ts';
import {
  ConsumerAttach,
  ConsumerAttached,
  StreamAppendedPack,
  StreamDelivery,
  StreamDeliveryPack,
} from '../../../src/streams/protocol.ts';

import { appendOf, run, world } from './host-world.ts';

class Reading extends defineMessage('test.streams.Reading', { device: t.string, value: t.float }) {}

describe('stream host, producers and consumers (in one process)', () => {
  it('appends through a producer found by name; a consumer gets them in select and resumes after its acks', async () => {
    const { node, store } = await world();
    await store.createStream({ name: 'readings', partitions: 2 });
    // Made in the store directly while the host runs: the host serves it without a restart.
    const results = await run(node, async (self) => {
      const producer = openProducer(self, 'readings', { scope: 'process', name: 'gauge' });
      const all = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          producer.append(new Reading({ device: `d${i % 5}`, value: i }), {
            key: `d${i % 5}`,
            eventTime: 1000 + i,
          }),
        ),
      );
      await producer.flush();
      producer.close();
      return all;
    });
    expect(results).toHaveLength(50);
    expect(new Set(results.map((r) => `${r.partition}:${r.sequence}`)).size).toBe(50);

    const firstHalf = await run(node, async (self) => {
      const c = openConsumer(self, 'readings', {
        scope: 'process',
        name: 'report',
        start: 'earliest',
      });
      await c.attached();
      const seen: string[] = [];
      while (seen.length < 20) {
        const d = await self.select(StreamDelivery);
        const m = c.message(d) as Reading;
        expect(d).toMatchObject({
          stream: 'readings',
          consumer: 'report',
          producer: 'gauge',
          type: 'test.streams.Reading',
          deliveryCount: 1,
        });
        expect(d.key).toBe(m.device);
        seen.push(`${d.partition}:${d.sequence}`);
        expect(await c.ackStored(d)).toBe(true);
      }
      c.close();
      return seen;
    });
    const rest = await run(node, async (self) => {
      const c = openConsumer(self, 'readings', {
        scope: 'process',
        name: 'report',
        start: 'earliest',
      });
      const seen: string[] = [];
      while (seen.length < 30) {
        const d = await self.select(StreamDelivery);
        seen.push(`${d.partition}:${d.sequence}`);
        c.ack(d);
      }
      c.close();
      return seen;
    });
    const everything = [...firstHalf, ...rest];
    expect(new Set(everything).size).toBe(50);
    expect(everything.sort()).toEqual(results.map((r) => `${r.partition}:${r.sequence}`).sort());
  });

  it('serves a stream made in its store while it runs, and withdraws one deleted there', async () => {
    const { node, store } = await world();
    const seen = await run(node, async (self) => {
      subscribe(self, 'late', { scope: 'process' });
      await store.createStream({ name: 'late' });
      const found = await self.select(Available);
      const producer = openProducer(self, 'late', { scope: 'process' });
      const stored = await producer.append(new Uint8Array([9]));
      producer.close();
      await store.deleteStream('late');
      const gone = await self.select(Dropped);
      return { found: found.name, sequence: stored.sequence, gone: gone.name };
    });
    expect(seen).toEqual({ found: 'late', sequence: 1, gone: 'late' });
  });

  it('refuses bad appends with codes and keeps serving', async () => {
    const { node, store } = await world();
    await store.createStream({ name: 'small', maxMessageSize: 8, subjects: ['small.>'] });
    const codes = await run(node, async (self) => {
      const p = openProducer(self, 'small', { scope: 'process' });
      const outcome = (x: Promise<unknown>) =>
        x.then(
          () => 'ok',
          (e: { code: string }) => e.code,
        );
      return [
        await outcome(p.append(new Uint8Array(9), { subject: 'small.x' })),
        await outcome(p.append(new Uint8Array(1), { subject: 'small..x' })),
        await outcome(p.append(new Uint8Array(1), { subject: 'other' })),
        await outcome(p.append(new Uint8Array(1), { subject: 'small.x', partition: 3 })),
        await outcome(p.append(new Uint8Array(1), { subject: 'small.x' })),
      ];
    });
    expect(codes).toEqual([
      'ERR_MESSAGE_TOO_LARGE',
      'ERR_INVALID_SUBJECT',
      'ERR_SUBJECT_NOT_BOUND',
      'ERR_INVALID_PARTITION',
      'ok',
    ]);
  });

  it('exclusive refuses a second attachment; shared splits; failover hands over from the last ack', async () => {
    const { node, store } = await world();
    for (const name of ['ex', 'sh', 'fo']) await store.createStream({ name });
    const fill = async (stream: string, n: number) => {
      for (let i = 0; i < n; i++) await store.append(stream, { data: new Uint8Array([i]) });
    };
    await fill('ex', 1);
    await fill('sh', 40);
    await fill('fo', 10);
    const busy = await run(node, async (self) => {
      const a = openConsumer(self, 'ex', { scope: 'process', name: 'one', start: 'earliest' });
      await a.attached();
      const b = openConsumer(self, 'ex', { scope: 'process', name: 'one', start: 'earliest' });
      return b.attached().then(
        () => 'attached',
        (e: { code: string }) => e.code,
      );
    });
    expect(busy).toBe('ERR_CONSUMER_BUSY');

    let total = 0;
    const shared = async () =>
      run(node, async (self) => {
        const c = openConsumer(self, 'sh', {
          scope: 'process',
          name: 'workers',
          start: 'earliest',
          mode: 'shared',
          window: 4,
        });
        await c.attached();
        const got: number[] = [];
        // Until the two together have all 40 (the short select only looks at the count again).
        while (total < 40) {
          const d = await self.select(StreamDelivery, { seconds: 0.05 });
          if (!(d instanceof StreamDelivery)) continue;
          total++;
          got.push(d.sequence);
          c.ack(d);
        }
        c.close();
        return got;
      });
    const [x, y] = await Promise.all([shared(), shared()]);
    expect([...x, ...y].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(x.length).toBeGreaterThan(0);
    expect(y.length).toBeGreaterThan(0);

    // Failover: the first attached is active; it acknowledges 3 and goes; the standby takes over at 4.
    let standbyAttached: (active: boolean) => void = () => {};
    const standbyReady = new Promise<boolean>((resolve) => {
      standbyAttached = resolve;
    });
    let activeAttached: () => void = () => {};
    const activeReady = new Promise<void>((resolve) => {
      activeAttached = resolve;
    });
    const first = node.start(async (self: ActorContext) => {
      const c = openConsumer(self, 'fo', {
        scope: 'process',
        name: 'f',
        start: 'earliest',
        mode: 'failover',
        window: 1,
      });
      await c.attached();
      const wasActive = c.active;
      activeAttached();
      const got: number[] = [];
      while (got.length < 3) {
        const d = await self.select(StreamDelivery);
        got.push(d.sequence);
        await c.ackStored(d);
      }
      await standbyReady;
      c.close();
      return { got, wasActive };
    });
    await activeReady;
    const second = node.start(async (self: ActorContext) => {
      const c = openConsumer(self, 'fo', {
        scope: 'process',
        name: 'f',
        start: 'earliest',
        mode: 'failover',
      });
      await c.attached();
      standbyAttached(c.active);
      const got: number[] = [];
      while (got.length < 7) {
        const d = await self.select(StreamDelivery);
        got.push(d.sequence);
        c.ack(d);
      }
      return { got, active: c.active };
    });
    expect(await standbyReady).toBe(false);
    const a = await first.result;
    const b = await second.result;
    expect(a).toEqual({ got: [1, 2, 3], wasActive: true });
    expect(b).toEqual({ got: [4, 5, 6, 7, 8, 9, 10], active: true });
  });

  it("sends a waiting consumer the append's delivery no later than the append's answer (one frame, not a turn apart)", async () => {
    const { node, store } = await world();
    await store.createStream({ name: 'quick' });
    const order = await run(node, async (self) => {
      subscribe(self, 'quick', { scope: 'process' });
      await self.select(Available);
      const host = self.returnAddress as NonNullable<typeof self.returnAddress>;
      self.send(
        new ConsumerAttach({
          id: 1,
          stream: 'quick',
          config: { name: 'waiting', start: 'new' },
          metadataOnly: false,
          window: 16,
        }),
        host,
      );
      await self.select(ConsumerAttached, { seconds: 5 });
      const seen: string[] = [];
      for (let round = 0; round < 3; round++) {
        self.send(appendOf(10 + round, 'quick', { data: new Uint8Array([round]) }), host);
        for (let k = 0; k < 2; k++) {
          const m = await self.select(StreamDeliveryPack, StreamAppendedPack, { seconds: 5 });
          seen.push(m instanceof StreamDeliveryPack ? 'delivery' : 'answer');
        }
      }
      return seen;
    });
    expect(order).toEqual(['delivery', 'answer', 'delivery', 'answer', 'delivery', 'answer']);
  });
});
