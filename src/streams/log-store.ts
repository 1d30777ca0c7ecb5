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
import { compileSubjectPattern, subjectTokens } from '../directory/subject-pattern.ts';
import { CallsignError, isCallsignError, toError } from '../errors.ts';
import type { LogBackend, PartitionMeta, RecordData, StreamMeta } from './backend.ts';
import {
  type ConsumerConfigInput,
  type StreamConfigInput,
  sameConfig,
  streamConfig,
} from './config.ts';
import { ConsumerBook } from './log-consumers.ts';
import { choosePartition } from './partitions.ts';
import { admit, expiryCutoff, overLimits } from './retention.ts';
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
import { emptyPartition, StreamState, storedRecord } from './stream-state.ts';

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

  constructor(backend: LogBackend, init: StreamStoreInit = {}) {
    this.#backend = backend;
    this.driver = backend.driver;
    this.#now = init.now ?? Date.now;
    this.consumers = new ConsumerBook({
      backend,
      now: this.#now,
      write: (fn) => this.#write(fn),
      remove: (s, p, seq) => this.#remove(s, p, seq),
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
      for (let p = 0; p < s.parts.length; p++) this.#trim(s, p);
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
    const result = await this.#write(() => this.#appendNow(stream, record, options));
    if (s.meta.config.durability === 'flush' && !result.duplicate) await this.#backend.flushed();
    return result;
  }

  #appendNow(stream: string, record: RecordInput, options: AppendOptions): AppendResult {
    const s = this.require(stream);
    const config = s.meta.config;
    if (!(record?.data instanceof Uint8Array)) {
      throw new CallsignError('ERR_INVALID_MESSAGE', 'an appended message has data as bytes');
    }
    const subject = record.subject ?? config.name;
    if (!s.knownSubjects.has(subject)) {
      subjectTokens(subject);
      if (s.knownSubjects.size >= 1024) s.knownSubjects.clear();
      if (s.bindings.some((matches) => matches(subject))) s.knownSubjects.add(subject);
    }
    if (!s.knownSubjects.has(subject)) {
      throw new CallsignError(
        'ERR_SUBJECT_NOT_BOUND',
        `subject ${subject} is not one of stream ${config.name}'s: ${config.subjects.join(' ')}`,
      );
    }
    const now = this.#now();
    const id = options.messageId;
    if (id !== undefined) {
      const first = s.duplicates.seen(id, now);
      if (first) return { stream, ...first, duplicate: true };
    }
    const p = choosePartition(config.partitions, options.partition, record.key, s.turn);
    if (options.partition === undefined && record.key === undefined) s.turn++;
    const part = s.parts[p] as (typeof s.parts)[number];
    const meta = part.meta;
    if (options.expectedLastSequence !== undefined && options.expectedLastSequence !== meta.last) {
      throw new CallsignError(
        'ERR_WRONG_LAST_SEQUENCE',
        `partition ${p} of ${config.name} ends at ${meta.last}, not ${options.expectedLastSequence}`,
      );
    }
    const size = record.data.byteLength;
    const sid = s.meta.id;
    const key = record.key;
    const decision = admit(config, meta, {
      size,
      ofSubject: config.maxPerSubject > 0 ? this.#backend.subjectCount(sid, p, subject) : 0,
      ofKey: key !== undefined && config.maxPerKey > 0 ? this.#backend.keyCount(sid, p, key) : 0,
      hasKey: key !== undefined,
    });
    if (decision.kind === 'refuse') throw new CallsignError(decision.code, decision.reason);
    this.#touched.add(s);
    if (key !== undefined && decision.dropOfKey > 0) {
      this.#removeFirst(s, p, this.#backend.keySequences(sid, p, key), decision.dropOfKey);
    }
    if (decision.dropOfSubject > 0) {
      this.#removeFirst(
        s,
        p,
        this.#backend.subjectSequences(sid, p, subject),
        decision.dropOfSubject,
      );
    }
    const sequence = meta.last + 1;
    const publishTime = Math.max(now, meta.lastTime ?? 0);
    const data: RecordData = compact({
      publishTime,
      subject,
      data: record.data,
      key,
      properties: record.properties,
      eventTime: record.eventTime,
      producer: record.producer,
      type: record.type,
      messageId: id,
    });
    meta.last = sequence;
    meta.lastTime = publishTime;
    if (config.retention !== 'interest' || this.consumers.interested(s, subject)) {
      this.#backend.putRecord(sid, p, sequence, data);
      if (meta.messages === 0) {
        meta.first = sequence;
        meta.firstTime = publishTime;
      }
      meta.messages++;
      meta.bytes += size;
      this.#trim(s, p);
    } else if (meta.messages === 0) {
      // Interest retention with nobody interested: the sequence is taken, nothing is kept.
      meta.first = sequence + 1;
    }
    part.dirty = true;
    if (id !== undefined) {
      const first = { partition: p, sequence, publishTime };
      for (const gone of s.duplicates.remember(id, first)) this.#backend.deleteDuplicate(sid, gone);
      this.#backend.putDuplicate(sid, id, first);
    }
    return { stream, partition: p, sequence, publishTime, duplicate: false };
  }

  /** Removes the oldest messages while the partition is over its limits. */
  #trim(s: StreamState, p: number): void {
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    let over = overLimits(s.meta.config, meta);
    if (over.messages === 0 && over.bytes === 0) return;
    for (const [seq] of this.#backend.records(s.meta.id, p, meta.first)) {
      if (over.messages === 0 && over.bytes === 0) break;
      this.#remove(s, p, seq);
      over = overLimits(s.meta.config, meta);
    }
  }

  #removeFirst(s: StreamState, p: number, seqs: Iterable<number>, n: number): void {
    const doomed: number[] = [];
    for (const seq of seqs) {
      if (doomed.length >= n) break;
      doomed.push(seq);
    }
    for (const seq of doomed) this.#remove(s, p, seq);
  }

  /** Removes one stored message (inside a transaction), keeping the counters right. */
  #remove(s: StreamState, p: number, seq: number): boolean {
    const sid = s.meta.id;
    const record = this.#backend.getRecord(sid, p, seq);
    if (!record) return false;
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    this.#backend.removeRecord(sid, p, seq, record);
    this.#touched.add(s);
    meta.messages--;
    meta.bytes -= record.data.byteLength;
    if (seq === meta.first) {
      const next = this.#backend
        .records(sid, p, seq + 1)
        [Symbol.iterator]()
        .next();
      if (next.done) {
        meta.first = meta.last + 1;
        delete meta.firstTime;
      } else {
        meta.first = next.value[0];
        meta.firstTime = next.value[1].publishTime;
      }
    }
    if (meta.messages === 0) {
      meta.first = meta.last + 1;
      delete meta.firstTime;
    }
    (s.parts[p] as (typeof s.parts)[number]).dirty = true;
    return true;
  }

  async flush(options: { sync?: boolean } = {}): Promise<void> {
    await this.#write(() => undefined);
    if (options.sync) await this.#backend.flushed();
  }

  // ---------------------------------------------------------------------------
  // Reading

  async read(stream: string, options: ReadOptions = {}): Promise<StoredRecord[]> {
    const s = this.require(stream);
    const p = this.#partition(s, options.partition ?? 0);
    const part = s.parts[p] as (typeof s.parts)[number];
    const max = Math.max(0, Math.min(options.max ?? 1000, 100_000));
    const matches = options.filter ? compileSubjectPattern(options.filter) : undefined;
    const out: StoredRecord[] = [];
    if (max === 0) return out;
    const from = Math.max(options.from ?? part.meta.first, 1);
    for (const [seq, r] of this.#backend.records(s.meta.id, p, from)) {
      if (seq > part.visible) break;
      if (matches && !matches(r.subject)) continue;
      out.push(storedRecord(stream, p, seq, r, options.metadataOnly));
      if (out.length >= max) break;
    }
    return out;
  }

  async get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord> {
    const s = this.require(stream);
    const p = this.#partition(s, partition);
    const part = s.parts[p] as (typeof s.parts)[number];
    const r =
      Number.isSafeInteger(sequence) && sequence >= 1 && sequence <= part.visible
        ? this.#backend.getRecord(s.meta.id, p, sequence)
        : undefined;
    if (!r) {
      throw new CallsignError(
        'ERR_NO_SUCH_RECORD',
        `no message ${sequence} in partition ${p} of ${stream} (stored: ${part.meta.first} to ${part.meta.last})`,
      );
    }
    const record = storedRecord(stream, p, sequence, r);
    if (!range) return record;
    const { offset, length } = range;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      throw new CallsignError(
        'ERR_INVALID_SETTINGS',
        'a byte range is a whole offset and length, at least 0',
      );
    }
    return {
      ...record,
      data: record.data.subarray(
        Math.min(offset, record.size),
        Math.min(offset + length, record.size),
      ),
    };
  }

  async lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined> {
    const s = this.require(stream);
    subjectTokens(subject);
    let best: StoredRecord | undefined;
    const parts =
      partition === undefined ? s.parts.map((_, i) => i) : [this.#partition(s, partition)];
    for (const p of parts) {
      let last = 0;
      for (const seq of this.#backend.subjectSequences(s.meta.id, p, subject)) last = seq;
      const r = last > 0 ? this.#backend.getRecord(s.meta.id, p, last) : undefined;
      if (r && (!best || r.publishTime > best.publishTime)) best = storedRecord(stream, p, last, r);
    }
    return best;
  }

  #partition(s: StreamState, p: number): number {
    if (!Number.isInteger(p) || p < 0 || p >= s.parts.length) {
      throw new CallsignError(
        'ERR_INVALID_PARTITION',
        `partition ${p} is not one of 0 to ${s.parts.length - 1} of ${s.name}`,
      );
    }
    return p;
  }

  async purge(stream: string, options: PurgeOptions = {}): Promise<number> {
    const s = this.require(stream);
    const parts =
      options.partition === undefined
        ? s.parts.map((_, i) => i)
        : [this.#partition(s, options.partition)];
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
        for (const seq of doomed) if (this.#remove(s, p, seq)) removed++;
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
          for (const seq of doomed) if (this.#remove(s, p, seq)) removed++;
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

/** A record without its undefined fields. */
function compact(r: { [K in keyof RecordData]: RecordData[K] | undefined }): RecordData {
  const out: { -readonly [K in keyof RecordData]?: RecordData[K] } = {
    publishTime: r.publishTime,
    subject: r.subject,
    data: r.data,
  };
  if (r.key !== undefined) out.key = r.key;
  if (r.properties !== undefined) out.properties = r.properties;
  if (r.eventTime !== undefined) out.eventTime = r.eventTime;
  if (r.producer !== undefined) out.producer = r.producer;
  if (r.type !== undefined) out.type = r.type;
  if (r.messageId !== undefined) out.messageId = r.messageId;
  return out as RecordData;
}

/** A backend failure as a coded error (a corrupt file keeps its code). */
export function storageError(err: unknown, what: string): CallsignError {
  if (isCallsignError(err)) return err;
  return new CallsignError('ERR_STORAGE_FAILED', `cannot read ${what}: ${toError(err).message}`, {
    cause: err,
  });
}
