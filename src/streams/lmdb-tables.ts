/**
 * The named databases of an `lmdb` store, read and written directly:
 * streams, partition counters, records (in the compact form of
 * record-codec.ts), the subject and key indexes, consumers and duplicate
 * ids. Writes go into whatever write transaction is open; the backend
 * journals them (lmdb-backend.ts), and a journal's frames are applied
 * again through the same writes.
 *
 * @module
 */
import type { Database } from 'lmdb';
import type {
  BlockFn,
  ConsumerMeta,
  DuplicateEntry,
  PartitionMeta,
  RecordBytesFn,
  RecordData,
  StreamMeta,
} from './backend.ts';
import type { JournalTarget } from './journal-ops.ts';
import { lastView, type StoreTables } from './lmdb-file.ts';
import {
  BLOCK_BYTES,
  BLOCK_RECORDS,
  blockEntries,
  blockHeader,
  encodeBlock,
  forBlockEntries,
  isBlock,
} from './record-block.ts';
import { decodeRecord } from './record-codec.ts';

const MAX = Number.MAX_SAFE_INTEGER;

type Key = (string | number)[];

/** Records put in the open transaction and not yet written: one partition's, in order. */
interface Pending {
  readonly id: number;
  readonly partition: number;
  readonly sequences: number[];
  readonly records: Uint8Array[];
}

/** Reads and direct writes of a store's databases. */
export interface LmdbTables extends JournalTarget {
  /** `record` is what `bytes` decode to, when the caller has it (else they are decoded). */
  putRecordBytes(
    id: number,
    partition: number,
    sequence: number,
    bytes: Uint8Array,
    record?: RecordData,
  ): void;
  nextId(): number;
  getStream(name: string): StreamMeta | undefined;
  listStreams(after: string | undefined, max: number): string[];
  getPartition(id: number, partition: number): PartitionMeta | undefined;
  getRecordBytes(id: number, partition: number, sequence: number): Uint8Array | undefined;
  getRecord(id: number, partition: number, sequence: number): RecordData | undefined;
  /** Removes a record and its index entries, given what it was. */
  removeRecord(id: number, partition: number, sequence: number, record: RecordData): void;
  records(id: number, partition: number, from: number): Iterable<[number, RecordData]>;
  /** Stored bytes from `from` on (see `LogBackend.forRecordBytes`: valid only during `fn`). */
  forRecordBytes(
    id: number,
    partition: number,
    from: number,
    fn: RecordBytesFn,
    block?: BlockFn,
  ): void;
  /**
   * Writes the records put since the last call, many to a value
   * (record-block.ts). Called at the end of each write transaction's work
   * (and of a journal's replay), inside it.
   */
  packPending(): void;
  subjectSequences(id: number, partition: number, subject: string): Iterable<number>;
  subjectCount(id: number, partition: number, subject: string): number;
  lastPerSubject(id: number, partition: number): Iterable<[string, number]>;
  keySequences(id: number, partition: number, key: string): Iterable<number>;
  keyCount(id: number, partition: number, key: string): number;
  consumers(id: number): Iterable<[string, ConsumerMeta]>;
  duplicates(id: number): Iterable<[string, DuplicateEntry]>;
}

