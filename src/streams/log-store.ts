/**
 * The stream store over a {@link LogBackend}: what the `lmdb` and `memory`
 * drivers share. It decides (with the pure modules: retention, partitions,
 * duplicates, consumer positions) and writes through the backend, many
 * operations to one transaction per event-loop turn.
 *
 * Sequences are given inside the transaction, so they follow the order of
 * the calls; readers (pulls, reads) see a message only once its transaction
 * is committed.
 *
 * @module
 */
import { compileSubjectPattern } from '../directory/subject-pattern.ts';
import { CallsignError, isCallsignError, toError } from '../errors.ts';
import type { LogBackend, PartitionMeta, StreamMeta } from './backend.ts';
import {
  type ConsumerConfigInput,
  type StreamConfigInput,
  sameConfig,
  streamConfig,
} from './config.ts';
import { PartitionWriter } from './log-appends.ts';
import { ConsumerBook } from './log-consumers.ts';
import { checkPartition, getRecord, lastOfSubject, readRecords } from './log-reads.ts';
import { expiryCutoff } from './retention.ts';
import type {
  AppendOptions,
  AppendResult,
  ByteRange,
  ConsumerInfo,
  Delivery,
  PullOptions,
  PurgeOptions,
  ReadOptions,
  RecordInput,
  StoredRecord,
  StoreEvent,
  StreamInfo,
  StreamStore,
  StreamStoreInit,
} from './store.ts';
import { emptyPartition, StreamState } from './stream-state.ts';

/** Streams kept in memory while not busy; more are loaded again from the backend when used. */
export const CACHED_STREAMS = 4096;

interface Op {
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: Error };
}

/** A {@link StreamStore} over a {@link LogBackend}. */
export class LogStore implements StreamStore {
  readonly driver: string;
  readonly #backend: LogBackend;
  readonly #now: () => number;
  readonly #cache = new Map<string, StreamState>();
  readonly #listeners = new Set<(e: StoreEvent) => void>();
  #queue: Op[] = [];
  #scheduled = false;
  /** Partitions whose visible sequence moves on when the current batch commits. */
  #touched = new Set<StreamState>();
  #closing: Promise<void> | undefined;
  #uses = 0;
  /** @internal */
  readonly consumers: ConsumerBook;
  readonly #writer: PartitionWriter;

