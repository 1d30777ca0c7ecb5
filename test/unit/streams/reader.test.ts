import { describe, expect, it } from 'vitest';
import { openReader } from '../../../src/index.ts';
import type { StoredRecord, StreamStore } from '../../../src/streams/store.ts';
import { run, world } from './host-world.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Two partitions of 150 messages each (every tenth on log.tenth), and 25 000 passed over before one. */
async function fill(store: StreamStore): Promise<void> {
  await store.createStream({ name: 'log', partitions: 2, subjects: ['log.>'] });
  for (let i = 1; i <= 300; i++) {
    await store.append(
      'log',
      { data: bytes(`m${i}`), subject: i % 10 === 0 ? 'log.tenth' : 'log.other' },
      { partition: i % 2 },
    );
  }
  await store.createStream({ name: 'sparse', subjects: ['log.>'] });
  const other = { record: { data: bytes('x'), subject: 'log.other' } };
  await store.appendBatch('sparse', Array(25_000).fill(other));
  await store.append('sparse', { data: bytes('found'), subject: 'log.tenth' });
}

/** Reads until an empty page (the end). */
async function readAll(reader: ReturnType<typeof openReader>): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (let pages = 0; pages < 1000; pages++) {
    const { records } = await reader.read();
    if (records.length === 0) return out;
    out.push(...records);
  }
  throw new Error('the reader did not reach the end');
}

describe('stream readers (in one process)', () => {
  it('reads a partition found by name in order, page after page, to the end', async () => {
    const { node } = await world(fill);
    const got = await run(node, async (self) => {
      const reader = openReader(self, 'log', { scope: 'process', partition: 1, pageSize: 7 });
      const all = await readAll(reader);
      const next = reader.next;
      reader.close();
      return { all, next };
    });
    expect(got.all.map((r) => r.sequence)).toEqual([...Array(150)].map((_, i) => i + 1));
    expect(got.all.map((r) => text(r.data))).toEqual(
      [...Array(150)].map((_, i) => `m${2 * i + 1}`),
    );
    expect(got.all.every((r) => r.stream === 'log' && r.partition === 1)).toBe(true);
    expect(got.next).toBe(151);
  });

  it('filters by subject across pages that hold nothing, leaves data out on request, and starts where told', async () => {
    const { node } = await world(fill);
    const got = await run(node, async (self) => {
      const filtered = openReader(self, 'log', {
        scope: 'process',
        filter: 'log.tenth',
        pageSize: 4,
      });
      const tenth = await readAll(filtered);
      filtered.close();
      // Far more passed over than one page scans: pages that hold nothing come first.
      const sparse = openReader(self, 'sparse', { scope: 'process', filter: 'log.tenth' });
      const found = (await readAll(sparse)).map((r) => `${r.sequence}:${text(r.data)}`);
      sparse.close();
      const meta = openReader(self, 'log', { scope: 'process', from: 140, metadataOnly: true });
      const tail = await readAll(meta);
      meta.close();
      return { tenth, tail, found };
    });
    // Partition 0 holds the even messages: every fifth of them is a tenth.
    expect(got.tenth.map((r) => text(r.data))).toEqual(
      [...Array(30)].map((_, i) => `m${10 * (i + 1)}`),
    );
    expect(got.found).toEqual(['25001:found']);
    expect(got.tail.map((r) => r.sequence)).toEqual([...Array(11)].map((_, i) => i + 140));
    expect(got.tail.every((r) => r.data.byteLength === 0 && r.size > 0)).toBe(true);
  });

  it('waits for the next append when asked to, and rejects with the host code for an unknown partition', async () => {
    const { node, store } = await world(fill);
    const got = await run(node, async (self) => {
      const reader = openReader(self, 'log', { scope: 'process', from: 151 });
      expect((await reader.read()).records).toEqual([]);
      const waiting = reader.read({ waitMs: 10_000 });
      await store.append('log', { data: bytes('late'), subject: 'log.other' }, { partition: 0 });
      const late = (await waiting).records.map((r) => text(r.data));
      reader.close();
      const wrong = openReader(self, 'log', { scope: 'process', partition: 7 });
      const code = await wrong.read().then(
        () => 'read',
        (err: { code?: string }) => err.code,
      );
      wrong.close();
      return { late, code };
    });
    expect(got.late).toEqual(['late']);
    expect(got.code).toBe('ERR_INVALID_PARTITION');
  });
});
