import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { SHORT_SPAN } from '../../../src/streams/log-consumers.ts';
import type { StreamStore } from '../../../src/streams/store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function stores(): Promise<[string, StreamStore][]> {
  const path = mkdtempSync(join(tmpdir(), 'callsign-short-pulls-'));
  dirs.push(path);
  return [
    ['memory', await openStreamStore({ driver: 'memory' })],
    ['lmdb', await openStreamStore({ driver: 'lmdb', options: { path } })],
  ];
}

describe('pulls of a consumer that keeps up', () => {
  it('look up a few new messages one by one as a range would: gaps, filters and the window', async () => {
    for (const [driver, store] of await stores()) {
      await store.createStream({ name: 's', subjects: ['s.>'], retention: 'workqueue' });
      await store.createConsumer('s', { name: 'a', start: 'new', filter: 's.a' });
      await store.createConsumer('s', { name: 'b', start: 'new', filter: 's.b' });
      const seen: number[] = [];
      for (let round = 0; round < 3; round++) {
        // Fewer than SHORT_SPAN new ones: b's acknowledgement removes one in between.
        const subjects = ['s.a', 's.b', 's.a'].slice(0, SHORT_SPAN - 1);
        for (const subject of subjects)
          await store.append('s', { data: new Uint8Array(3), subject });
        for (const d of await store.pull('s', 'b', { max: 10 })) {
          await store.ack('s', 'b', d.partition, d.sequence);
        }
        const got = await store.pull('s', 'a', { max: 1 });
        const rest = await store.pull('s', 'a', { max: 10 });
        seen.push(...[...got, ...rest].map((d) => d.sequence));
        expect(got.length, driver).toBe(1);
      }
      expect(seen, driver).toEqual([1, 3, 4, 6, 7, 9]);
      expect((await store.consumerInfo('s', 'a')).positions[0]).toMatchObject({
        pending: 6,
        nextSequence: 10,
      });
      await store.close();
    }
  });

  it('size their page to what can come, so a small delivery or none holds no large buffer', async () => {
    for (const [driver, store] of await stores()) {
      await store.createStream({ name: 's' });
      await store.createConsumer('s', { name: 'c', start: 'new' });
      const none = await store.pullBatch('s', 'c', { max: 1024 });
      expect(none.count, driver).toBe(0);
      expect(none.bytes.buffer.byteLength, driver).toBeLessThanOrEqual(8192);
      await store.append('s', { data: new Uint8Array(256) });
      const one = await store.pullBatch('s', 'c', { max: 1024 });
      expect(one.count, driver).toBe(1);
      expect(one.bytes.buffer.byteLength, driver).toBeLessThanOrEqual(8192);
      await store.close();
    }
  });
});
