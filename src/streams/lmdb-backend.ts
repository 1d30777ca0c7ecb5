/**
 * The `lmdb` storage engine: one LMDB environment (a file `streams.mdb` in
 * the store's folder) with named databases for streams, partition counters,
 * records, the subject and key indexes, consumers and duplicate ids. LMDB is
 * a copy-on-write B+tree: a commit is atomic and a crashed process leaves
 * the last committed state, with no recovery step. Writes run in
 * transactions on lmdb's write thread; `flushed` resolves after the sync.
 *
 * @module
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { CallsignError, toError } from '../errors.ts';
import type {
  ConsumerMeta,
  DuplicateEntry,
  LogBackend,
  PartitionMeta,
  StreamMeta,
} from './backend.ts';
import { decodeRecord, encodeRecord } from './record-codec.ts';

/** What the store writes first in a new file, and checks in every file it opens. */
export const STORAGE_FORMAT = { format: 'callsign-streams', version: 1 } as const;

/** The file of the environment inside the store's folder. */
export const STORAGE_FILE = 'streams.mdb';

const MAX = Number.MAX_SAFE_INTEGER;

/** Options of {@link lmdbBackend}. */
export interface LmdbBackendInit {
  /** The folder of the store; made when missing. */
  readonly path: string;
  /** Open without writing (for the command line's views of a running host's store). */
  readonly readOnly?: boolean;
}

type Key = (string | number)[];

function corrupt(path: string, why: string, cause?: unknown): CallsignError {
  return new CallsignError(
    'ERR_STORAGE_CORRUPT',
    `${path} is not a callsign stream store: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

const LMDB_MAGIC = 0xbeefc0de;
const LMDB_VERSION = 2;

/**
 * Checks the two meta pages of an LMDB file before LMDB maps it: LMDB
 * trusts its file, and a file that is not one (or of another LMDB version)
 * can crash the process instead of failing. Empty means new.
 */
function checkHeader(file: string): 'new' | 'lmdb' {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    if (size === 0) return 'new';
    fd = openSync(file, 'r');
    const first = Buffer.alloc(64);
    if (size < 8192 || readSync(fd, first, 0, 64, 0) < 64)
      throw corrupt(file, 'it is too short for an LMDB file');
    const pageSize = first.readUInt32LE(0x30);
    const valid = (b: Buffer) =>
      b.readUInt32LE(0x18) === LMDB_MAGIC && b.readUInt32LE(0x1c) === LMDB_VERSION;
    if (!valid(first) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw corrupt(file, 'it has no LMDB header of this version');
    }
    const second = Buffer.alloc(64);
    if (size < pageSize * 2 || readSync(fd, second, 0, 64, pageSize) < 64 || !valid(second)) {
      throw corrupt(file, 'its second LMDB header is damaged');
    }
    return 'lmdb';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Opens (or makes) the LMDB store in `init.path`.
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for a damaged or foreign file,
 *   `ERR_STORAGE_FAILED` when it cannot be opened
 */
export function lmdbBackend(init: LmdbBackendInit): LogBackend {
  const dir = init.path;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw corrupt(dir, 'it is a file; the lmdb driver takes a folder');
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STORAGE_FILE);
  const fresh = !existsSync(file) || checkHeader(file) === 'new';
  let root: RootDatabase;
  try {
    root = open({ path: file, maxDbs: 16, readOnly: init.readOnly ?? false, encoding: 'msgpack' });
  } catch (err) {
    const text = toError(err).message;
    if (/invalid|version mismatch|MDB_INVALID|MDB_VERSION|corrupt/i.test(text)) {
      throw corrupt(file, 'not an LMDB file of this version', err);
    }
    throw new CallsignError('ERR_STORAGE_FAILED', `cannot open ${file}: ${text}`, { cause: err });
  }
  let dbs: Record<
    | 'meta'
    | 'streams'
    | 'partitions'
    | 'records'
    | 'subjects'
    | 'keys'
    | 'consumers'
    | 'duplicates',
    Database
  >;
  try {
    const named = (name: string) => root.openDB({ name, encoding: 'msgpack' });
    dbs = {
      meta: named('callsign.meta'),
      streams: named('streams'),
      partitions: named('partitions'),
      records: root.openDB({ name: 'records', encoding: 'binary' }),
      subjects: named('subjects'),
      keys: named('keys'),
      consumers: named('consumers'),
      duplicates: named('duplicates'),
    };
    const format = dbs.meta.get('format') as typeof STORAGE_FORMAT | undefined;
    if (format === undefined) {
      if (!fresh || init.readOnly) {
        // An LMDB file someone else wrote: ours always has its format record.
        let foreign = false;
        for (const _ of root.getKeys({ limit: 1 })) foreign = true;
        if (foreign || !fresh)
          throw corrupt(file, 'it has no callsign format record (a foreign LMDB file?)');
      }
      dbs.meta.putSync('format', STORAGE_FORMAT);
      dbs.meta.putSync('nextId', 1);
    } else if (
      format.format !== STORAGE_FORMAT.format ||
      format.version !== STORAGE_FORMAT.version
    ) {
      throw corrupt(
        file,
        `its format is ${JSON.stringify(format)}, not ${JSON.stringify(STORAGE_FORMAT)}`,
      );
    }
  } catch (err) {
    void root.close().catch(() => {});
    if (err instanceof CallsignError) throw err;
    throw corrupt(file, toError(err).message, err);
  }
  const { meta, streams, partitions, records, subjects, keys, consumers, duplicates } = dbs;

  function* keysOf(db: Database, start: Key, end: Key): Iterable<Key> {
    for (const key of db.getKeys({ start, end })) yield key as Key;
  }

  function removeRange(db: Database, start: Key, end: Key): void {
    for (const key of [...keysOf(db, start, end)]) db.removeSync(key);
  }

  return {
    driver: 'lmdb',
    transact: (fn) => root.transaction(fn).then(() => undefined),
    flushed: () => Promise.resolve(root.flushed).then(() => undefined),
    close: () => root.close(),

    allocateStreamId() {
      const id = (meta.get('nextId') as number | undefined) ?? 1;
      meta.putSync('nextId', id + 1);
      return id;
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

    putRecord(id, p, seq, r) {
      records.putSync([id, p, seq], encodeRecord(r));
      subjects.putSync([id, p, r.subject, seq], true);
      if (r.key !== undefined) keys.putSync([id, p, r.key, seq], true);
    },
    removeRecord(id, p, seq, r) {
      records.removeSync([id, p, seq]);
      subjects.removeSync([id, p, r.subject, seq]);
      if (r.key !== undefined) keys.removeSync([id, p, r.key, seq]);
    },
    getRecord(id, p, seq) {
      const bytes = records.get([id, p, seq]) as Uint8Array | undefined;
      return bytes === undefined ? undefined : decodeRecord(bytes);
    },
    *records(id, p, from) {
      for (const { key, value } of records.getRange({ start: [id, p, from], end: [id, p, MAX] })) {
        yield [(key as Key)[2] as number, decodeRecord(value as Uint8Array)];
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
}
