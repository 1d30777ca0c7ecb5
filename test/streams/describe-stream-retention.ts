/**
 * The retention part of the stream store compliance suite: maximum message
 * size, maxMessages (discard old or refuse new), maxBytes, maxPerSubject,
 * maxAge and compaction by key.
 */
import { expect, it } from 'vitest';
import {
  bytes,
  featureTest,
  openWorld,
  refused,
  type StreamStoreSetup,
  text,
} from './store-suite-kit.ts';

export function describeStreamRetention(setup: () => StreamStoreSetup, driver: string): void {
  const world = () => openWorld(setup);

  it('refuses a message above maxMessageSize and keeps serving', async () => {
    const { store } = await world();
    await store.createStream({ name: 's', maxMessageSize: 16 });
    await refused(store.append('s', { data: new Uint8Array(17) }), 'ERR_MESSAGE_TOO_LARGE');
    expect((await store.append('s', { data: new Uint8Array(16) })).sequence).toBe(1);
  });

  it('keeps maxMessages, discarding the oldest; or refuses new ones with ERR_STREAM_FULL', async () => {
    const { store } = await world();
    await store.createStream({ name: 'old', maxMessages: 3 });
    for (let i = 1; i <= 5; i++) await store.append('old', { data: bytes(`${i}`) });
    expect((await store.read('old')).map((r) => text(r.data))).toEqual(['3', '4', '5']);
    expect((await store.streamInfo('old')).partitions[0]).toMatchObject({
      firstSequence: 3,
      lastSequence: 5,
      messages: 3,
    });
    await store.createStream({ name: 'new', maxMessages: 3, discard: 'new' });
    for (let i = 1; i <= 3; i++) await store.append('new', { data: bytes(`${i}`) });
    await refused(store.append('new', { data: bytes('4') }), 'ERR_STREAM_FULL');
    expect((await store.read('new')).map((r) => text(r.data))).toEqual(['1', '2', '3']);
  });

  featureTest(driver, setup, 'max-bytes-of-data', 'keeps maxBytes and maxPerSubject', async () => {
    const { store } = await world();
    await store.createStream({ name: 'b', maxBytes: 10 });
    for (let i = 0; i < 4; i++) await store.append('b', { data: new Uint8Array(4).fill(i) });
    const info = await store.streamInfo('b');
    expect(info.bytes).toBe(8);
    expect((await store.read('b')).map((r) => r.sequence)).toEqual([3, 4]);
    await refused(store.append('b', { data: new Uint8Array(11) }), 'ERR_MESSAGE_TOO_LARGE');

    await store.createStream({ name: 'subj', subjects: ['t.>'], maxPerSubject: 2 });
    for (const s of ['t.a', 't.b', 't.a', 't.a', 't.b', 't.a'])
      await store.append('subj', { data: bytes(s), subject: s });
    expect((await store.read('subj')).map((r) => `${r.sequence}:${r.subject}`)).toEqual([
      '2:t.b',
      '4:t.a',
      '5:t.b',
      '6:t.a',
    ]);
  });

  featureTest(
    driver,
    setup,
    'max-age-on-test-clock',
    'removes messages past maxAge on expire',
    async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 'aged', maxAgeMs: '1m' });
      await store.append('aged', { data: bytes('old') });
      clock.advance(40_000);
      await store.append('aged', { data: bytes('newer') });
      clock.advance(30_000);
      expect(await store.expire()).toBe(1);
      expect((await store.read('aged')).map((r) => text(r.data))).toEqual(['newer']);
    },
  );

  it('compacts by key: the last message per key is kept, messages without a key always', async () => {
    const { store } = await world();
    await store.createStream({ name: 'prices', compact: true });
    const put = (key: string | undefined, v: string) =>
      store.append('prices', { data: bytes(v), ...(key ? { key } : {}) });
    await put('apple', 'a1');
    await put(undefined, 'n1');
    await put('pear', 'p1');
    await put('apple', 'a2');
    await put(undefined, 'n2');
    await put('apple', 'a3');
    expect((await store.read('prices')).map((r) => text(r.data))).toEqual(['n1', 'p1', 'n2', 'a3']);
    await store.createStream({ name: 'two', maxPerKey: 2 });
    for (const v of ['1', '2', '3']) await store.append('two', { data: bytes(v), key: 'k' });
    expect((await store.read('two')).map((r) => text(r.data))).toEqual(['2', '3']);
  });

  featureTest(
    driver,
    setup,
    'duplicate-window-on-test-clock',
    'stores a message id once within the duplicate window',
    async () => {
      const { store, clock } = await world();
      await store.createStream({ name: 'd', duplicateWindowMs: '10s' });
      const a = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
      const again = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
      expect(again).toEqual({ ...a, duplicate: true });
      const [x, y] = await Promise.all([
        store.append('d', { data: bytes('b') }, { messageId: 'order-2' }),
        store.append('d', { data: bytes('b') }, { messageId: 'order-2' }),
      ]);
      expect(x?.duplicate).toBe(false);
      expect(y).toEqual({ ...x, duplicate: true });
      clock.advance(11_000);
      const later = await store.append('d', { data: bytes('a') }, { messageId: 'order-1' });
      expect(later).toMatchObject({ duplicate: false, sequence: 3 });
      expect((await store.streamInfo('d')).messages).toBe(3);
    },
  );
}