/** The tables of an open store file. */
export function lmdbTables(t: StoreTables): LmdbTables {
  const { meta, streams, partitions, records, recordViews, subjects, keys, consumers, duplicates } =
    t;

  function* keysOf(db: Database, start: Key, end: Key): Iterable<Key> {
    for (const key of db.getKeys({ start, end })) yield key as Key;
  }

  function removeRange(db: Database, start: Key, end: Key): void {
    for (const key of [...keysOf(db, start, end)]) db.removeSync(key);
  }

  const pending = new Map<string, Pending>();

  /**
   * The stored value that holds `seq` if any (a record under its own
   * sequence, or a block under its first): the key's sequence and the value.
   */
  function storedAt(
    id: number,
    p: number,
    seq: number,
  ): { key: number; value: Uint8Array } | undefined {
    const own = records.get([id, p, seq]) as Uint8Array | undefined;
    if (own !== undefined) return { key: seq, value: own };
    for (const { key, value } of records.getRange({
      start: [id, p, seq],
      end: [id, p, 0],
      reverse: true,
      limit: 1,
    })) {
      const v = value as Uint8Array;
      if (isBlock(v) && blockHeader(v).last >= seq)
        return { key: (key as Key)[2] as number, value: v };
    }
    return undefined;
  }

  /** Writes one partition's pending records: one alone as it is, more as blocks. */
  function writePacked(q: Pending): void {
    const { id, partition: p, sequences, records: recs } = q;
    let i = 0;
    while (i < sequences.length) {
      let j = i;
      let bytes = 0;
      while (j < sequences.length && j - i < BLOCK_RECORDS && bytes < BLOCK_BYTES) {
        bytes += (recs[j] as Uint8Array).byteLength;
        j++;
      }
      const first = sequences[i] as number;
      records.putSync(
        [id, p, first],
        j - i === 1
          ? (recs[i] as Uint8Array)
          : encodeBlock(p, sequences.slice(i, j), recs.slice(i, j)),
      );
      i = j;
    }
  }

  const tables: LmdbTables = {
    nextId: () => (meta.get('nextId') as number | undefined) ?? 1,
    setNextId(next) {
      meta.putSync('nextId', next);
    },
    getStream: (name) => streams.get(name) as StreamMeta | undefined,
    putStream(m) {
      streams.putSync(m.config.name, m);
    },
    deleteStream(m) {
      const id = m.id;
      for (const [k, q] of pending) if (q.id === id) pending.delete(k);
      for (const db of [partitions, records, subjects, keys, consumers, duplicates]) {
        removeRange(db, [id], [id, MAX]);
      }
      streams.removeSync(m.config.name);
    },
    listStreams(after, max) {
      const names: string[] = [];
      for (const name of streams.getKeys(after === undefined ? {} : { start: after })) {
        if (name === after) continue;
        names.push(String(name));
        if (names.length >= max) break;
      }
      return names;
    },

    getPartition: (id, p) => partitions.get([id, p]) as PartitionMeta | undefined,
    putPartition(id, p, m) {
      partitions.putSync([id, p], m);
    },

    putRecordBytes(id, p, seq, bytes, record) {
      const r = record ?? decodeRecord(bytes);
      const k = `${id}/${p}`;
      let q = pending.get(k);
      if (!q) {
        q = { id, partition: p, sequences: [], records: [] };
        pending.set(k, q);
      }
      q.sequences.push(seq);
      q.records.push(bytes);
      subjects.putSync([id, p, r.subject, seq], true);
      if (r.key !== undefined) keys.putSync([id, p, r.key, seq], true);
    },
    packPending() {
      for (const q of pending.values()) writePacked(q);
      pending.clear();
    },
    removeRecord(id, p, seq, r) {
      const q = pending.get(`${id}/${p}`);
      const i = q ? q.sequences.indexOf(seq) : -1;
      if (q && i >= 0) {
        q.sequences.splice(i, 1);
        q.records.splice(i, 1);
      } else {
        const at = storedAt(id, p, seq);
        if (at && isBlock(at.value)) {
          const { sequences, records: rest } = blockEntries(at.value, seq);
          if (rest.length > 0 && sequences.length === rest.length) {
            const first = sequences[0] as number;
            if (first !== at.key) records.removeSync([id, p, at.key]);
            records.putSync(
              [id, p, first],
              rest.length === 1
                ? Buffer.from(rest[0] as Uint8Array)
                : encodeBlock(p, sequences, rest),
            );
          } else records.removeSync([id, p, at.key]);
        } else if (at) records.removeSync([id, p, seq]);
      }
      subjects.removeSync([id, p, r.subject, seq]);
      if (r.key !== undefined) keys.removeSync([id, p, r.key, seq]);
    },
    removeRecordAt(id, p, seq) {
      const r = tables.getRecord(id, p, seq);
      if (r) tables.removeRecord(id, p, seq, r);
    },
    getRecordBytes(id, p, seq) {
      const q = pending.get(`${id}/${p}`);
      if (q && seq >= (q.sequences[0] ?? MAX)) {
        const i = q.sequences.indexOf(seq);
        return i >= 0 ? q.records[i] : undefined;
      }
      const at = storedAt(id, p, seq);
      if (!at) return undefined;
      if (!isBlock(at.value)) return at.value;
      let found: Uint8Array | undefined;
      forBlockEntries(at.value, at.value.byteLength, seq, (s, start, end) => {
        if (s === seq) found = at.value.subarray(start, end);
        return false;
      });
      return found;
    },
    getRecord(id, p, seq) {
      const bytes = tables.getRecordBytes(id, p, seq);
      return bytes === undefined ? undefined : decodeRecord(bytes);
    },
    *records(id, p, from) {
      const begin = storedAt(id, p, from)?.key ?? from;
      for (const { key, value } of records.getRange({ start: [id, p, begin], end: [id, p, MAX] })) {
        const v = value as Uint8Array;
        if (!isBlock(v)) {
          yield [(key as Key)[2] as number, decodeRecord(v)];
          continue;
        }
        const out: [number, RecordData][] = [];
        forBlockEntries(v, v.byteLength, from, (seq, start, end) => {
          out.push([seq, decodeRecord(v.subarray(start, end))]);
          return true;
        });
        yield* out;
      }
      const q = pending.get(`${id}/${p}`);
      if (!q) return;
      // A copy: the caller may remove what it is given.
      const seqs = [...q.sequences];
      const recs = [...q.records];
      for (let i = 0; i < seqs.length; i++) {
        if ((seqs[i] as number) >= from)
          yield [seqs[i] as number, decodeRecord(recs[i] as Uint8Array)];
      }
    },
    forRecordBytes(id, p, from, fn, block) {
      const begin = storedAt(id, p, from)?.key ?? from;
      const range = recordViews.getRange({ start: [id, p, begin], end: [id, p, MAX] });
      for (const { key, value } of range) {
        const v = value as Uint8Array;
        const length = lastView.length;
        if (!isBlock(v)) {
          const seq = (key as Key)[2] as number;
          if (seq >= from && !fn(seq, v, 0, length)) return;
          continue;
        }
        const first = (key as Key)[2] as number;
        if (block && first >= from) {
          const h = blockHeader(v, length);
          const taken = block(v, h.entries, length, h.count, first, h.last);
          if (taken === 'stop') return;
          if (taken === 'taken') continue;
        }
        if (!forBlockEntries(v, length, from, (seq, start, end) => fn(seq, v, start, end))) return;
      }
      const q = pending.get(`${id}/${p}`);
      if (!q) return;
      for (let i = 0; i < q.sequences.length; i++) {
        const seq = q.sequences[i] as number;
        const r = q.records[i] as Uint8Array;
        if (seq >= from && !fn(seq, r, 0, r.byteLength)) return;
      }
    },
    *subjectSequences(id, p, subject) {
      for (const key of keysOf(subjects, [id, p, subject, 0], [id, p, subject, MAX]))
        yield key[3] as number;
    },
    subjectCount: (id, p, subject) =>
      subjects.getKeysCount({ start: [id, p, subject, 0], end: [id, p, subject, MAX] }),
    *lastPerSubject(id, p) {
      let subject: string | undefined;
      let last = 0;
      for (const key of keysOf(subjects, [id, p], [id, p + 1])) {
        if (key[2] !== subject) {
          if (subject !== undefined) yield [subject, last];
          subject = key[2] as string;
        }
        last = key[3] as number;
      }
      if (subject !== undefined) yield [subject, last];
    },
    *keySequences(id, p, key) {
      for (const k of keysOf(keys, [id, p, key, 0], [id, p, key, MAX])) yield k[3] as number;
    },
    keyCount: (id, p, key) => keys.getKeysCount({ start: [id, p, key, 0], end: [id, p, key, MAX] }),

    *consumers(id) {
      for (const { key, value } of consumers.getRange({ start: [id], end: [id + 1] })) {
        yield [(key as Key)[1] as string, value as ConsumerMeta];
      }
    },
    putConsumer(id, name, m) {
      consumers.putSync([id, name], m);
    },
    deleteConsumer(id, name) {
      consumers.removeSync([id, name]);
    },

    *duplicates(id) {
      for (const { key, value } of duplicates.getRange({ start: [id], end: [id + 1] })) {
        yield [(key as Key)[1] as string, value as DuplicateEntry];
      }
    },
    putDuplicate(id, messageId, entry) {
      duplicates.putSync([id, messageId], entry);
    },
    deleteDuplicate(id, messageId) {
      duplicates.removeSync([id, messageId]);
    },
  };
  return tables;
}
