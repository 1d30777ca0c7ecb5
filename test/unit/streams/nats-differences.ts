/**
 * What the `nats` driver does where the compliance suite's tests cannot run
 * as written (docs/streams.md, "The nats driver"): each check runs in the
 * suite in place of the test it replaces, with the servers' real time where
 * the suite moves a clock by hand. Waits are for conditions, with deadlines.
 */
import { expect } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { deliveriesOf } from '../../../src/streams/record-batch.ts';
import type { Delivery } from '../../../src/streams/store.ts';
import {
  bytes,
  refused,
  type StoreFeature,
  text,
  type Unsupported,
} from '../../streams/describe-stream-store.ts';
import { eventually } from '../../streams/nats-servers.ts';

const texts = (ds: readonly Delivery[]) => ds.map((d) => text(d.data));

/** The differences of the `nats` driver; `options` are the driver options of a fresh store. */
export function natsDifferences(
  options: () => Record<string, unknown>,
): Partial<Record<StoreFeature, Unsupported>> {
  const clock =
    'its servers keep time, so a test cannot move a clock: checked here in real time, with short durations';
  return {
    'max-bytes-of-data': {
      reason:
        'maxBytes and byte counts are of what JetStream stores of a message (subject, headers and data), not of data alone',
      async check(store) {
        await store.createStream({ name: 'b', maxBytes: 400 });
        for (let i = 0; i < 20; i++) await store.append('b', { data: new Uint8Array(16).fill(i) });
        const info = await store.streamInfo('b');
        expect(info.bytes).toBeGreaterThan(0);
        expect(info.bytes).toBeLessThanOrEqual(400);
        expect(info.messages).toBeLessThan(20);
        const kept = await store.read('b');
        expect(kept.at(-1)?.sequence).toBe(20);
        await refused(store.append('b', { data: new Uint8Array(401) }), 'ERR_MESSAGE_TOO_LARGE');
        // maxPerSubject maps as it is.
        await store.createStream({ name: 'subj', subjects: ['t.>'], maxPerSubject: 2 });
        for (const s of ['t.a', 't.b', 't.a', 't.a', 't.b', 't.a'])
          await store.append('subj', { data: bytes(s), subject: s });
        expect((await store.read('subj')).map((r) => `${r.sequence}:${r.subject}`)).toEqual([
          '2:t.b',
          '4:t.a',
          '5:t.b',
          '6:t.a',
        ]);
      },
    },
    'max-age-on-test-clock': {
      reason: `JetStream removes messages past maxAge itself (expire() has nothing to do); ${clock}`,
      async check(store) {
        await refused(
          openStreamStore({ driver: 'nats', options: options(), now: () => 0 }),
          'ERR_INVALID_SETTINGS',
        );
        await store.createStream({ name: 'aged', maxAgeMs: '1s' });
        await store.append('aged', { data: bytes('old') });
        expect((await store.streamInfo('aged')).messages).toBe(1);
        await eventually('the message past maxAge is removed', async () =>
          (await store.streamInfo('aged')).messages === 0 ? true : undefined,
        );
        expect(await store.expire()).toBe(0);
        expect((await store.append('aged', { data: bytes('new') })).sequence).toBe(2);
      },
    },
    'duplicate-window-on-test-clock': {
      reason: clock,
      async check(store) {
        await store.createStream({ name: 'd', duplicateWindowMs: '1s' });
        const a = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
        const again = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
        expect(again).toMatchObject({ sequence: a.sequence, duplicate: true });
        const [x, y] = await Promise.all([
          store.append('d', { data: bytes('b') }, { messageId: 'order-2' }),
          store.append('d', { data: bytes('b') }, { messageId: 'order-2' }),
        ]);
        expect(x?.duplicate).toBe(false);
        expect(y).toMatchObject({ sequence: x?.sequence, duplicate: true });
        const later = await eventually(
          'the id is stored again once out of the window',
          async () => {
            const r = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
            return r.duplicate ? undefined : r;
          },
        );
        expect(later.sequence).toBe(3);
        expect((await store.streamInfo('d')).messages).toBe(3);
      },
    },
    'flush-durability': {
      reason:
        'nats-server 2.9 syncs its files on its own schedule, not per message: durability flush is refused (ERR_STREAM_UNSUPPORTED); replicas are its way to survive the loss of a machine',
      async check(store) {
        await refused(
          store.createStream({ name: 'f', durability: 'flush' }),
          'ERR_STREAM_UNSUPPORTED',
        );
        await store.createStream({ name: 'c' });
        let stored = 0;
        const pending = ['a', 'b', 'c'].map((v) =>
          store.append('c', { data: bytes(v) }).then((r) => {
            stored++;
            return r.sequence;
          }),
        );
        await store.flush({ sync: true });
        expect(stored).toBe(3);
        expect(await Promise.all(pending)).toEqual([1, 2, 3]);
      },
    },
    'starts-on-test-clock': {
      reason: clock,
      async check(store) {
        await store.createStream({ name: 's', subjects: ['s.>'] });
        for (const [i, subject] of ['s.a', 's.b', 's.a', 's.c', 's.b'].entries())
          await store.append('s', { data: bytes(`${i + 1}`), subject });
        const third = (await store.get('s', 0, 3)).publishTime;
        const start = async (name: string, startAt: unknown) => {
          await store.createConsumer('s', { name, start: startAt });
          return texts(await store.pull('s', name, { max: 100 }));
        };
        expect(await start('new', 'new')).toEqual([]);
        expect(await start('earliest', 'earliest')).toEqual(['1', '2', '3', '4', '5']);
        expect(await start('latest', 'latest')).toEqual(['5']);
        expect(await start('seq', { sequence: 4 })).toEqual(['4', '5']);
        const fromThird = await start('time', { time: third });
        expect(fromThird.slice(-3)).toEqual(['3', '4', '5']);
        expect(await start('delta', '1h')).toEqual(['1', '2', '3', '4', '5']);
        expect(await start('last', 'last-per-subject')).toEqual(['3', '4', '5']);
        await store.append('s', { data: bytes('6'), subject: 's.a' });
        expect(texts(await store.pull('s', 'new', { max: 10 }))).toEqual(['6']);
        expect(texts(await store.pull('s', 'last', { max: 10 }))).toEqual(['6']);
      },
    },
    'pull-batch-on-test-clock': {
      reason: clock,
      async check(store) {
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
        const again = await eventually('the first comes again after its ack wait', async () => {
          const b = await store.pullBatch('p', 'c', { max: 1, metadataOnly: true });
          return b.count > 0 ? deliveriesOf('p', 'c', b) : undefined;
        });
        expect(again[0]).toMatchObject({ sequence: 1, deliveryCount: 2, size: 100 });
        expect(again[0]?.data.byteLength).toBe(0);
      },
    },
    'ack-range-on-test-clock': {
      reason: clock,
      async check(store) {
        await store.createStream({ name: 'a', partitions: 2 });
        for (let i = 1; i <= 8; i++)
          await store.append('a', { data: bytes(`${i}`) }, { partition: i % 2 });
        await store.createConsumer('a', { name: 'c', start: 'earliest', ackWaitMs: 1000 });
        expect((await store.pull('a', 'c', { max: 100 })).length).toBe(8);
        expect(await store.ackRange('a', 'c', 0, 1, 3)).toBe(3);
        expect(await store.ackRange('a', 'c', 0, 1, 3)).toBe(0);
        expect(await store.ackRange('a', 'c', 1, 2, 2)).toBe(1);
        await refused(store.ackRange('a', 'c', 5, 1, 2), 'ERR_INVALID_PARTITION');
        const due: string[] = [];
        await eventually('the four left come again after their ack wait', async () => {
          due.push(
            ...(await store.pull('a', 'c', { max: 100 })).map(
              (d) => `${d.partition}:${d.sequence}`,
            ),
          );
          return due.length >= 4 ? true : undefined;
        });
        expect(due.sort()).toEqual(['0:4', '1:1', '1:3', '1:4']);
        const positions = (await store.consumerInfo('a', 'c')).positions;
        expect(positions.map((q) => [q.ackFloor, q.pending])).toEqual([
          [3, 1],
          [0, 3],
        ]);
      },
    },
    'redelivery-on-test-clock': {
      reason: `${clock}; JetStream 2.9 lets a message go after its maxDeliveries but keeps the ack floor below it`,
      async check(store) {
        await store.createStream({ name: 'r' });
        for (const v of ['a', 'b', 'c', 'd']) await store.append('r', { data: bytes(v) });
        await store.createConsumer('r', {
          name: 'c',
          start: 'earliest',
          ackWaitMs: '1s',
          maxDeliveries: 2,
        });
        const first = await store.pull('r', 'c', { max: 10 });
        expect(first.map((d) => d.deliveryCount)).toEqual([1, 1, 1, 1]);
        const [a, b, c] = first as [Delivery, Delivery, Delivery, Delivery];
        expect(await store.ack('r', 'c', 0, a.sequence)).toBe(true);
        const before = Date.now();
        expect(await store.nak('r', 'c', 0, b.sequence, 300)).toBe(true);
        expect(await store.term('r', 'c', 0, c.sequence)).toBe(true);
        const due = (await store.nextRedelivery('r', 'c')) ?? 0;
        expect(due).toBeGreaterThanOrEqual(before + 300);
        // b (after its nak) and d (after the ack wait) come again, a and c never.
        const seen: string[] = [];
        await eventually('b and d are sent again', async () => {
          seen.push(
            ...(await store.pull('r', 'c', { max: 10 })).map(
              (d) => `${text(d.data)}${d.deliveryCount}`,
            ),
          );
          return seen.includes('b2') && seen.includes('d2') ? true : undefined;
        });
        expect([...seen].sort()).toEqual(['b2', 'd2']);
        // They have had their two deliveries: past another ack wait, a later message comes, they do not.
        const last = Date.now();
        await eventually('another ack wait has passed', async () => Date.now() > last + 1500);
        await store.append('r', { data: bytes('e') });
        const after = await eventually('the later message comes', async () => {
          const ds = await store.pull('r', 'c', { max: 10 });
          return ds.length > 0 ? ds : undefined;
        });
        expect(texts(after)).toEqual(['e']);
        expect(await store.ack('r', 'c', 0, a.sequence)).toBe(false);
        // JetStream lets them go, but its ack floor stays below them (the lmdb driver's moves past).
        expect((await store.consumerInfo('r', 'c')).positions[0]).toMatchObject({
          ackFloor: 1,
          nextSequence: 6,
          pending: 1,
        });
      },
    },
  };
}
