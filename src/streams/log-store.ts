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
import { CallsignError } from '../errors.ts';
import type { LogBackend, PartitionMeta, StreamMeta } from './backend.ts';
import { type StreamConfigInput, sameConfig, streamConfig } from './config.ts';
import type { ConsumerConfigInput } from './consumer-config.ts';
import { PartitionWriter } from './log-appends.ts';
import { ConsumerBook } from './log-consumers.ts';
import { checkPartition, getRecord, lastOfSubject, readBatch, readRecords } from './log-reads.ts';
import { expireRecords, purgeRecords } from './log-removals.ts';
import type {
  AppendItem,
  AppendOptions,
  AppendOutcome,
  AppendResult,
  ByteRange,
  ConsumerInfo,
  Delivery,
  PullOptions,
  PurgeOptions,
  ReadOptions,
  RecordBatch,
  RecordInput,
  StoredRecord,
  StoreEvent,
  StreamInfo,
  StreamStore,
  StreamStoreInit,
} from './store.ts';
import { StreamCache } from './stream-cache.ts';
import { emptyPartition, StreamState, streamInfoOf } from './stream-state.ts';
import { WriteBatches } from './write-batches.ts';

interface AppendWaiter {
  readonly name: string;
  readonly options: PullOptions;
  readonly deliver: (batch: RecordBatch) => void;
}

/** A {@link StreamStore} over a {@link LogBackend}. */
export class LogStore implements StreamStore {
  readonly driver: string;
  readonly #backend: LogBackend;
  readonly #now: () => number;
  readonly #listeners = new Set<(e: StoreEvent) => void>();
  readonly #batches: WriteBatches;
  readonly #cache: StreamCache;
  #closing: Promise<void> | undefined;
  /** @internal */
  readonly consumers: ConsumerBook;
  readonly #writer: PartitionWriter;
  /** Consumers waiting for the next append, by stream name (see `pullOnAppend`). */
  readonly #waiting = new Map<string, Set<AppendWaiter>>();

  constructor(backend: LogBackend, init: StreamStoreInit = {}) {
    this.#backend = backend;
    this.driver = backend.driver;
    this.#now = init.now ?? Date.now;
    this.#batches = new WriteBatches({
      backend,
      current: (s) => this.#cache.has(s),
      appended: (s, partition, sequence) =>
        this.#emit({ kind: 'appended', stream: s.name, partition, sequence }),
      // Memory may now be ahead of what is stored: load again from the backend.
      failed: () => this.#cache.clear(),
      decide: (touched) => this.#deliverAppended(touched),
    });
    this.#cache = new StreamCache(backend, this.#now, (s) => this.#batches.touched.has(s));
    this.#writer = new PartitionWriter({
      backend,
      touch: (s) => this.#batches.touched.add(s),
      interested: (s, subject) => this.consumers.interested(s, subject),
    });
    this.consumers = new ConsumerBook({
      backend,
      now: this.#now,
      write: (fn) => this.#write(fn),
      remove: (s, p, seq) => this.#writer.remove(s, p, seq),
    });
  }

  /** Runs `fn` inside the next write transaction; resolves with its value once durable. */
  #write<T>(fn: () => T): Promise<T> {
    return this.#batches.write(fn);
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
    return this.#cache.load(name);
  }

  /** @internal */
  require(name: string): StreamState {
    return this.#cache.require(name);
  }

  async createStream(input: StreamConfigInput): Promise<StreamInfo> {
    const config = streamConfig(input);
    const made = await this.#write(() => {
      const existing = this.load(config.name);
      if (existing) {
        if (!sameConfig(existing.meta.config, config)) {
          throw new CallsignError(
            'ERR_STREAM_EXISTS',
            `stream ${config.name} exists with another configuration`,
          );
        }
        return { info: streamInfoOf(existing), created: false };
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
      this.#cache.add(s);
      return { info: streamInfoOf(s), created: true };
    });
    // Heard once stored, so a host serves a stream made in its store by anyone.
    if (made.created) this.#emit({ kind: 'created', stream: config.name });
    return made.info;
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
      return streamInfoOf(s);
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
    return streamInfoOf(this.require(name));
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

  async appendBatch(stream: string, items: readonly AppendItem[]): Promise<AppendOutcome[]> {
    const s = this.require(stream);
    const outcomes = await this.#write(() => {
      const current = this.require(stream);
      return this.#writer.appendEach(current, items, this.#now());
    });
    if (
      s.meta.config.durability === 'flush' &&
      outcomes.some((o) => !(o instanceof CallsignError) && !o.duplicate)
    ) {
      await this.#backend.flushed();
    }
    return outcomes;
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

  async readBatch(
    stream: string,
    options: ReadOptions = {},
  ): Promise<RecordBatch & { next: number }> {
    return readBatch(this.#backend, this.require(stream), options);
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
    return this.#write(() => purgeRecords(this.#backend, this.#writer, s, parts, options));
  }

  async expire(): Promise<number> {
    const now = this.#now();
    const names = this.#cache.names();
    return this.#write(() => {
      let removed = 0;
      for (const name of names) {
        const s = this.#cache.get(name);
        if (s) removed += expireRecords(this.#backend, this.#writer, s, now);
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

  async pullBatch(stream: string, consumer: string, options: PullOptions): Promise<RecordBatch> {
    return this.consumers.pullBatch(this.require(stream), consumer, options);
  }

  pullOnAppend(
    stream: string,
    consumer: string,
    options: PullOptions,
    deliver: (batch: RecordBatch) => void,
  ): (() => void) | undefined {
    if (this.#closing || !this.load(stream)?.consumers.has(consumer)) return undefined;
    const waiter: AppendWaiter = { name: consumer, options, deliver };
    let set = this.#waiting.get(stream);
    if (!set) {
      set = new Set();
      this.#waiting.set(stream, set);
    }
    set.add(waiter);
    return () => {
      const now = this.#waiting.get(stream);
      if (!now?.delete(waiter)) return;
      if (now.size === 0) this.#waiting.delete(stream);
    };
  }

  /**
   * Inside a write transaction: the pulls of the consumers waiting on the
   * streams it appended to, stored in it; they are delivered once it is durable.
   */
  #deliverAppended(touched: ReadonlySet<StreamState>): (() => void)[] | undefined {
    if (this.#waiting.size === 0) return undefined;
    const after: (() => void)[] = [];
    for (const s of touched) {
      const waiters = this.#waiting.get(s.name);
      if (!waiters || !this.#cache.has(s)) continue;
      if (!s.parts.some((part) => part.meta.last > part.visible)) continue;
      for (const w of waiters) {
        let batch: RecordBatch;
        try {
          batch = this.consumers.pullBatch(s, w.name, w.options, true);
        } catch {
          waiters.delete(w); // the consumer is gone: its host hears of it otherwise
          continue;
        }
        if (batch.count === 0) continue;
        waiters.delete(w);
        after.push(() => w.deliver(batch));
      }
      if (waiters.size === 0) this.#waiting.delete(s.name);
    }
    return after.length > 0 ? after : undefined;
  }

  async ackRange(
    stream: string,
    consumer: string,
    partition: number,
    from: number,
    to: number,
  ): Promise<number> {
    return this.consumers.ackRange(this.require(stream), consumer, partition, from, to);
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
      const last = this.#batches.busy ? this.#write(() => undefined) : Promise.resolve();
      this.#batches.close();
      this.#closing = last.catch(() => {}).then(() => this.#backend.close());
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
