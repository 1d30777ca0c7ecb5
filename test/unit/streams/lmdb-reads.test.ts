import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import type { StreamStore } from '../../../src/streams/store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function lmdbStore(dir?: string): Promise<{ store: StreamStore; dir: string }> {
  const path = dir ?? mkdtempSync(join(tmpdir(), 'callsign-lmdb-reads-'));
  if (!dir) dirs.push(path);
  return { store: await openStreamStore({ driver: 'lmdb', options: { path } }), dir: path };
}

/** Sizes from a few bytes to values LMDB keeps on overflow pages of their own. */
const SIZES = [1, 200, 4000, 70_000, 3, 9000];
const dataOf = (i: number) => new Uint8Array(SIZES[i % SIZES.length] as number).fill(i % 251);

async function expectAll(store: StreamStore, count: number): Promise<void> {
  let from = 1;
  let seen = 0;
  while (seen < count) {
    const page = await store.read('s', { from, max: 7 });
    expect(page.length).toBeGreaterThan(0);
    for (const r of page) {
      expect(r.sequence).toBe(seen + 1);
      expect(Buffer.from(r.data).equals(Buffer.from(dataOf(seen)))).toBe(true);
      seen++;
    }
    from = seen + 1;
  }
  await store.createConsumer('s', { name: `c${count}`, start: 'earliest' });
  const delivered = await store.pull('s', `c${count}`, { max: count });
  expect(
    delivered.map((d) => Buffer.from(d.data).equals(Buffer.from(dataOf(d.sequence - 1)))),
  ).toEqual(new Array(count).fill(true));
}

describe('reading many records of the lmdb driver at once', () => {
  it('gives each record its own bytes, small or large, before and after a checkpoint', async () => {
    const { store, dir } = await lmdbStore();
    await store.createStream({ name: 's', subjects: ['s'] });
    const count = 4 * SIZES.length;
    await Promise.all(
      Array.from({ length: count }, (_, i) => store.append('s', { data: dataOf(i) })),
    );
    await expectAll(store, count); // in the open transaction
    await store.close();
    const again = await lmdbStore(dir);
    await expectAll(again.store, count); // committed
    await again.store.close();
  });

  it('gives sizes and subjects right in filtered and metadata-only pages', async () => {
    const { store } = await lmdbStore();
    await store.createStream({ name: 's', subjects: ['s.>'] });
    const subjects = ['s.a', 's.bbbb', 's.a', 's.cc'];
    const count = 3 * SIZES.length;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        store.append('s', { data: dataOf(i), subject: subjects[i % subjects.length] as string }),
      ),
    );
    const want = Array.from({ length: count }, (_, i) => i).filter((i) => i % 2 === 0);
    const page = await store.read('s', { from: 1, max: count, filter: 's.a', metadataOnly: true });
    expect(page.map((r) => [r.sequence, r.subject, r.size, r.data.byteLength])).toEqual(
      want.map((i) => [i + 1, 's.a', SIZES[i % SIZES.length], 0]),
    );
    await store.createConsumer('s', { name: 'cc', start: 'earliest', filter: 's.cc' });
    const delivered = await store.pull('s', 'cc', { max: count });
    expect(delivered.map((d) => [d.sequence, d.subject, d.size])).toEqual(
      Array.from({ length: count }, (_, i) => i)
        .filter((i) => i % 4 === 3)
        .map((i) => [i + 1, 's.cc', SIZES[i % SIZES.length]]),
    );
    await store.close();
  });
});