  constructor(backend: LogBackend, init: StreamStoreInit = {}) {
    this.#backend = backend;
    this.driver = backend.driver;
    this.#now = init.now ?? Date.now;
    this.#writer = new PartitionWriter({
      backend,
      touch: (s) => this.#touched.add(s),
      interested: (s, subject) => this.consumers.interested(s, subject),
    });
    this.consumers = new ConsumerBook({
      backend,
      now: this.#now,
      write: (fn) => this.#write(fn),
      remove: (s, p, seq) => this.#writer.remove(s, p, seq),
    });
  }

  // ---------------------------------------------------------------------------
  // Batching

  /** Runs `fn` inside the next write transaction; resolves with its value once committed. */
  #write<T>(fn: () => T): Promise<T> {
    if (this.#closing) {
      return Promise.reject(new CallsignError('ERR_CLOSED', 'the stream store is closed'));
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#runBatch());
      }
    });
  }

  #runBatch(): void {
    const ops = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    const touched = new Set<StreamState>();
    const committed = this.#backend.transact(() => {
      this.#touched = touched;
      for (const op of ops) {
        try {
          op.outcome = { ok: true, value: op.run() };
        } catch (err) {
          op.outcome = { ok: false, error: toError(err) };
        }
      }
      // Partition counters once per transaction, however many messages changed them.
      for (const s of touched) {
        if (this.#cache.get(s.name) !== s) continue; // deleted in this batch
        for (let p = 0; p < s.parts.length; p++) {
          const part = s.parts[p] as (typeof s.parts)[number];
          if (part.dirty) this.#backend.putPartition(s.meta.id, p, part.meta);
          part.dirty = false;
        }
      }
    });
    committed.then(
      () => {
        for (const s of touched) {
          for (let p = 0; p < s.parts.length; p++) {
            const part = s.parts[p];
            if (!part || part.visible === part.meta.last) continue;
            part.visible = part.meta.last;
            this.#emit({ kind: 'appended', stream: s.name, partition: p, sequence: part.visible });
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
        // Memory may now be ahead of what is stored: load again from the backend.
        this.#cache.clear();
        const failure = new CallsignError(
          'ERR_STORAGE_FAILED',
          `the stream store could not write: ${toError(err).message}`,
          { cause: err },
        );
        for (const op of ops) op.reject(failure);
      },
    );
  }

  #emit(event: StoreEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a listener's fault is its own
      }
    }
  }

  watch(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------------------
  // Streams

  /** @internal The stream in memory, loading it if need be. */
  load(name: string): StreamState | undefined {
    const cached = this.#cache.get(name);
    if (cached) {
      cached.used = ++this.#uses;
      return cached;
    }
    let s: StreamState | undefined;
    try {
      s = StreamState.load(this.#backend, name, this.#now());
    } catch (err) {
      throw storageError(err, `stream ${name}`);
    }
    if (!s) return undefined;
    s.used = ++this.#uses;
    this.#cache.set(name, s);
    if (this.#cache.size > CACHED_STREAMS) this.#evict(s);
    return s;
  }

  /** Drops the least recently used streams that are not busy, down to 3/4 of the cache. */
  #evict(keep: StreamState): void {
    const idle = [...this.#cache.values()]
      .filter((s) => s !== keep && !s.busy && !this.#touched.has(s))
      .sort((a, b) => a.used - b.used);
    const excess = this.#cache.size - Math.floor((CACHED_STREAMS * 3) / 4);
    for (const s of idle.slice(0, excess)) this.#cache.delete(s.name);
  }

  /** @internal */
  require(name: string): StreamState {
    const s = typeof name === 'string' ? this.load(name) : undefined;
    if (!s) throw new CallsignError('ERR_UNKNOWN_STREAM', `no stream ${JSON.stringify(name)} here`);
    return s;
  }

  async createStream(input: StreamConfigInput): Promise<StreamInfo> {
    const config = streamConfig(input);
    return this.#write(() => {
      const existing = this.load(config.name);
      if (existing) {
        if (!sameConfig(existing.meta.config, config)) {
          throw new CallsignError(
            'ERR_STREAM_EXISTS',
            `stream ${config.name} exists with another configuration`,
          );
        }
        return this.#info(existing);
      }
      const meta: StreamMeta = {
        id: this.#backend.allocateStreamId(),
        config,
        created: this.#now(),
      };
      this.#backend.putStream(meta);
      const parts: PartitionMeta[] = [];
      for (let p = 0; p < config.partitions; p++) {
        parts.push(emptyPartition());
        this.#backend.putPartition(meta.id, p, emptyPartition());
      }
      const s = new StreamState(meta, parts);
      s.used = ++this.#uses;
      this.#cache.set(config.name, s);
      if (this.#cache.size > CACHED_STREAMS) this.#evict(s);
      return this.#info(s);
    });
  }

  async updateStream(input: StreamConfigInput): Promise<StreamInfo> {
    const config = streamConfig(input);
    return this.#write(() => {
      const s = this.require(config.name);
      if (config.partitions !== s.meta.config.partitions) {
        throw new CallsignError(
          'ERR_INVALID_STREAM',
          `the partitions of ${config.name} cannot change`,
        );
      }
      s.meta = { ...s.meta, config };
      s.bindings = config.subjects.map(compileSubjectPattern);
      s.knownSubjects.clear();
      s.duplicates.windowMs = config.duplicateWindowMs;
      this.#backend.putStream(s.meta);
      for (let p = 0; p < s.parts.length; p++) this.#writer.trim(s, p);
      return this.#info(s);
    });
  }

  async deleteStream(name: string): Promise<boolean> {
    return this.#write(() => {
      const s = this.load(name);
      if (!s) return false;
      this.#backend.deleteStream(s.meta);
      this.#cache.delete(name);
      queueMicrotask(() => this.#emit({ kind: 'deleted', stream: name }));
      return true;
    });
  }

  async listStreams(options: { after?: string; max?: number } = {}): Promise<string[]> {
    return this.#backend.listStreams(options.after, options.max ?? 10_000);
  }

  async hasStream(name: string): Promise<boolean> {
    return this.load(name) !== undefined;
  }

  async streamInfo(name: string): Promise<StreamInfo> {
    return this.#info(this.require(name));
  }

  #info(s: StreamState): StreamInfo {
    const partitions = s.parts.map((part, partition) => ({
      partition,
      messages: part.meta.messages,
      bytes: part.meta.bytes,
      firstSequence: part.meta.first,
      lastSequence: part.meta.last,
      ...(part.meta.firstTime === undefined ? {} : { firstTime: part.meta.firstTime }),
      ...(part.meta.lastTime === undefined ? {} : { lastTime: part.meta.lastTime }),
    }));
    return {
      config: s.meta.config,
      created: s.meta.created,
      messages: partitions.reduce((n, p) => n + p.messages, 0),
      bytes: partitions.reduce((n, p) => n + p.bytes, 0),
      partitions,
      consumers: s.consumers.size,
    };
  }

  // ---------------------------------------------------------------------------
  // Appending

  async append(
    stream: string,
    record: RecordInput,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const s = this.require(stream);
    const result = await this.#write(() =>
      this.#writer.append(this.require(stream), record, options, this.#now()),
    );
    if (s.meta.config.durability === 'flush' && !result.duplicate) await this.#backend.flushed();
    return result;
  }

  async flush(options: { sync?: boolean } = {}): Promise<void> {
    await this.#write(() => undefined);
    if (options.sync) await this.#backend.flushed();
  }

  // ---------------------------------------------------------------------------
  // Reading

  async read(stream: string, options: ReadOptions = {}): Promise<StoredRecord[]> {
    return readRecords(this.#backend, this.require(stream), options);
  }

  async get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord> {
    return getRecord(this.#backend, this.require(stream), partition, sequence, range);
  }

  async lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined> {
    return lastOfSubject(this.#backend, this.require(stream), subject, partition);
  }

  async purge(stream: string, options: PurgeOptions = {}): Promise<number> {
    const s = this.require(stream);
    const parts =
      options.partition === undefined
        ? s.parts.map((_, i) => i)
        : [checkPartition(s, options.partition)];
    const matches = options.filter ? compileSubjectPattern(options.filter) : undefined;
    return this.#write(() => {
      let removed = 0;
      for (const p of parts) {
        const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
        const doomed: number[] = [];
        for (const [seq, r] of this.#backend.records(s.meta.id, p, meta.first)) {
          if (options.keepFrom !== undefined && seq >= options.keepFrom) break;
          if (!matches || matches(r.subject)) doomed.push(seq);
        }
        for (const seq of doomed) if (this.#writer.remove(s, p, seq)) removed++;
      }
      return removed;
    });
  }

  async expire(): Promise<number> {
    const now = this.#now();
    const names = [...this.#cache.keys()];
    return this.#write(() => {
      let removed = 0;
      for (const name of names) {
        const s = this.#cache.get(name);
        if (!s) continue;
        for (const id of s.duplicates.expire(now)) this.#backend.deleteDuplicate(s.meta.id, id);
        const cutoff = expiryCutoff(s.meta.config, now);
        if (cutoff === undefined) continue;
        for (let p = 0; p < s.parts.length; p++) {
          const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
          if (meta.firstTime === undefined || meta.firstTime >= cutoff) continue;
          const doomed: number[] = [];
          for (const [seq, r] of this.#backend.records(s.meta.id, p, meta.first)) {
            if (r.publishTime >= cutoff) break;
            doomed.push(seq);
          }
          for (const seq of doomed) if (this.#writer.remove(s, p, seq)) removed++;
        }
      }
      return removed;
    });
  }

  // ---------------------------------------------------------------------------
  // Consumers (the rules are in ConsumerBook)

  async createConsumer(stream: string, input: ConsumerConfigInput): Promise<ConsumerInfo> {
    return this.#write(() => this.consumers.create(this.require(stream), input));
  }

  async deleteConsumer(stream: string, name: string): Promise<boolean> {
    return this.#write(() => this.consumers.delete(this.require(stream), name));
  }

  async listConsumers(stream: string): Promise<string[]> {
    return [...this.require(stream).consumers.keys()].sort();
  }

  async consumerInfo(stream: string, name: string): Promise<ConsumerInfo> {
    return this.consumers.info(this.require(stream), name);
  }

  async pull(stream: string, consumer: string, options: PullOptions): Promise<Delivery[]> {
    return this.consumers.pull(this.require(stream), consumer, options);
  }

  async nextRedelivery(stream: string, consumer: string): Promise<number | undefined> {
    return this.consumers.nextDue(this.require(stream), consumer);
  }

  async ack(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
  ): Promise<boolean> {
    return this.consumers.settle(this.require(stream), consumer, partition, sequence, 'ack');
  }

  async nak(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    delayMs = 0,
  ): Promise<boolean> {
    return this.consumers.settle(
      this.require(stream),
      consumer,
      partition,
      sequence,
      'nak',
      delayMs,
    );
  }

  async term(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
  ): Promise<boolean> {
    return this.consumers.settle(this.require(stream), consumer, partition, sequence, 'term');
  }

  async resetPending(stream: string, consumer: string): Promise<void> {
    this.consumers.resetPending(this.require(stream), consumer);
  }

  // ---------------------------------------------------------------------------

  close(): Promise<void> {
    if (!this.#closing) {
      const last =
        this.#queue.length > 0 || this.#scheduled
          ? this.#write(() => undefined)
          : Promise.resolve();
      this.#closing = last.catch(() => {}).then(() => this.#backend.close());
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A backend failure as a coded error (a corrupt file keeps its code). */
export function storageError(err: unknown, what: string): CallsignError {
  if (isCallsignError(err)) return err;
  return new CallsignError('ERR_STORAGE_FAILED', `cannot read ${what}: ${toError(err).message}`, {
    cause: err,
  });
}
