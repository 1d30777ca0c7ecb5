import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamConfigInput } from '../../../src/streams/config.ts';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { STORAGE_FILE } from '../../../src/streams/lmdb-backend.ts';
import { BLOCK, blockEntries, encodeBlock } from '../../../src/streams/record-block.ts';
import { encodeRecord } from '../../../src/streams/record-codec.ts';
import type { AppendItem, StreamStore } from '../../../src/streams/store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'callsign-record-blocks-'));
  dirs.push(d);
  return d;
}

/** The stored values of the records table, raw: how many, and how many are blocks. */
async function storedValues(dir: string): Promise<{ values: number; blocks: number }> {
  const env = open({ path: join(dir, STORAGE_FILE), maxDbs: 16, readOnly: true });
  const records = env.openDB({ name: 'records', encoding: 'binary' });
  let values = 0;
  let blocks = 0;
  for (const { value } of records.getRange({})) {
    values++;
    if ((value as Uint8Array)[0] === BLOCK) blocks++;
  }
  await env.close();
  return { values, blocks };
}

/** A small deterministic random source. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function item(rnd: () => number, i: number): AppendItem {
  const subject = `s.${Math.floor(rnd() * 4)}`;
  const key = rnd() < 0.7 ? `k${Math.floor(rnd() * 12)}` : undefined;
  const size = rnd() < 0.05 ? 20_000 : Math.floor(rnd() * 300);
  return {
    record: {
      subject,
      data: new Uint8Array(size).fill(i % 251),
      ...(key === undefined ? {} : { key }),
      ...(i % 7 === 0 ? { properties: { i: String(i) } } : {}),
    },
  };
}

/** Everything a reader can see of a stream, as plain values. */
async function view(store: StreamStore, last: number) {
  const all = await store.read('s', { from: 1, max: 100_000 });
  const plain = all.map((r) => [r.sequence, r.subject, r.key, r.size, r.properties, [...r.data]]);
  const pages: number[] = [];
  for (const from of [1, 2, 37, 100, 255, 256, 257, 401, last]) {
    const page = await store.readBatch('s', { from, max: 13 });
    pages.push(page.count, page.next, ...page.positions);
  }
  const filtered = (await store.read('s', { from: 1, max: 100_000, filter: 's.2' })).map(
    (r) => r.sequence,
  );
  const meta = (await store.read('s', { from: 50, max: 40, metadataOnly: true })).map((r) => [
    r.sequence,
    r.size,
    r.data.byteLength,
  ]);
  const got: unknown[] = [];
  for (let seq = 1; seq <= last; seq += 3) {
    got.push(
      await store.get('s', 0, seq).then(
        (r) => [...r.data.subarray(0, 4)],
        (e) => e.code,
      ),
    );
  }
  const lasts: unknown[] = [];
  for (const subject of ['s.0', 's.1', 's.2', 's.3'])
    lasts.push((await store.lastOfSubject('s', subject))?.sequence);
  const info = await store.streamInfo('s');
  // Publish times differ between the two stores; everything else must not.
  const partitions = info.partitions.map(({ firstTime: _f, lastTime: _l, ...rest }) => rest);
  return { plain, pages, filtered, meta, got, lasts, partitions };
}

async function both(
  config: Partial<StreamConfigInput>,
  rounds: ((s: StreamStore) => Promise<void>)[],
): Promise<string> {
  const dir = folder();
  let lmdb = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
  const memory = await openStreamStore({ driver: 'memory' });
  for (const s of [lmdb, memory]) await s.createStream({ name: 's', subjects: ['s.>'], ...config });
  const steps = rounds.length;
  for (let k = 0; k < steps; k++) {
    // Each step's appends in one call: one transaction, so many records to a value.
    for (const s of [lmdb, memory]) await rounds[k]?.(s);
    if (k === 1) {
      await lmdb.close();
      lmdb = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    }
  }
  const last = (await memory.streamInfo('s')).partitions[0]?.lastSequence ?? 0;
  expect(await view(lmdb, last)).toEqual(await view(memory, last));
  await lmdb.close();
  await memory.close();
  return dir;
}

