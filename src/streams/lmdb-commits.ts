/**
 * When the writes of an `lmdb` store become durable. LMDB makes a commit
 * crash-proof by syncing it to disk, which costs a disk sync per commit
 * (0.3-3 ms here) and lmdb-js cannot acknowledge a commit before its sync.
 * So the store keeps one write transaction open on the main thread and
 * commits it (synced) only every `checkpointMs` or `checkpointBytes`; each
 * write of the log store is journaled (journal.ts: one `write(2)`, no
 * fsync) before it is acknowledged:
 *
 * - durability `commit`: acknowledged once its frame is written to the
 *   operating system. A killed process (kill -9) loses nothing: the next
 *   open applies the frames LMDB lacks. A machine crash may lose the frames
 *   since the last sync (the journal's or a checkpoint's); LMDB itself only
 *   ever holds synced commits, so it is never damaged.
 * - durability `flush`: also waits for the journal's sync ({@link LmdbCommits.flushed}).
 *
 * Reads on the main thread see the open transaction (lmdb-js reads in the
 * write transaction while one is open). Between a checkpoint's commit and
 * the next transaction, writes wait; reads see the committed state.
 *
 * @module
 */
import type { Database, RootDatabase } from 'lmdb';
import { CallsignError, toError } from '../errors.ts';
import { type JournalFrame, JournalWriter, readJournal } from './journal.ts';
import { type JournalRecorder, type JournalTarget, replayOperations } from './journal-ops.ts';

/** How often the open transaction is committed, at most. */
export const CHECKPOINT_MS = 100;
/** Journal bytes after which the open transaction is committed sooner. */
export const CHECKPOINT_BYTES = 32 * 1024 * 1024;

/** What {@link LmdbCommits} works with. */
export interface LmdbCommitsInit {
  readonly dir: string;
  readonly root: RootDatabase;
  /** Where the number of the last journal frame LMDB has is kept (key `journal`). */
  readonly meta: Database;
  /** The direct writes, which journal frames are applied through. */
  readonly tables: JournalTarget & { packPending(): void };
  /** Where the backend records what each transaction writes. */
  readonly recorder: JournalRecorder;
  readonly checkpointMs?: number;
  readonly checkpointBytes?: number;
}

/** What opening found in the journal. */
export interface Recovery {
  /** Frames applied that LMDB did not have (written before a crash). */
  readonly frames: number;
  /** True when the journal ended in a frame that was not whole (it was left out). */
  readonly torn: boolean;
}

interface Waiting {
  readonly fn: () => void;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const RESOLVED = Promise.resolve();

function failed(err: unknown): CallsignError {
  if (err instanceof CallsignError) return err;
  return new CallsignError(
    'ERR_STORAGE_FAILED',
    `the stream store could not write: ${toError(err).message}`,
    { cause: err },
  );
}

/**
 * Applies the journal frames LMDB does not have (in one synced commit) and
 * removes the journal files. Returns the number of the last frame.
 */
function recover(init: LmdbCommitsInit): Recovery & { last: number } {
  const marker = (init.meta.get('journal') as number | undefined) ?? 0;
  const { frames, torn } = readJournal(init.dir);
  let last = marker;
  const todo: JournalFrame[] = [];
  for (const f of frames) {
    if (f.no <= last) continue;
    if (f.no !== last + 1) break; // a frame is missing: what follows cannot be applied
    todo.push(f);
    last = f.no;
  }
  if (todo.length > 0) {
    init.root.transactionSync(() => {
      for (const f of todo) replayOperations(f.payload, init.tables);
      init.tables.packPending();
      init.meta.putSync('journal', last);
    });
  }
  JournalWriter.removeAll(init.dir);
  return { last, frames: todo.length, torn };
}

/** The open write transaction of an `lmdb` store, its journal and its checkpoints. */
export class LmdbCommits {
  readonly #init: LmdbCommitsInit;
  readonly #ms: number;
  readonly #bytes: number;
  #writer: JournalWriter;
  #open = false;
  #dirty = false;
  #finish: (() => void) | undefined;
  #abort: ((err: Error) => void) | undefined;
  #txn: Promise<unknown> = RESOLVED;
  /** The checkpoint or recovery under way. */
  #settling: Promise<void> = RESOLVED;
  readonly #queue: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failed: CallsignError | undefined;
  #closing = false;
  /** What the journal held at open. */
  readonly recovered: Recovery;

