/**
 * How a log store writes: every operation of one event-loop turn runs in
 * one backend transaction, in the order it was asked for, and resolves
 * (or rejects with its own error) once that transaction is durable as the
 * backend promises. Partition counters are written once per transaction;
 * readers see a partition's new messages once it is done.
 *
 * @module
 */
import { CallsignError, toError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import type { StreamState } from './stream-state.ts';

interface Op {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: Error };
}

/** What the batches tell their store. */
export interface WriteBatchesInit {
  readonly backend: LogBackend;
  /** True while `s` is the stream of that name (not deleted in the meantime). */
  readonly current: (s: StreamState) => boolean;
  /** A partition's visible end moved on (its messages may be read and delivered). */
  readonly appended: (s: StreamState, partition: number, sequence: number) => void;
  /** The backend failed to write: memory may be ahead of what is stored. */
  readonly failed: () => void;
  /**
   * Inside the transaction, after its operations: what else it should
   * write, decided from them (deliveries to waiting consumers). Gives back
   * what to do once it is durable (before `appended`), if anything.
   */
  readonly decide?: (touched: ReadonlySet<StreamState>) => readonly (() => void)[] | undefined;
}

/** The write queue of one log store. */
export class WriteBatches {
  readonly #init: WriteBatchesInit;
  #queue: Op[] = [];
  #scheduled = false;
  #closed = false;
  /** Streams changed in the batch being run. */
  touched = new Set<StreamState>();

  constructor(init: WriteBatchesInit) {
    this.#init = init;
  }

  /** True while operations wait for their batch. */
  get busy(): boolean {
    return this.#scheduled || this.#queue.length > 0;
  }

  /** Runs `fn` inside the next write transaction; resolves with its value once durable. */
  write<T>(fn: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new CallsignError('ERR_CLOSED', 'the stream store is closed'));
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#run());
      }
    });
  }

  /** Refuses writes from now on (what is queued still runs). */
  close(): void {
    this.#closed = true;
  }

  #run(): void {
    const ops = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    const touched = new Set<StreamState>();
    const { backend } = this.#init;
    let after: readonly (() => void)[] | undefined;
    const committed = backend.transact(() => {
      this.touched = touched;
      for (const op of ops) {
        try {
          op.outcome = { ok: true, value: op.run() };
        } catch (err) {
          op.outcome = { ok: false, error: toError(err) };
        }
      }
      // Partition counters once per transaction, however many messages changed them.
      for (const s of touched) {
        if (!this.#init.current(s)) continue; // deleted in this batch
        for (let p = 0; p < s.parts.length; p++) {
          const part = s.parts[p] as (typeof s.parts)[number];
          if (part.dirty) backend.putPartition(s.meta.id, p, part.meta);
          part.dirty = false;
        }
      }
      // After the counters: the backend's reads go as far as they say.
      after = this.#init.decide?.(touched);
    });
    committed.then(
      () => {
        for (const then of after ?? []) {
          try {
            then();
          } catch {
            // the waiter's fault is its own
          }
        }
        for (const s of touched) {
          for (let p = 0; p < s.parts.length; p++) {
            const part = s.parts[p];
            if (!part || part.visible === part.meta.last) continue;
            part.visible = part.meta.last;
            this.#init.appended(s, p, part.visible);
          }
        }
        for (const op of ops) {
          const o = op.outcome;
          if (!o) op.reject(new CallsignError('ERR_STORAGE_FAILED', 'the transaction did not run'));
          else if (o.ok) op.resolve(o.value);
          else op.reject(o.error);
        }
      },
      (err: unknown) => {
        this.#init.failed();
        const failure = new CallsignError(
          'ERR_STORAGE_FAILED',
          `the stream store could not write: ${toError(err).message}`,
          { cause: err },
        );
        for (const op of ops) op.reject(failure);
      },
    );
  }
}
