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
  ConsumerMeta,
  DuplicateEntry,
  PartitionMeta,
  RecordData,
  StreamMeta,
} from './backend.ts';
import type { JournalTarget } from './journal-ops.ts';
import { lastView, type StoreTables } from './lmdb-file.ts';
import { decodeRecord } from './record-codec.ts';

const MAX = Number.MAX_SAFE_INTEGER;

type Key = (string | number)[];

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
    fn: (sequence: number, bytes: Uint8Array, length: number) => boolean,
  ): void;
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
      records.putSync([id, p, seq], bytes);
      subjects.putSync([id, p, r.subject, seq], true);
      if (r.key !== undefined) keys.putSync([id, p, r.key, seq], true);
    },
    removeRecord(id, p, seq, r) {
      records.removeSync([id, p, seq]);
      subjects.removeSync([id, p, r.subject, seq]);
      if (r.key !== undefined) keys.removeSync([id, p, r.key, seq]);
    },
    removeRecordAt(id, p, seq) {
      const r = tables.getRecord(id, p, seq);
      if (r) tables.removeRecord(id, p, seq, r);
    },
    getRecordBytes: (id, p, seq) => records.get([id, p, seq]) as Uint8Array | undefined,
    getRecord(id, p, seq) {
      const bytes = records.get([id, p, seq]) as Uint8Array | undefined;
      return bytes === undefined ? undefined : decodeRecord(bytes);
    },
    *records(id, p, from) {
      for (const { key, value } of records.getRange({ start: [id, p, from], end: [id, p, MAX] })) {
        yield [(key as Key)[2] as number, decodeRecord(value as Uint8Array)];
      }
    },
    forRecordBytes(id, p, from, fn) {
      const range = recordViews.getRange({ start: [id, p, from], end: [id, p, MAX] });
      for (const { key, value } of range) {
        if (!fn((key as Key)[2] as number, value as Uint8Array, lastView.length)) break;
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