  /** Applies what the journal holds, then opens the first transaction. */
  constructor(init: LmdbCommitsInit) {
    this.#init = init;
    this.#ms = init.checkpointMs ?? CHECKPOINT_MS;
    this.#bytes = init.checkpointBytes ?? CHECKPOINT_BYTES;
    const r = recover(init);
    this.recovered = { frames: r.frames, torn: r.torn };
    this.#writer = new JournalWriter(init.dir, r.last + 1);
    this.#begin();
  }

  #begin(): void {
    if (this.#closing || this.#failed) return;
    const held = new Promise<void>((resolve, reject) => {
      this.#finish = resolve;
      this.#abort = reject;
    });
    this.#txn = Promise.resolve(this.#init.root.transactionSync(() => held));
    this.#txn.catch(() => {}); // seen by whoever ends the transaction
    this.#open = true;
    this.#dirty = false;
    while (this.#open && this.#queue.length > 0) {
      const w = this.#queue.shift() as Waiting;
      this.#run(w.fn).then(w.resolve, w.reject);
    }
  }

  /**
   * Runs `fn` (the writes of one log-store batch) in the open transaction
   * and journals them; resolves once the journal frame is written (durable
   * against the death of the process). Waits while a checkpoint commits.
   */
  transact(fn: () => void): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#closing) {
      return Promise.reject(new CallsignError('ERR_CLOSED', 'the stream store is closed'));
    }
    if (!this.#open || this.#queue.length > 0) {
      return new Promise<void>((resolve, reject) => this.#queue.push({ fn, resolve, reject }));
    }
    return this.#run(fn);
  }

  #run(fn: () => void): Promise<void> {
    const { recorder } = this.#init;
    let thrown: unknown;
    try {
      fn();
    } catch (err) {
      thrown = err;
    }
    if (!recorder.empty) {
      this.#dirty = true;
      try {
        this.#writer.append([recorder.take()]);
      } catch (err) {
        recorder.discard();
        return this.#fail(err);
      }
      if (this.#writer.bytes >= this.#bytes) this.#checkpoint();
      else this.#timer ??= setTimeout(() => this.#checkpoint(), this.#ms);
    }
    return thrown === undefined ? RESOLVED : Promise.reject(thrown);
  }

  /** Resolves once every frame written so far is synced to disk. */
  flushed(): Promise<void> {
    return this.#writer.sync();
  }

  /** Commits the open transaction (synced), lets go of the frames it holds, and opens the next. */
  #checkpoint(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#open || !this.#dirty) return this.#settling;
    const upTo = this.#writer.last;
    this.#init.meta.putSync('journal', upTo);
    this.#writer.rotate();
    this.#open = false;
    const txn = this.#txn;
    this.#finish?.();
    this.#settling = txn.then(
      () => {
        this.#writer.release(upTo);
        this.#begin();
      },
      (err: unknown) => this.#recover(err),
    );
    return this.#settling;
  }

  /** A frame could not be written: back to the last checkpoint, then the frames since again. */
  #fail(err: unknown): Promise<void> {
    const error = failed(err);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#open = false;
    const txn = this.#txn;
    this.#abort?.(error);
    this.#settling = txn.then(
      () => this.#recover(error),
      () => this.#recover(error),
    );
    return Promise.reject(error);
  }

  /** LMDB lost the open transaction (a failed write or commit): apply the journal again. */
  #recover(cause: unknown): void {
    try {
      this.#writer.close();
      const r = recover(this.#init);
      this.#writer = new JournalWriter(this.#init.dir, r.last + 1);
      this.#begin();
    } catch (err) {
      this.#failed = failed(err);
      const why = toError(cause).message;
      for (const w of this.#queue.splice(0)) {
        w.reject(
          new CallsignError('ERR_STORAGE_FAILED', `${this.#failed.message} (after: ${why})`, {
            cause: err,
          }),
        );
      }
    }
  }

  /** Commits what is open (synced) and stops; the journal is then empty. */
  async close(): Promise<void> {
    if (this.#closing) return this.#settling;
    await this.#settling;
    this.#closing = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#queue.splice(0)) {
      w.reject(new CallsignError('ERR_CLOSED', 'the stream store is closed'));
    }
    if (this.#open) {
      this.#open = false;
      if (this.#dirty) this.#init.meta.putSync('journal', this.#writer.last);
      const txn = this.#txn;
      this.#finish?.();
      this.#settling = txn.then(
        () => {
          this.#writer.close();
          JournalWriter.removeAll(this.#init.dir);
        },
        () => this.#writer.close(),
      );
    } else {
      this.#writer.close();
    }
    return this.#settling;
  }
}
