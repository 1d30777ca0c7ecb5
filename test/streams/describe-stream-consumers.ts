/**
 * The consumer half of the stream store compliance suite: start positions,
 * filters, acknowledgements, redelivery, retention by interest and work
 * queue, and resuming after the last acknowledgement.
 */
import { expect, it } from 'vitest';
import type { Delivery, StreamStore } from '../../src/streams/store.ts';
import {
  bytes,
  featureTest,
  openFor,
  openWorld,
  refused,
  type StreamStoreSetup,
  testClock,
  text,
} from './store-suite-kit.ts';

const texts = (ds: Delivery[]) => ds.map((d) => text(d.data));

async function fill(
  store: StreamStore,
  stream: string,
  values: string[],
  subject?: (v: string) => string,
) {
  for (const v of values)
    await store.append(stream, { data: bytes(v), ...(subject ? { subject: subject(v) } : {}) });
}

async function ackAll(store: StreamStore, ds: Delivery[]) {
  for (const d of ds)
    expect(await store.ack(d.stream, d.consumer, d.partition, d.sequence)).toBe(true);
}

export function describeStreamConsumers(setup: () => StreamStoreSetup, driver: string): void {
  const world = () => openWorld(setup);

  featureTest(
    driver,
    setup,
    'starts-on-test-clock',
    'starts a consumer at new, earliest, latest, a sequence, a time, a time delta, or last per subject',
    async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 's', subjects: ['s.>'] });
      for (const [i, subject] of ['s.a', 's.b', 's.a', 's.c', 's.b'].entries()) {
        await store.append('s', { data: bytes(`${i + 1}`), subject });
        clock.advance(1000);
      }
      const start = async (name: string, startAt: unknown) => {
        await store.createConsumer('s', { name, start: startAt });
        return texts(await store.pull('s', name, { max: 100 }));
      };
      const t0 = clock.now() - 5000;
      expect(await start('new', 'new')).toEqual([]);
      expect(await start('earliest', 'earliest')).toEqual(['1', '2', '3', '4', '5']);
      expect(await start('latest', 'latest')).toEqual(['5']);
      expect(await start('seq', { sequence: 4 })).toEqual(['4', '5']);
      expect(await start('time', { time: t0 + 2000 })).toEqual(['3', '4', '5']);
      expect(await start('delta', '2s')).toEqual(['4', '5']);
      expect(await start('last', 'last-per-subject')).toEqual(['3', '4', '5']);
      await store.append('s', { data: bytes('6'), subject: 's.a' });
      expect(texts(await store.pull('s', 'new', { max: 10 }))).toEqual(['6']);
      expect(texts(await store.pull('s', 'last', { max: 10 }))).toEqual(['6']);
    },
  );

  it('filters by subject pattern, and refuses bad consumers with codes', async () => {
    const { store } = await world();
    await store.createStream({ name: 'lab', subjects: ['lab.>'] });
    await fill(store, 'lab', ['strain.0', 'temp.0', 'strain.1', 'temp.1.x'], (v) => `lab.${v}`);
    await store.createConsumer('lab', {
      name: 'strain',
      start: 'earliest',
      filter: 'lab.strain.*',
    });
    await store.createConsumer('lab', { name: 'deep', start: 'earliest', filter: 'lab.temp.>' });
    expect(texts(await store.pull('lab', 'strain', { max: 10 }))).toEqual(['strain.0', 'strain.1']);
    expect(texts(await store.pull('lab', 'deep', { max: 10 }))).toEqual(['temp.0', 'temp.1.x']);
    await refused(
      store.createConsumer('lab', { name: 'bad', filter: 'lab..x' }),
      'ERR_INVALID_CONSUMER',
    );
    await refused(store.createConsumer('lab', { name: 'no spaces' }), 'ERR_INVALID_CONSUMER');
    await refused(
      store.createConsumer('lab', { name: 'strain', filter: 'lab.>' }),
      'ERR_CONSUMER_EXISTS',
    );
    await refused(store.createConsumer('nope', { name: 'c' }), 'ERR_UNKNOWN_STREAM');
    await refused(store.pull('lab', 'missing', { max: 1 }), 'ERR_UNKNOWN_CONSUMER');
    expect(await store.listConsumers('lab')).toEqual(['deep', 'strain']);
  });

  featureTest(
    driver,
    setup,
    'redelivery-on-test-clock',
    'sends again after the ack wait, after a nak (with its delay), never after a term; stops at maxDeliveries',
    async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 'r' });
      await fill(store, 'r', ['a', 'b', 'c', 'd']);
      await store.createConsumer('r', {
        name: 'c',
        start: 'earliest',
        ackWaitMs: '5s',
        maxDeliveries: 2,
      });
      const first = await store.pull('r', 'c', { max: 10 });
      expect(first.map((d) => d.deliveryCount)).toEqual([1, 1, 1, 1]);
      const [a, b, c] = first as [Delivery, Delivery, Delivery, Delivery];
      await store.ack('r', 'c', 0, a.sequence);
      await store.nak('r', 'c', 0, b.sequence, 2000);
      await store.term('r', 'c', 0, c.sequence);
      expect(await store.pull('r', 'c', { max: 10 })).toEqual([]);
      expect(await store.nextRedelivery('r', 'c')).toBe(clock.now() + 2000);
      clock.advance(2000);
      expect(
        (await store.pull('r', 'c', { max: 10 })).map((d) => `${text(d.data)}${d.deliveryCount}`),
      ).toEqual(['b2']);
      clock.advance(5000);
      const again = await store.pull('r', 'c', { max: 10 });
      expect(again.map((d) => `${text(d.data)}${d.deliveryCount}`)).toEqual(['d2']);
      clock.advance(5000);
      // b and d have had their two deliveries: they are left.
      expect(await store.pull('r', 'c', { max: 10 })).toEqual([]);
      expect(await store.ack('r', 'c', 0, a.sequence)).toBe(false);
      const info = await store.consumerInfo('r', 'c');
      expect(info.positions[0]).toMatchObject({ ackFloor: 4, nextSequence: 5, pending: 0 });
    },
  );

  it('keeps at most maxAckPending awaiting acknowledgement', async () => {
    const { store } = await world();
    await store.createStream({ name: 'm' });
    await fill(store, 'm', ['1', '2', '3', '4', '5']);
    await store.createConsumer('m', { name: 'c', start: 'earliest', maxAckPending: 2 });
    const one = await store.pull('m', 'c', { max: 10 });
    expect(texts(one)).toEqual(['1', '2']);
    expect(await store.pull('m', 'c', { max: 10 })).toEqual([]);
    await ackAll(store, one);
    expect(texts(await store.pull('m', 'c', { max: 10 }))).toEqual(['3', '4']);
  });

  it('delivers metadata only, and the data or a byte range of it on request', async () => {
    const { store } = await world();
    await store.createStream({ name: 'big' });
    await store.append('big', { data: bytes('a large payload'), key: 'k' });
    await store.createConsumer('big', { name: 'c', start: 'earliest' });
    const [d] = await store.pull('big', 'c', { max: 1, metadataOnly: true });
    expect(d).toMatchObject({ sequence: 1, size: 15, key: 'k' });
    expect(d?.data.byteLength).toBe(0);
    expect(text((await store.get('big', 0, 1, { offset: 2, length: 5 })).data)).toBe('large');
  });

  it('delivers every partition, in order within each', async () => {
    const { store } = await world();
    await store.createStream({ name: 'p', partitions: 3 });
    for (let i = 0; i < 30; i++) await store.append('p', { data: bytes(`${i}`), key: `k${i % 6}` });
    await store.createConsumer('p', { name: 'c', start: 'earliest' });
    const got: Delivery[] = [];
    for (let round = 0; round < 10 && got.length < 30; round++) {
      const ds = await store.pull('p', 'c', { max: 7 });
      await ackAll(store, ds);
      got.push(...ds);
    }
    expect(got).toHaveLength(30);
    for (let p = 0; p < 3; p++) {
      const seqs = got.filter((d) => d.partition === p).map((d) => d.sequence);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('interest retention keeps a message until every consumer that takes it has acknowledged it', async () => {
    const { store } = await world();
    await store.createStream({ name: 'i', retention: 'interest', subjects: ['i.>'] });
    await store.append('i', { data: bytes('nobody'), subject: 'i.a' });
    expect((await store.streamInfo('i')).messages).toBe(0);
    await store.createConsumer('i', { name: 'one', filter: 'i.>' });
    await store.createConsumer('i', { name: 'two', filter: 'i.a' });
    await store.append('i', { data: bytes('both'), subject: 'i.a' });
    await store.append('i', { data: bytes('one only'), subject: 'i.b' });
    await ackAll(store, await store.pull('i', 'one', { max: 10 }));
    await store.flush();
    expect((await store.read('i')).map((r) => text(r.data))).toEqual(['both']);
    await ackAll(store, await store.pull('i', 'two', { max: 10 }));
    await store.flush();
    expect((await store.streamInfo('i')).messages).toBe(0);
    await store.append('i', { data: bytes('later'), subject: 'i.a' });
    await store.deleteConsumer('i', 'two');
    await store.deleteConsumer('i', 'one');
    expect((await store.streamInfo('i')).messages).toBe(0);
  });

  it('work-queue retention removes a message once acknowledged; overlapping consumers are refused', async () => {
    const { store } = await world();
    await store.createStream({ name: 'jobs', retention: 'workqueue', subjects: ['jobs.>'] });
    await fill(store, 'jobs', ['a', 'b', 'c'], (v) => `jobs.${v}`);
    await store.createConsumer('jobs', { name: 'workers', start: 'earliest', filter: 'jobs.>' });
    await refused(
      store.createConsumer('jobs', { name: 'more', filter: 'jobs.a' }),
      'ERR_INVALID_CONSUMER',
    );
    const ds = await store.pull('jobs', 'workers', { max: 2 });
    await ackAll(store, ds);
    await store.flush();
    expect((await store.read('jobs')).map((r) => text(r.data))).toEqual(['c']);
  });

  it('a named consumer resumes after its last acknowledgement; unacknowledged ones come again', async () => {
    const clock = testClock();
    const s = setup();
    const store = await s.open(clock.now);
    await store.createStream({ name: 'q' });
    await fill(store, 'q', ['1', '2', '3', '4', '5']);
    await store.createConsumer('q', { name: 'report', start: 'earliest' });
    const ds = await store.pull('q', 'report', { max: 4 });
    const [d1, d2, , d4] = ds as Delivery[];
    for (const d of [d1, d2, d4]) await store.ack('q', 'report', 0, (d as Delivery).sequence);
    if (!s.persistent) {
      await store.close();
      const fresh = await openFor(s, clock);
      expect(await fresh.listStreams()).toEqual([]);
      return;
    }
    await store.close();
    const again = await openFor(s, clock);
    const next = await again.pull('q', 'report', { max: 10 });
    expect(next.map((d) => `${text(d.data)}:${d.deliveryCount}`)).toEqual(['3:2', '5:1']);
    expect((await again.consumerInfo('q', 'report')).positions[0]).toMatchObject({ ackFloor: 2 });
  });

  it('resetPending makes every delivery awaiting acknowledgement due at once (a failover)', async () => {
    const { store } = await world();
    await store.createStream({ name: 'f' });
    await fill(store, 'f', ['1', '2']);
    await store.createConsumer('f', { name: 'c', start: 'earliest', ackWaitMs: '1h' });
    await store.pull('f', 'c', { max: 10 });
    expect(await store.pull('f', 'c', { max: 10 })).toEqual([]);
    await store.resetPending('f', 'c');
    expect(texts(await store.pull('f', 'c', { max: 10 }))).toEqual(['1', '2']);
  });
}
