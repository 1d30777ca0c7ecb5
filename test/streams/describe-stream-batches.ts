/**
 * The batch half of the stream store compliance suite: `appendBatch`,
 * `readBatch` and `pullBatch` (packed records, `maxBytes`), and `ackRange`.
 */
import { expect, it } from 'vitest';
import { CallsignError } from '../../src/errors.ts';
import { deliveriesOf, storedRecordsOf } from '../../src/streams/record-batch.ts';
import type { AppendResult } from '../../src/streams/store.ts';
import {
  bytes,
  featureTest,
  openFor,
  openWorld,
  type StreamStoreSetup,
  text,
} from './store-suite-kit.ts';

export function describeStreamBatches(setup: () => StreamStoreSetup, driver: string): void {
  const world = () => openWorld(setup);

  it('appendBatch stores each append on its own: a refused one keeps its code and stops none of the others', async () => {
    const { store } = await world();
    await store.createStream({ name: 'b', subjects: ['b', 'b.>'], maxMessageSize: 8 });
    const out = await store.appendBatch('b', [
      { record: { data: bytes('one'), subject: 'b.x', key: 'k' } },
      { record: { data: bytes('much too large') } },
      { record: { data: bytes('two') }, options: { messageId: 'm' } },
      { record: { data: bytes('three'), subject: 'c.x' } },
      { record: { data: bytes('again') }, options: { messageId: 'm' } },
      { record: { data: bytes('four') }, options: { expectedLastSequence: 2 } },
      { record: { data: bytes('five') }, options: { expectedLastSequence: 2 } },
    ]);
    expect(out.map((o) => (o instanceof CallsignError ? o.code : o.sequence))).toEqual([
      1,
      'ERR_MESSAGE_TOO_LARGE',
      2,
      'ERR_SUBJECT_NOT_BOUND',
      2,
      3,
      'ERR_WRONG_LAST_SEQUENCE',
    ]);
    expect((out[4] as AppendResult).duplicate).toBe(true);
    const stored = await store.read('b', { max: 10 });
    expect(stored.map((r) => text(r.data))).toEqual(['one', 'two', 'four']);
    expect(stored[0]).toMatchObject({ subject: 'b.x', key: 'k', sequence: 1 });
    await expect(
      store.appendBatch('nothing', [{ record: { data: bytes('x') } }]),
    ).rejects.toMatchObject({ code: 'ERR_UNKNOWN_STREAM' });
  });

  it('readBatch gives the records packed as read gives them, stops at maxBytes, and says where to read on', async () => {
    const { store } = await world();
    await store.createStream({ name: 'r', subjects: ['r.>'] });
    for (let i = 1; i <= 10; i++)
      await store.append('r', {
        data: bytes(`payload-${i}`.padEnd(100, '.')),
        subject: i % 2 ? 'r.odd' : 'r.even',
        properties: { i: `${i}` },
      });
    const all = await store.readBatch('r', { max: 100 });
    expect(all.count).toBe(10);
    expect(all.next).toBe(11);
    expect(all.positions).toEqual([...Array(10)].flatMap((_, i) => [0, i + 1]));
    expect(storedRecordsOf('r', all)).toEqual(await store.read('r', { max: 100 }));

    const page = await store.readBatch('r', { max: 100, maxBytes: 250 });
    expect(page.count).toBeGreaterThanOrEqual(2);
    expect(page.count).toBeLessThan(10);
    const rest = await store.readBatch('r', { from: page.next, max: 100 });
    expect(page.count + rest.count).toBe(10);
    expect(rest.next).toBe(11);
    const one = await store.readBatch('r', { max: 100, maxBytes: 1 });
    expect(one.count).toBe(1);

    const odd = await store.readBatch('r', { filter: 'r.odd', max: 2 });
    expect(storedRecordsOf('r', odd).map((r) => r.properties?.i)).toEqual(['1', '3']);
    expect(odd.next).toBe(4);
    const meta = storedRecordsOf('r', await store.readBatch('r', { max: 1, metadataOnly: true }));
    expect(meta[0]).toMatchObject({ sequence: 1, size: 100, subject: 'r.odd' });
    expect(meta[0]?.data.byteLength).toBe(0);
    const past = await store.readBatch('r', { from: 11 });
    expect(past.count).toBe(0);
    expect(past.next).toBe(11);
  });

  featureTest(
    driver,
    setup,
    'pull-batch-on-test-clock',
    'pullBatch delivers packed what pull would, stops at maxBytes, and counts deliveries',
    async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 'p' });
      for (let i = 1; i <= 6; i++)
        await store.append('p', { data: bytes(`${i}`.padEnd(100, '-')) });
      await store.createConsumer('p', { name: 'c', start: 'earliest', ackWaitMs: 1000 });
      const first = await store.pullBatch('p', 'c', { max: 10, maxBytes: 150 });
      expect(first.count).toBeGreaterThanOrEqual(1);
      expect(first.count).toBeLessThan(6);
      const ds = deliveriesOf('p', 'c', first);
      expect(ds[0]).toMatchObject({ stream: 'p', consumer: 'c', sequence: 1, deliveryCount: 1 });
      const rest = deliveriesOf('p', 'c', await store.pullBatch('p', 'c', { max: 10 }));
      expect([...ds, ...rest].map((d) => d.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
      clock.advance(1500);
      const again = deliveriesOf(
        'p',
        'c',
        await store.pullBatch('p', 'c', { max: 1, metadataOnly: true }),
      );
      expect(again[0]).toMatchObject({ sequence: 1, deliveryCount: 2, size: 100 });
      expect(again[0]?.data.byteLength).toBe(0);
    },
  );

  featureTest(
    driver,
    setup,
    'ack-range-on-test-clock',
    'ackRange acknowledges what is pending in a range, leaves the rest, and the position is kept',
    async () => {
      const { store, clock, setup: s } = await world();
      await store.createStream({ name: 'a', partitions: 2 });
      for (let i = 1; i <= 8; i++)
        await store.append('a', { data: bytes(`${i}`) }, { partition: i % 2 });
      await store.createConsumer('a', { name: 'c', start: 'earliest', ackWaitMs: 1000 });
      expect((await store.pull('a', 'c', { max: 100 })).length).toBe(8);
      expect(await store.ackRange('a', 'c', 0, 1, 3)).toBe(3);
      expect(await store.ackRange('a', 'c', 0, 1, 3)).toBe(0);
      expect(await store.ackRange('a', 'c', 1, 2, 2)).toBe(1);
      await expect(store.ackRange('a', 'c', 5, 1, 2)).rejects.toMatchObject({
        code: 'ERR_INVALID_PARTITION',
      });
      clock.advance(1500);
      const due = await store.pull('a', 'c', { max: 100 });
      expect(due.map((d) => `${d.partition}:${d.sequence}`).sort()).toEqual([
        '0:4',
        '1:1',
        '1:3',
        '1:4',
      ]);
      const positions = (await store.consumerInfo('a', 'c')).positions;
      expect(positions.map((q) => [q.ackFloor, q.pending])).toEqual([
        [3, 1],
        [0, 3],
      ]);
      if (s.persistent) {
        await store.close();
        const again = await openFor(s, clock);
        clock.advance(1500);
        const after = await again.pull('a', 'c', { max: 100 });
        expect(after.map((d) => `${d.partition}:${d.sequence}`).sort()).toEqual([
          '0:4',
          '1:1',
          '1:3',
          '1:4',
        ]);
      }
    },
  );
}
