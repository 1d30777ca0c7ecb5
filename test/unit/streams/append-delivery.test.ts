import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
  openConsumer,
  openProducer,
  StreamDelivery,
} from '../../../src/index.ts';
import { streamHost } from '../../../src/streams/host.ts';
import { LogStore } from '../../../src/streams/log-store.ts';
import { memoryBackend } from '../../../src/streams/memory-backend.ts';
import type { RecordBatch, StoreEvent } from '../../../src/streams/store.ts';

/** A memory store that counts its write transactions. */
function countingStore() {
  const backend = memoryBackend();
  const writes = { count: 0 };
  const transact = backend.transact.bind(backend);
  backend.transact = (fn) => {
    writes.count++;
    return transact(fn);
  };
  const store = new LogStore(backend);
  onTestFinished(() => store.close());
  return { store, writes };
}

describe('a delivery decided in the write of its append', () => {
  it('stores what a waiting consumer was given in the append’s own write, and delivers once that is done', async () => {
    const { store, writes } = countingStore();
    await store.createStream({ name: 's' });
    await store.createConsumer('s', { name: 'c', start: 'new' });
    const order: string[] = [];
    store.watch((e: StoreEvent) => order.push(e.kind));
    const got: RecordBatch[] = [];
    const cancel = store.pullOnAppend('s', 'c', { max: 10 }, (batch) => {
      order.push('deliver');
      got.push(batch);
    });
    expect(cancel).toBeTypeOf('function');
    const before = writes.count;
    const appended = store.append('s', { data: new Uint8Array([1]) });
    expect(got).toEqual([]); // not before the write is done
    await appended;
    expect(writes.count - before).toBe(1);
    expect(order).toEqual(['deliver', 'appended']);
    expect(got[0]?.count).toBe(1);
    expect(got[0]?.positions).toEqual([0, 1]);
    // The wait is answered once; the delivery is pending as if pulled.
    expect((await store.consumerInfo('s', 'c')).positions[0]).toMatchObject({
      pending: 1,
      nextSequence: 2,
    });
    await store.append('s', { data: new Uint8Array([2]) });
    expect(got).toHaveLength(1);
    // A cancelled wait gives nothing.
    const later: RecordBatch[] = [];
    store.pullOnAppend('s', 'c', { max: 10 }, (b) => later.push(b))?.();
    await store.append('s', { data: new Uint8Array([3]) });
    expect(later).toEqual([]);
    expect(store.pullOnAppend('s', 'nobody', { max: 1 }, () => {})).toBeUndefined();
  });

  it('costs a host one write per append to a consumer that has caught up, acknowledgements riding along', async () => {
    const { store, writes } = countingStore();
    await store.createStream({ name: 's' });
    const node = new Node({ name: 'one-write' });
    configureTransport(node, { realm: createRealm('one-write'), keys: generateNodeKeys() });
    configureDirectory(node, { parent: null });
    onTestFinished(() => node.stop());
    node.start(streamHost, { store, scope: 'process' });
    const rounds = await node.start(async (self: ActorContext) => {
      const producer = openProducer(self, 's');
      const consumer = openConsumer(self, 's', { name: 'c', start: 'new' });
      await producer.ready();
      await consumer.attached();
      const counts: number[] = [];
      for (let i = 0; i < 20; i++) {
        const before = writes.count;
        const stored = producer.append(new Uint8Array([i]));
        const d = await self.select(StreamDelivery, { seconds: 5 });
        if (!(d instanceof StreamDelivery)) throw new Error(`no delivery of append ${i}`);
        await stored;
        counts.push(writes.count - before);
        consumer.ack(d);
      }
      return counts;
    }).result;
    // The first round may still carry the attachment's writes.
    expect(rounds.slice(1)).toEqual(new Array(19).fill(1));
  });
});
