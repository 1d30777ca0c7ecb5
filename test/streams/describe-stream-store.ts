/**
 * The stream store compliance suite: the same behaviour of every driver
 * (`lmdb`, `memory`; JetStream to come). Streams, appends, retention,
 * duplicates, partitions and durability here; retention in
 * describe-stream-retention.ts, consumers in describe-stream-consumers.ts,
 * batches in describe-stream-batches.ts; what they share in store-suite-kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { describeStreamBatches } from './describe-stream-batches.ts';
import { describeStreamConsumers } from './describe-stream-consumers.ts';
import { describeStreamRetention } from './describe-stream-retention.ts';
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

export {
  bytes,
  featureTest,
  openFor,
  refused,
  type StoreFeature,
  type StreamStoreSetup,
  type TestClock,
  testClock,
  text,
  type Unsupported,
} from './store-suite-kit.ts';

/**
 * Runs the compliance suite against a driver.
 *
 * @example
 * ```ts
 * describeStreamStore('memory', () => ({ persistent: false, open: (now) => openStreamStore({ driver: 'memory', now }) }));
 * ```
 */
export function describeStreamStore(driver: string, setup: () => StreamStoreSetup): void {
  describe(`stream store compliance: ${driver}`, () => {
    const world = () => openWorld(setup);

    it('creates, lists, describes and deletes streams; create is idempotent, a different one is refused', async () => {
      const { store } = await world();
      const info = await store.createStream({ name: 'orders', partitions: 2, maxAgeMs: '7d' });
      expect(info.config).toMatchObject({
        name: 'orders',
        partitions: 2,
        maxAgeMs: 7 * 86_400_000,
        retention: 'limits',
      });
      expect(info.config.subjects).toEqual(['orders', 'orders.>']);
      expect(
        (await store.createStream({ name: 'orders', partitions: 2, maxAgeMs: '7d' })).config,
      ).toEqual(info.config);
      await refused(store.createStream({ name: 'orders', partitions: 3 }), 'ERR_STREAM_EXISTS');
      await store.createStream({ name: 'audit' });
      expect(await store.listStreams()).toEqual(['audit', 'orders']);
      expect(await store.listStreams({ after: 'audit' })).toEqual(['orders']);
      expect(await store.deleteStream('audit')).toBe(true);
      expect(await store.deleteStream('audit')).toBe(false);
      expect(await store.hasStream('audit')).toBe(false);
      await refused(store.streamInfo('audit'), 'ERR_UNKNOWN_STREAM');
      await refused(store.append('audit', { data: bytes('x') }), 'ERR_UNKNOWN_STREAM');
    });

    it('refuses invalid configurations with ERR_INVALID_STREAM', async () => {
      const { store } = await world();
      for (const bad of [
        { name: 'has space' },
        { name: '' },
        { name: 'x', partitions: 0 },
        { name: 'x', retention: 'forever' },
        { name: 'x', maxAgeMs: 'soon' },
        { name: 'x', subjects: ['a..b'] },
        { name: 'x', colour: 'blue' },
        { name: 'x', maxMessageSize: 0 },
      ]) {
        await refused(store.createStream(bad as never), 'ERR_INVALID_STREAM');
      }
      expect(await store.listStreams()).toEqual([]);
    });

    it('appends in order and gives back every field; pipelined appends take consecutive sequences', async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 'lab', subjects: ['lab.>'] });
      const first = await store.append('lab', {
        data: bytes('one'),
        subject: 'lab.strain.0',
        key: 'beam-0',
        properties: { unit: 'µε' },
        eventTime: clock.now() - 5,
        producer: 'gauge-0',
        type: 'laboratory.StrainReading',
      });
      expect(first).toEqual({
        stream: 'lab',
        partition: 0,
        sequence: 1,
        publishTime: setup().serverClock ? expect.any(Number) : clock.now(),
        duplicate: false,
      });
      const many = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          store.append('lab', { data: bytes(`m${i}`), subject: 'lab.strain.1' }),
        ),
      );
      expect(many.map((r) => r.sequence)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
      const [one] = await store.read('lab', { max: 1 });
      expect(one).toMatchObject({
        stream: 'lab',
        partition: 0,
        sequence: 1,
        subject: 'lab.strain.0',
        key: 'beam-0',
        properties: { unit: 'µε' },
        eventTime: clock.now() - 5,
        producer: 'gauge-0',
        type: 'laboratory.StrainReading',
        size: 3,
      });
      expect(text((one as { data: Uint8Array }).data)).toBe('one');
      const all = await store.read('lab', { from: 2, max: 1000 });
      expect(all.map((r) => text(r.data))).toEqual(many.map((_, i) => `m${i}`));
      expect((await store.read('lab', { filter: 'lab.strain.0' })).map((r) => r.sequence)).toEqual([
        1,
      ]);
      const info = await store.streamInfo('lab');
      expect(info.partitions[0]).toMatchObject({
        messages: 501,
        firstSequence: 1,
        lastSequence: 501,
      });
    });

    it('checks subjects: invalid ones and ones the stream does not bind are refused', async () => {
      const { store } = await world();
      await store.createStream({ name: 'lab', subjects: ['lab.*.reading', 'alarms'] });
      await store.append('lab', { data: bytes('a'), subject: 'lab.strain.reading' });
      await store.append('lab', { data: bytes('b'), subject: 'alarms' });
      await refused(
        store.append('lab', { data: bytes('c'), subject: 'lab.strain' }),
        'ERR_SUBJECT_NOT_BOUND',
      );
      await refused(store.append('lab', { data: bytes('c') }), 'ERR_SUBJECT_NOT_BOUND');
      for (const bad of ['', 'a..b', 'lab.*.reading', 'lab.>', 'a b']) {
        await refused(
          store.append('lab', { data: bytes('d'), subject: bad }),
          'ERR_INVALID_SUBJECT',
        );
      }
      expect((await store.streamInfo('lab')).messages).toBe(2);
    });

    it('appends only when the partition ends at the expected last sequence', async () => {
      const { store } = await world();
      await store.createStream({ name: 'ledger' });
      expect(
        (await store.append('ledger', { data: bytes('a') }, { expectedLastSequence: 0 })).sequence,
      ).toBe(1);
      await refused(
        store.append('ledger', { data: bytes('b') }, { expectedLastSequence: 0 }),
        'ERR_WRONG_LAST_SEQUENCE',
      );
      expect(
        (await store.append('ledger', { data: bytes('b') }, { expectedLastSequence: 1 })).sequence,
      ).toBe(2);
    });

    it('partitions by key hash (one key, one partition, in order) or by the partition named', async () => {
      const { store } = await world();
      await store.createStream({ name: 'p', partitions: 4 });
      const results = [];
      for (let i = 0; i < 40; i++)
        results.push(await store.append('p', { data: bytes(`${i}`), key: `device-${i % 5}` }));
      for (let k = 0; k < 5; k++) {
        const mine = results.filter((_, i) => i % 5 === k);
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
        const seqs = mine.map((r) => r.sequence);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expect(new Set(results.map((r) => r.partition)).size).toBeGreaterThan(1);
      expect((await store.append('p', { data: bytes('x') }, { partition: 3 })).partition).toBe(3);
      await refused(
        store.append('p', { data: bytes('x') }, { partition: 4 }),
        'ERR_INVALID_PARTITION',
      );
      await refused(store.read('p', { partition: -1 }), 'ERR_INVALID_PARTITION');
      const info = await store.streamInfo('p');
      expect(info.messages).toBe(41);
      expect(info.partitions.reduce((n, p) => n + p.lastSequence, 0)).toBe(41);
    });

    it('gets one message, or a byte range of its data; a missing one is ERR_NO_SUCH_RECORD', async () => {
      const { store } = await world();
      await store.createStream({ name: 'g' });
      await store.append('g', { data: bytes('0123456789') });
      expect(text((await store.get('g', 0, 1)).data)).toBe('0123456789');
      const part = await store.get('g', 0, 1, { offset: 2, length: 3 });
      expect(text(part.data)).toBe('234');
      expect(part.size).toBe(10);
      await refused(store.get('g', 0, 2), 'ERR_NO_SUCH_RECORD');
      await refused(store.get('g', 1, 1), 'ERR_INVALID_PARTITION');
    });

    it('purges all, by subject, or below a sequence; sequences are never reused', async () => {
      const { store } = await world();
      await store.createStream({ name: 'x', subjects: ['x.>'] });
      for (let i = 0; i < 6; i++)
        await store.append('x', { data: bytes(`${i}`), subject: i % 2 ? 'x.odd' : 'x.even' });
      expect(await store.purge('x', { filter: 'x.odd' })).toBe(3);
      expect(await store.purge('x', { keepFrom: 5 })).toBe(2);
      expect((await store.read('x')).map((r) => r.sequence)).toEqual([5]);
      expect(await store.purge('x')).toBe(1);
      expect((await store.append('x', { data: bytes('7'), subject: 'x.odd' })).sequence).toBe(7);
      expect((await store.streamInfo('x')).partitions[0]).toMatchObject({
        firstSequence: 7,
        lastSequence: 7,
        messages: 1,
      });
    });

    it('knows the last message of a subject', async () => {
      const { store } = await world();
      await store.createStream({ name: 'l', subjects: ['l.>'], partitions: 2 });
      await store.append('l', { data: bytes('1'), subject: 'l.a' });
      await store.append('l', { data: bytes('2'), subject: 'l.b' });
      await store.append('l', { data: bytes('3'), subject: 'l.a' });
      expect(text((await store.lastOfSubject('l', 'l.a'))?.data ?? bytes(''))).toBe('3');
      expect(await store.lastOfSubject('l', 'l.c')).toBeUndefined();
    });

    featureTest(
      driver,
      setup,
      'flush-durability',
      'acknowledges appends with flush durability after the sync, and flush() waits for every earlier append',
      async () => {
        const { store } = await world();
        await store.createStream({ name: 'f', durability: 'flush' });
        await store.createStream({ name: 'c' });
        const pending = [
          store.append('f', { data: bytes('a') }),
          store.append('c', { data: bytes('b') }),
        ];
        await store.flush({ sync: true });
        expect((await Promise.all(pending)).map((r) => r.sequence)).toEqual([1, 1]);
        expect(
          (await store.streamInfo('f')).messages + (await store.streamInfo('c')).messages,
        ).toBe(2);
      },
    );

    it('tells watchers of appends once they are committed', async () => {
      const { store } = await world();
      await store.createStream({ name: 'w' });
      const seen: string[] = [];
      const stop = store.watch((e) =>
        seen.push(e.kind === 'appended' ? `${e.stream}:${e.sequence}` : `deleted:${e.stream}`),
      );
      await store.append('w', { data: bytes('a') });
      await store.append('w', { data: bytes('b') });
      await store.deleteStream('w');
      await new Promise((r) => setImmediate(r));
      stop();
      expect(seen).toEqual(['w:1', 'w:2', 'deleted:w']);
    });

    if (setup().persistent) {
      it('keeps streams, messages, sequences and duplicate ids across close and open', async () => {
        const clock = testClock();
        const s = setup();
        const first = await s.open(clock.now);
        await first.createStream({ name: 'kept', maxMessages: 100, partitions: 2 });
        for (let i = 0; i < 10; i++)
          await first.append(
            'kept',
            { data: bytes(`${i}`), key: `k${i % 3}` },
            { messageId: `id-${i}` },
          );
        await first.purge('kept', { partition: 0 });
        const before = await first.streamInfo('kept');
        await first.close();
        const again = await openFor(s, clock);
        const after = await again.streamInfo('kept');
        expect(after).toEqual(before);
        expect(
          (await again.append('kept', { data: bytes('dup') }, { messageId: 'id-3' })).duplicate,
        ).toBe(true);
        const next = await again.append('kept', { data: bytes('new') }, { partition: 0 });
        expect(next.sequence).toBe((before.partitions[0]?.lastSequence ?? 0) + 1);
      });
    } else {
      it('starts empty each time it is opened (it keeps nothing)', async () => {
        const clock = testClock();
        const s = setup();
        const first = await s.open(clock.now);
        await first.createStream({ name: 'gone' });
        await first.close();
        const again = await openFor(s, clock);
        expect(await again.listStreams()).toEqual([]);
      });
    }

    describeStreamRetention(setup, driver);
    describeStreamConsumers(setup, driver);
    describeStreamBatches(setup, driver);
  });
}