describe('records stored many to a value (lmdb)', () => {
  it('stores one transaction’s appends as blocks, and reads them as the memory driver does', async () => {
    const rnd = random(1);
    let i = 0;
    // The same items for both stores: made once per step.
    const steps = [600, 1, 300, 45, 1, 1, 200].map((n) => {
      const made = Array.from({ length: n }, () => item(rnd, i++));
      return (s: StreamStore) => s.appendBatch('s', made).then(() => {});
    });
    const dir = await both({}, steps);
    const { values, blocks } = await storedValues(dir);
    expect(blocks).toBeGreaterThan(4);
    expect(values).toBeLessThan(1148 / 10);
  });

  it('removes single records from inside blocks: compaction, per-subject limits, message limits, purges', async () => {
    for (const [seed, config] of [
      [2, { compact: true }],
      [3, { maxPerSubject: 5 }],
      [4, { maxMessages: 150 }],
      [5, { maxPerKey: 2, maxBytes: 200_000 }],
    ] as const) {
      const rnd = random(seed);
      let i = 0;
      const steps = [400, 1, 120, 1, 300].map((n) => {
        const made = Array.from({ length: n }, () => item(rnd, i++));
        return (s: StreamStore) => s.appendBatch('s', made).then(() => {});
      });
      steps.push(async (s) => {
        await s.purge('s', { filter: 's.3' });
      });
      steps.push(async (s) => {
        await s.purge('s', { keepFrom: 700 });
      });
      await both(config, steps);
    }
  });

  it('acks of a work queue remove records from inside blocks, as the memory driver does', async () => {
    const rnd = random(6);
    let i = 0;
    const made = Array.from({ length: 500 }, () => item(rnd, i++));
    const steps = [
      (s: StreamStore) => s.appendBatch('s', made).then(() => {}),
      async (s: StreamStore) => {
        await s.createConsumer('s', { name: 'w', start: 'earliest' });
        for (const d of await s.pull('s', 'w', { max: 500 })) {
          if (d.sequence % 3 !== 0) await s.ack('s', 'w', d.partition, d.sequence);
        }
      },
    ];
    await both({ retention: 'workqueue' }, steps);
  });

  it('opens a store of records one to a value (format 1) as it is, and packs what comes after', async () => {
    const dir = folder();
    let store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    await store.createStream({ name: 's', subjects: ['s.>'] });
    // One append per transaction: each record a value of its own, as format 1 stores them.
    for (let i = 0; i < 40; i++)
      await store.append('s', { subject: 's.a', data: new Uint8Array([i]) });
    await store.close();
    expect(await storedValues(dir)).toEqual({ values: 40, blocks: 0 });
    {
      const env = open({ path: join(dir, STORAGE_FILE), maxDbs: 16 });
      await env
        .openDB({ name: 'callsign.meta' })
        .put('format', { format: 'callsign-streams', version: 1 });
      await env.close();
    }
    store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    expect((await store.read('s', { from: 1, max: 100 })).map((r) => r.data[0])).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    await store.appendBatch(
      's',
      Array.from({ length: 60 }, (_, i) => ({
        record: { subject: 's.b', data: new Uint8Array([40 + i]) },
      })),
    );
    expect((await store.read('s', { from: 30, max: 100 })).map((r) => r.data[0])).toEqual(
      Array.from({ length: 71 }, (_, i) => 29 + i),
    );
    expect((await store.lastOfSubject('s', 's.a'))?.sequence).toBe(40);
    await store.close();
    expect(await storedValues(dir)).toEqual({ values: 41, blocks: 1 });
    const env = open({ path: join(dir, STORAGE_FILE), maxDbs: 16, readOnly: true });
    expect(env.openDB({ name: 'callsign.meta' }).get('format')).toEqual({
      format: 'callsign-streams',
      version: 2,
    });
    await env.close();
  });

  it('a damaged block is ERR_STORAGE_CORRUPT for its reader; the other streams go on', async () => {
    const dir = folder();
    const store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    for (const name of ['good', 'hurt']) {
      await store.createStream({ name });
      await store.appendBatch(
        name,
        Array.from({ length: 10 }, (_, i) => ({ record: { data: new Uint8Array([i]) } })),
      );
    }
    await store.close();
    const env = open({ path: join(dir, STORAGE_FILE), maxDbs: 16 });
    const records = env.openDB({ name: 'records', encoding: 'binary' });
    const hurtId = (env.openDB({ name: 'streams' }).get('hurt') as { id: number }).id;
    const block = records.get([hurtId, 0, 1]) as Buffer;
    expect(block[0]).toBe(BLOCK);
    expect(blockEntries(block).sequences).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await records.put([hurtId, 0, 1], block.subarray(0, block.length - 3));
    await env.close();
    const reopened = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    await expect(reopened.read('hurt')).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    await expect(reopened.get('hurt', 0, 10)).rejects.toMatchObject({
      code: 'ERR_STORAGE_CORRUPT',
    });
    expect((await reopened.read('good')).map((r) => r.data[0])).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect((await reopened.append('good', { data: new Uint8Array([3]) })).sequence).toBe(11);
    await reopened.close();
  });

  it('encodes a block that lists its entries back', () => {
    const records = [1, 2, 3].map((i) =>
      encodeRecord({ publishTime: i, subject: 'x', data: new Uint8Array([i]) }),
    );
    const block = encodeBlock(0, [4, 6, 9], records);
    const back = blockEntries(block);
    expect(back.sequences).toEqual([4, 6, 9]);
    expect(
      back.records.map((r) => Buffer.from(r).equals(records[back.records.indexOf(r)] as Buffer)),
    ).toEqual([true, true, true]);
    expect(blockEntries(block, 6).sequences).toEqual([4, 9]);
  });
});
