/**
 * The `lmdb` storage engine: one LMDB environment (a file `streams.mdb` in
 * the store's folder) with named databases for streams, partition counters,
 * records, the subject and key indexes, consumers and duplicate ids
 * (lmdb-tables.ts). LMDB is a copy-on-write B+tree: a commit is atomic and
 * a crashed process leaves the last committed state, with no recovery step.
 * Every write is also journaled, and LMDB commits (synced) only at
 * checkpoints (lmdb-commits.ts): that is what lets an append be
 * acknowledged without waiting for a disk sync, and still survive a kill -9.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import { JournalRecorder } from './journal-ops.ts';
import { LmdbCommits, type Recovery } from './lmdb-commits.ts';
import { claimWriter, openStoreFile, storeFolder } from './lmdb-file.ts';
import { lmdbTables } from './lmdb-tables.ts';
import { encodeRecord } from './record-codec.ts';

export { STORAGE_FILE, STORAGE_FORMAT } from './lmdb-file.ts';

/** Options of {@link lmdbBackend}. */
export interface LmdbBackendInit {
  /** The folder of the store; made when missing. */
  readonly path: string;
  /** Open without writing (for the command line's views of a running host's store). */
  readonly readOnly?: boolean;
  /** How often the open transaction is committed (ms). Default 100. */
  readonly checkpointMs?: number;
}

/** The `lmdb` backend, and what its journal held when it was opened. */
export interface LmdbBackend extends LogBackend {
  readonly recovered: Recovery;
}

function readOnlyError(): CallsignError {
  return new CallsignError('ERR_STORAGE_FAILED', 'this stream store is open read-only');
}

/**
 * Opens (or makes) the LMDB store in `init.path`, applying what its journal
 * holds from before a crash.
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for a damaged or foreign file,
 *   `ERR_STORAGE_BUSY` while another process writes it, `ERR_STORAGE_FAILED`
 *   when it cannot be opened
 */
export function lmdbBackend(init: LmdbBackendInit): LmdbBackend {
  const readOnly = init.readOnly ?? false;
  storeFolder(init.path);
  const release = readOnly ? () => {} : claimWriter(init.path);
  let opened: ReturnType<typeof openStoreFile>;
  let commits: LmdbCommits | undefined;
  const recorder = new JournalRecorder();
  try {
    opened = openStoreFile(init.path, readOnly);
  } catch (err) {
    release();
    throw err;
  }
  const { root } = opened;
  const tables = lmdbTables(opened.tables);
  if (!readOnly) {
    try {
      commits = new LmdbCommits({
        dir: init.path,
        root,
        meta: opened.tables.meta,
        tables,
        recorder,
        ...(init.checkpointMs === undefined ? {} : { checkpointMs: init.checkpointMs }),
      });
    } catch (err) {
      void root.close().catch(() => {});
      release();
      throw err;
    }
  }
  const writing = () => {
    if (!commits) throw readOnlyError();
    return recorder;
  };
  let closing: Promise<void> | undefined;

  return {
    driver: 'lmdb',
    recovered: commits?.recovered ?? { frames: 0, torn: false },
    transact: (fn) =>
      commits
        ? commits.transact(() => {
            try {
              fn();
            } finally {
              tables.packPending();
            }
          })
        : Promise.reject(readOnlyError()),
    flushed: () => (commits ? commits.flushed() : Promise.resolve()),
    close() {
      closing ??= (commits ? commits.close() : Promise.resolve()).finally(async () => {
        await root.close();
        release();
      });
      return closing;
    },

    allocateStreamId() {
      const j = writing();
      const id = tables.nextId();
      tables.setNextId(id + 1);
      j.setNextId(id + 1);
      return id;
    },
    getStream: (name) => tables.getStream(name),
    putStream(m) {
      writing().putStream(m);
      tables.putStream(m);
    },
    deleteStream(m) {
      writing().deleteStream(m);
      tables.deleteStream(m);
    },
    listStreams: (after, max) => tables.listStreams(after, max),

    getPartition: (id, p) => tables.getPartition(id, p),
    putPartition(id, p, m) {
      writing().putPartition(id, p, m);
      tables.putPartition(id, p, m);
    },

    putRecord(id, p, seq, r) {
      const j = writing();
      const bytes = encodeRecord(r);
      j.putRecordBytes(id, p, seq, bytes);
      tables.putRecordBytes(id, p, seq, bytes, r);
    },
    removeRecord(id, p, seq, r) {
      writing().removeRecordAt(id, p, seq);
      tables.removeRecord(id, p, seq, r);
    },
    getRecord: (id, p, seq) => tables.getRecord(id, p, seq),
    getRecordBytes: (id, p, seq) => tables.getRecordBytes(id, p, seq),
    records: (id, p, from) => tables.records(id, p, from),
    forRecordBytes: (id, p, from, fn, block) => tables.forRecordBytes(id, p, from, fn, block),
    subjectSequences: (id, p, subject) => tables.subjectSequences(id, p, subject),
    subjectCount: (id, p, subject) => tables.subjectCount(id, p, subject),
    lastPerSubject: (id, p) => tables.lastPerSubject(id, p),
    keySequences: (id, p, key) => tables.keySequences(id, p, key),
    keyCount: (id, p, key) => tables.keyCount(id, p, key),

    consumers: (id) => tables.consumers(id),
    putConsumer(id, name, m) {
      writing().putConsumer(id, name, m);
      tables.putConsumer(id, name, m);
    },
    deleteConsumer(id, name) {
      writing().deleteConsumer(id, name);
      tables.deleteConsumer(id, name);
    },

    duplicates: (id) => tables.duplicates(id),
    putDuplicate(id, messageId, entry) {
      writing().putDuplicate(id, messageId, entry);
      tables.putDuplicate(id, messageId, entry);
    },
    deleteDuplicate(id, messageId) {
      writing().deleteDuplicate(id, messageId);
      tables.deleteDuplicate(id, messageId);
    },
  };
}
