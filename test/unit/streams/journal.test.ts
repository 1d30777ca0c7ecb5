import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerMeta, StreamMeta } from '../../../src/streams/backend.ts';
import { streamConfig } from '../../../src/streams/config.ts';
import { JournalWriter, journalFiles, readJournal } from '../../../src/streams/journal.ts';
import {
  JournalRecorder,
  type JournalTarget,
  replayOperations,
} from '../../../src/streams/journal-ops.ts';

const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'callsign-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const frame = (text: string) => [Buffer.from(text)];
const texts = (dir: string) => readJournal(dir).frames.map((f) => [f.no, f.payload.toString()]);

describe('the journal of the lmdb driver', () => {
  it('reads back its frames in order, across files; released files are removed', () => {
    const dir = folder();
    const w = new JournalWriter(dir, 7);
    expect(w.append(frame('a'))).toBe(7);
    expect(w.append(frame('b'))).toBe(8);
    w.rotate();
    expect(w.append(frame('c'))).toBe(9);
    expect(journalFiles(dir)).toHaveLength(2);
    expect(texts(dir)).toEqual([
      [7, 'a'],
      [8, 'b'],
      [9, 'c'],
    ]);
    w.release(8);
    expect(journalFiles(dir)).toHaveLength(1);
    expect(texts(dir)).toEqual([[9, 'c']]);
    w.close();
  });

  it('stops at a frame cut short or damaged: what is read is a prefix of what was written', () => {
    const dir = folder();
    const w = new JournalWriter(dir, 1);
    for (const t of ['one', 'two', 'three']) w.append(frame(t));
    w.close();
    const [name] = journalFiles(dir) as [string];
    const path = join(dir, name);
    const whole = readFileSync(path);
    truncateSync(path, whole.length - 2);
    expect(readJournal(dir)).toMatchObject({ torn: true });
    expect(texts(dir)).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
    const damaged = Buffer.from(whole);
    damaged[20 + 3 + 20 + 1] = (damaged[20 + 3 + 20 + 1] as number) ^ 0xff; // inside "two"
    writeFileSync(path, damaged);
    expect(texts(dir)).toEqual([[1, 'one']]);
    writeFileSync(path, Buffer.concat([whole, Buffer.from('garbage that is no frame')]));
    expect(texts(dir)).toHaveLength(3);
    expect(readJournal(dir).torn).toBe(true);
  });

  it('syncs what was written, many waiters sharing one sync', async () => {
    const dir = folder();
    const w = new JournalWriter(dir, 1);
    w.append(frame('x'));
    const a = w.sync();
    w.append(frame('y'));
    const b = w.sync();
    await Promise.all([a, b, w.sync()]);
    await expect(w.sync()).resolves.toBeUndefined();
    w.close();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('keeps a file open while its sync runs: a checkpoint releasing it, or a close, does not fail the sync', async () => {
    const dir = folder();
    const w = new JournalWriter(dir, 1);
    const outcomes: string[] = [];
    const synced = () =>
      w.sync().then(
        () => 'synced',
        (err: Error) => err.message,
      );
    for (let round = 0; round < 50; round++) {
      w.append(frame(`x${round}`));
      const first = synced();
      // A checkpoint: LMDB now holds every frame, so the file goes while its sync may still run.
      w.rotate();
      w.release(w.last);
      // A frame of the next file, whose waiter shares the sync under way.
      w.append(frame(`y${round}`));
      const second = synced();
      outcomes.push(await first, await second);
    }
    w.append(frame('last'));
    const last = synced();
    w.close();
    outcomes.push(await last);
    expect(outcomes).toEqual(Array(101).fill('synced'));
    expect(journalFiles(dir)).toHaveLength(1);
  });

  it('records every write with its whole value and replays them in order', () => {
    const config = streamConfig({ name: 'orders', partitions: 2 });
    const stream: StreamMeta = { id: 3, config, created: 1000 };
    const consumer: ConsumerMeta = {
      config: {
        name: 'billing',
        start: { kind: 'earliest' },
        filter: '>',
        ackWaitMs: 30_000,
        maxDeliveries: 0,
        maxAckPending: 1000,
        mode: 'exclusive',
      },
      created: 1001,
      positions: [
        { next: 5, pending: new Uint8Array(new Float64Array([3, 1]).buffer) },
        { next: 9, pending: new Uint8Array(0), only: [2, 7], below: 8 },
      ],
    };
    const calls: unknown[][] = [];
    const target = new Proxy({} as JournalTarget, {
      get:
        (_, name) =>
        (...args: unknown[]) =>
          calls.push([name, ...args.map((a) => (a instanceof Uint8Array ? [...a] : a))]),
    });
    const r = new JournalRecorder();
    r.setNextId(4);
    r.putStream(stream);
    r.putPartition(3, 1, { first: 2, last: 10, messages: 9, bytes: 900, lastTime: 5 });
    r.putRecordBytes(3, 1, 10, new Uint8Array([1, 2, 3]));
    r.removeRecordAt(3, 1, 2);
    r.putConsumer(3, 'billing', consumer);
    r.putDuplicate(3, 'm-1', { partition: 1, sequence: 10, publishTime: 5 });
    r.deleteDuplicate(3, 'm-0');
    r.deleteConsumer(3, 'old');
    r.deleteStream(stream);
    replayOperations(r.take(), target);
    expect(r.empty).toBe(true);
    expect(calls).toEqual([
      ['setNextId', 4],
      ['putStream', stream],
      ['putPartition', 3, 1, { first: 2, last: 10, messages: 9, bytes: 900, lastTime: 5 }],
      ['putRecordBytes', 3, 1, 10, [1, 2, 3]],
      ['removeRecordAt', 3, 1, 2],
      [
        'putConsumer',
        3,
        'billing',
        {
          ...consumer,
          positions: consumer.positions.map((p) => ({ ...p, pending: p.pending })),
        },
      ],
      ['putDuplicate', 3, 'm-1', { partition: 1, sequence: 10, publishTime: 5 }],
      ['deleteDuplicate', 3, 'm-0'],
      ['deleteConsumer', 3, 'old'],
      ['deleteStream', stream],
    ]);
    expect(() => replayOperations(new Uint8Array([99]), target)).toThrow(
      expect.objectContaining({ code: 'ERR_STORAGE_CORRUPT' }),
    );
  });
});
