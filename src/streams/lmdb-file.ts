/**
 * The files of an `lmdb` store folder: the LMDB environment (`streams.mdb`,
 * checked before LMDB maps it, with its named databases and format record)
 * and the writer's claim (`writer.json`: one process writes a store).
 *
 * @module
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { type Database, type DatabaseOptions, open, type RootDatabase } from 'lmdb';
import { CallsignError, toError } from '../errors.ts';

/**
 * What the store writes first in a new file, and checks in every file it
 * opens. Version 2 stores records many to a value (record-block.ts) beside
 * records alone; a version 1 store (records alone) is read as it is, and
 * marked version 2 when it is opened for writing.
 */
export const STORAGE_FORMAT = { format: 'callsign-streams', version: 2 } as const;

/** The earlier versions this one opens. */
const OPENS_VERSIONS: readonly number[] = [1, 2];

/** The file of the environment inside the store's folder. */
export const STORAGE_FILE = 'streams.mdb';

/** The file that names the process writing a store folder. */
export const WRITER_FILE = 'writer.json';

/** The named databases of a store. */
export type StoreTables = Record<
  | 'meta'
  | 'streams'
  | 'partitions'
  | 'records'
  | 'recordViews'
  | 'subjects'
  | 'keys'
  | 'consumers'
  | 'duplicates',
  Database
>;

/** The length of the value the `recordViews` handle gave last (its buffer may be longer). */
export const lastView = { length: 0 };

/**
 * How the `recordViews` handle of the records table gives values: lmdb-js's
 * read buffer itself (or the map's), not a copy, and not even a view: the
 * value is its first {@link lastView}`.length` bytes. It is only valid until
 * the next read, so only ranges whose values are copied at once (into a
 * record batch) go through it: that copy was a third of a replay's CPU, and
 * a view per record still a few per cent.
 */
const VIEW_OF_READ_BUFFER = {
  encode: (value: Uint8Array): Uint8Array => value,
  decode: (bytes: Uint8Array, end?: unknown): Uint8Array => {
    lastView.length = typeof end === 'number' ? end : bytes.byteLength;
    return bytes;
  },
};

/** lmdb-js takes a custom `encoder` (its README); its types do not declare one. */
const RECORD_VIEWS: DatabaseOptions & { name: string } = Object.assign(
  { name: 'records' },
  { encoder: VIEW_OF_READ_BUFFER },
);

export function corrupt(path: string, why: string, cause?: unknown): CallsignError {
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
 * Makes sure `dir` is a folder (made when missing).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` when it is a file
 */
export function storeFolder(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw corrupt(dir, 'it is a file; the lmdb driver takes a folder');
  }
  mkdirSync(dir, { recursive: true });
}

/** An open store file. */
export interface StoreFile {
  readonly root: RootDatabase;
  readonly tables: StoreTables;
  readonly file: string;
}

/**
 * Opens (or makes) the LMDB environment of the store folder `dir`.
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for a damaged or foreign file,
 *   `ERR_STORAGE_FAILED` when it cannot be opened
 */
export function openStoreFile(dir: string, readOnly: boolean): StoreFile {
  storeFolder(dir);
  const file = join(dir, STORAGE_FILE);
  const fresh = !existsSync(file) || checkHeader(file) === 'new';
  let root: RootDatabase;
  try {
    root = open({ path: file, maxDbs: 16, readOnly, encoding: 'msgpack' });
  } catch (err) {
    const text = toError(err).message;
    if (/invalid|version mismatch|MDB_INVALID|MDB_VERSION|corrupt/i.test(text)) {
      throw corrupt(file, 'not an LMDB file of this version', err);
    }
    throw new CallsignError('ERR_STORAGE_FAILED', `cannot open ${file}: ${text}`, { cause: err });
  }
  try {
    const named = (name: string) => root.openDB({ name, encoding: 'msgpack' });
    const tables: StoreTables = {
      meta: named('callsign.meta'),
      streams: named('streams'),
      partitions: named('partitions'),
      records: root.openDB({ name: 'records', encoding: 'binary' }),
      recordViews: root.openDB(RECORD_VIEWS),
      subjects: named('subjects'),
      keys: named('keys'),
      consumers: named('consumers'),
      duplicates: named('duplicates'),
    };
    const format = tables.meta.get('format') as typeof STORAGE_FORMAT | undefined;
    if (format === undefined) {
      if (!fresh || readOnly) {
        // An LMDB file someone else wrote: ours always has its format record.
        let foreign = false;
        for (const _ of root.getKeys({ limit: 1 })) foreign = true;
        if (foreign || !fresh)
          throw corrupt(file, 'it has no callsign format record (a foreign LMDB file?)');
      }
      tables.meta.putSync('format', STORAGE_FORMAT);
      tables.meta.putSync('nextId', 1);
    } else if (
      format.format !== STORAGE_FORMAT.format ||
      !OPENS_VERSIONS.includes(format.version)
    ) {
      throw corrupt(
        file,
        `its format is ${JSON.stringify(format)}, not ${JSON.stringify(STORAGE_FORMAT)}`,
      );
    } else if (format.version !== STORAGE_FORMAT.version && !readOnly) {
      tables.meta.putSync('format', STORAGE_FORMAT);
    }
    return { root, tables, file };
  } catch (err) {
    void root.close().catch(() => {});
    if (err instanceof CallsignError) throw err;
    throw corrupt(file, toError(err).message, err);
  }
}

/** This machine's boot, so that a writer file left by a crash before a reboot is known stale. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** The writer files this process holds. */
const claimed = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims the store folder `dir` for writing by this process; returns how to
 * give it up. A claim left by a process that is gone (or before a reboot)
 * is taken over.
 *
 * @throws CallsignError `ERR_STORAGE_BUSY` while another live process writes it
 */
export function claimWriter(dir: string): () => void {
  const path = resolve(dir, WRITER_FILE);
  if (claimed.has(path)) {
    throw new CallsignError(
      'ERR_STORAGE_BUSY',
      `the stream store in ${dir} is already open for writing in this process`,
    );
  }
  const me = { pid: process.pid, boot: bootId(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      claimed.add(path);
      return () => {
        claimed.delete(path);
        try {
          const held = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
          if (held.pid === process.pid) unlinkSync(path);
        } catch {
          // gone already
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CallsignError(
          'ERR_STORAGE_FAILED',
          `cannot write ${path}: ${toError(err).message}`,
          {
            cause: err,
          },
        );
      }
    }
    let held: { pid?: unknown; boot?: unknown } = {};
    try {
      held = JSON.parse(readFileSync(path, 'utf8')) as typeof held;
    } catch {
      // unreadable: a claim half written by a process that died; stale
    }
    const pid = typeof held.pid === 'number' ? held.pid : 0;
    if (pid > 0 && pid !== process.pid && held.boot === me.boot && alive(pid)) {
      throw new CallsignError(
        'ERR_STORAGE_BUSY',
        `the stream store in ${dir} is open for writing in process ${pid}: reach it through its host (--listing), or stop it first`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // someone else took it over first: try again
    }
  }
  throw new CallsignError(
    'ERR_STORAGE_BUSY',
    `cannot claim the stream store in ${dir} for writing`,
  );
}
