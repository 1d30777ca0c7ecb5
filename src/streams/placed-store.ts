/**
 * One store over two: streams declared `local` are kept in the host's own
 * store (LMDB), streams declared `replicated` on NATS JetStream, each found
 * by its name, so one host serves both kinds and producers and consumers do
 * not change. It also holds every stream to what its declaration promises:
 * a `sealed` stream takes sealed payloads only (`ERR_NOT_SEALED`), and
 * neither `sealed` nor `storage` change once a stream is made. While no
 * NATS server answers, local streams are served as before and replicated
 * ones fail with `ERR_STREAM_UNAVAILABLE` until a server does.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import {
  type StreamConfig,
  type StreamConfigInput,
  type StreamStorage,
  streamConfig,
} from './config.ts';
import type { ConsumerConfigInput } from './consumer-config.ts';
import { isUnreachable, ReplicatedSide, unavailable } from './replicated-side.ts';
import { looksSealed } from './sealed-payload.ts';
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
} from './store.ts';

/** What {@link placedStore} is made of. */
export interface PlacedStoreInit {
  /** The host's own store: `local` for lmdb and memory, `replicated` for nats. */
  readonly own: StreamStore;
  /** Opens the store of the other kind (replicated, for a local store) when first needed. */
  readonly other?: () => Promise<StreamStore>;
  /** Told when the other side's servers stop answering, and when they answer again. */
  readonly warn?: (message: string) => void;
}

/** Where a stream is, and whether it is sealed. */
interface Place {
  readonly store: StreamStore;
  readonly sealed: boolean;
}

/** The kind of storage a store of `driver` gives. */
export function storageOf(driver: string): StreamStorage {
  return driver === 'nats' ? 'replicated' : 'local';
}

/** The store of {@link PlacedStoreInit}: see the module's comment. */
export function placedStore(init: PlacedStoreInit): StreamStore {
  return new PlacedStore(init);
}

function notSealed(stream: string): CallsignError {
  return new CallsignError(
    'ERR_NOT_SEALED',
    `stream ${stream} is sealed: its producers seal each payload with the stream key (sealKey)`,
  );
}

/** Appends the sealed items of a batch; the others are refused, each with `ERR_NOT_SEALED`. */
async function sealedOnly(
  store: StreamStore,
  stream: string,
  items: readonly AppendItem[],
): Promise<AppendOutcome[]> {
  const outcomes: (AppendOutcome | undefined)[] = items.map((i) =>
    looksSealed(i.record.data, i.record.type) ? undefined : notSealed(stream),
  );
  const kept = items.filter((_, k) => outcomes[k] === undefined);
  const stored = kept.length > 0 ? await store.appendBatch(stream, kept) : [];
  let next = 0;
  return outcomes.map((o) => o ?? (stored[next++] as AppendOutcome));
}

class PlacedStore implements StreamStore {
  readonly driver: string;
  readonly #own: StreamStore;
  readonly #ownKind: StreamStorage;
  readonly #other: ReplicatedSide | undefined;
  readonly #places = new Map<string, Place>();
  readonly #loading = new Map<string, Promise<Place | undefined>>();
  /** Appends waiting for their stream's look-up: `flush` waits until they reach their store. */
  readonly #handing = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  readonly #unwatch: (() => void)[] = [];

  constructor(init: PlacedStoreInit) {
    this.#own = init.own;
    this.driver = init.own.driver;
    this.#ownKind = storageOf(init.own.driver);
    const warn = init.warn ?? (() => {});
    this.#other = init.other
      ? new ReplicatedSide(init.other, {
          warn,
          opened: (store, again) => this.#opened(store, again),
          wanted: () => this.#listeners.size > 0,
        })
      : undefined;
    this.#watchSide(init.own);
  }

  #watchSide(store: StreamStore): void {
    this.#unwatch.push(
      store.watch((event) => {
        if (event.kind === 'deleted') this.#places.delete(event.stream);
        for (const l of this.#listeners) l(event);
      }),
    );
  }

  /** The other side is open: watched, and when it comes back, its streams are announced (a host serves them). */
  #opened(store: StreamStore, again: boolean): void {
    this.#watchSide(store);
    if (!again) return;
    store.listStreams().then(
      (names) => {
        for (const stream of names) {
          for (const l of this.#listeners) l({ kind: 'created', stream });
        }
      },
      () => {},
    );
  }

  #otherStore(kind: StreamStorage, name: string): Promise<StreamStore> {
    if (!this.#other) {
      throw new CallsignError(
        'ERR_STREAM_UNSUPPORTED',
        kind === 'replicated'
          ? `stream ${name} is declared replicated, and this store has no NATS servers (give them once per host or home: nats.json or CALLSIGN_NATS_SERVERS)`
          : `stream ${name} is declared local, and this store keeps replicated streams only`,
      );
    }
    return this.#other.get().catch((error) => {
      throw isUnreachable(error) ? unavailable(name, error, kind === 'replicated') : error;
    });
  }

  /**
   * Where `name` is. One look-up per name at a time: calls made meanwhile
   * wait for the same one, in the order they came (appends keep their order).
   */
  #find(name: string): Promise<Place | undefined> {
    const known = this.#places.get(name);
    if (known) return Promise.resolve(known);
    let loading = this.#loading.get(name);
    if (!loading) {
      loading = this.#load(name).finally(() => this.#loading.delete(name));
      this.#loading.set(name, loading);
    }
    return loading;
  }

  async #load(name: string): Promise<Place | undefined> {
    let store: StreamStore | undefined;
    if (await this.#own.hasStream(name)) store = this.#own;
    else if (this.#other) {
      const other = await this.#other.get().catch((error) => {
        throw isUnreachable(error) ? unavailable(name, error, false) : error;
      });
      if (await other.hasStream(name)) store = other;
    }
    if (!store) return undefined;
    const info = await store.streamInfo(name);
    const place = { store, sealed: info.config.sealed === true };
    this.#places.set(name, place);
    return place;
  }

  /** The store of `name` (the own store when there is none: it answers `ERR_UNKNOWN_STREAM`). */
  async #side(name: string): Promise<StreamStore> {
    return (await this.#find(name))?.store ?? this.#own;
  }

  /**
   * `call` on the store of `stream`: at once when it is known (no extra
   * turn). On the other side, its servers not answering is `ERR_STREAM_UNAVAILABLE`.
   */
  #on<T>(stream: string, call: (store: StreamStore) => Promise<T>): Promise<T> {
    const known = this.#places.get(stream);
    const done = known ? call(known.store) : this.#side(stream).then(call);
    if (known?.store === this.#own) return done;
    return done.catch((error) => {
      throw isUnreachable(error) ? unavailable(stream, error, true) : error;
    });
  }

  /** The configuration as the side keeps it: no `storage` when it is the side's own kind. */
  #placed(config: StreamConfig): { config: StreamConfig; kind: StreamStorage } {
    const kind = config.storage ?? this.#ownKind;
    const { storage: _storage, ...rest } = config;
    return { config: kind === this.#ownKind ? (rest as StreamConfig) : config, kind };
  }

  async createStream(input: StreamConfigInput): Promise<StreamInfo> {
    const { config, kind } = this.#placed(streamConfig(input));
    const known = await this.#find(config.name).catch((error) => {
      if (!(error instanceof CallsignError && error.code === 'ERR_STREAM_UNAVAILABLE')) throw error;
      // The name may be a replicated stream's: made local now, it would hide it.
      throw new CallsignError(
        'ERR_STREAM_UNAVAILABLE',
        `stream ${config.name} cannot be made now: no NATS server answers, so whether a replicated stream has this name cannot be checked`,
        { cause: error.cause },
      );
    });
    const store = kind === this.#ownKind ? this.#own : await this.#otherStore(kind, config.name);
    if (known && known.store !== store) {
      throw new CallsignError(
        'ERR_STREAM_EXISTS',
        `stream ${config.name} exists, ${kind === 'local' ? 'replicated' : 'local'}`,
      );
    }
    const info = await store.createStream(config);
    this.#places.set(config.name, { store, sealed: config.sealed === true });
    return info;
  }

  async updateStream(input: StreamConfigInput): Promise<StreamInfo> {
    const { config } = this.#placed(streamConfig(input));
    const store = await this.#side(config.name);
    const now = (await store.streamInfo(config.name)).config;
    if ((now.sealed === true) !== (config.sealed === true) || now.storage !== config.storage) {
      throw new CallsignError(
        'ERR_INVALID_STREAM',
        `stream ${config.name}: whether it is sealed, and where it is kept, cannot change`,
      );
    }
    return store.updateStream(config);
  }

  async deleteStream(name: string): Promise<boolean> {
    const place = await this.#find(name);
    this.#places.delete(name);
    return place ? place.store.deleteStream(name) : false;
  }

  async listStreams(options: { after?: string; max?: number } = {}): Promise<string[]> {
    const own = await this.#own.listStreams(options);
    if (!this.#other) return own;
    let other: string[];
    try {
      other = await (await this.#other.get()).listStreams(options);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      // Those known to be replicated are still listed: asked about, they answer `ERR_STREAM_UNAVAILABLE`.
      const after = options.after;
      other = [...this.#places]
        .filter(([name, p]) => p.store !== this.#own && (after === undefined || name > after))
        .map(([name]) => name);
    }
    const all = [...new Set([...own, ...other])].sort();
    return options.max === undefined ? all : all.slice(0, options.max);
  }

  streamInfo(name: string): Promise<StreamInfo> {
    return this.#on(name, (s) => s.streamInfo(name));
  }

  async hasStream(name: string): Promise<boolean> {
    return (await this.#find(name)) !== undefined;
  }

  append(stream: string, record: RecordInput, options?: AppendOptions): Promise<AppendResult> {
    return this.#handOver(stream, (place) => {
      if (!place) return this.#own.append(stream, record, options);
      if (place.sealed && !looksSealed(record.data, record.type))
        return Promise.reject(notSealed(stream));
      return place.store.append(stream, record, options);
    });
  }

  /** `call` with the place of `stream`: at once when it is known, else once it is found. */
  #handOver<T>(stream: string, call: (place: Place | undefined) => Promise<T>): Promise<T> {
    const known = this.#places.get(stream);
    if (known) return call(known);
    let result: Promise<T> | undefined;
    const handed = this.#find(stream).then((place) => {
      result = call(place);
    });
    this.#handing.add(handed);
    const done = () => this.#handing.delete(handed);
    handed.then(done, done);
    return handed.then(() => result as Promise<T>);
  }

  appendBatch(stream: string, items: readonly AppendItem[]): Promise<AppendOutcome[]> {
    return this.#handOver(stream, (place) => {
      if (!place) return this.#own.appendBatch(stream, items);
      if (!place.sealed) return place.store.appendBatch(stream, items);
      return sealedOnly(place.store, stream, items);
    });
  }

  async flush(options?: { sync?: boolean }): Promise<void> {
    while (this.#handing.size > 0) await Promise.allSettled([...this.#handing]);
    await Promise.all([
      this.#own.flush(options),
      this.#other?.current?.then(
        (s) => s.flush(options),
        () => {},
      ),
    ]);
  }

  read(stream: string, options?: ReadOptions): Promise<StoredRecord[]> {
    return this.#on(stream, (s) => s.read(stream, options));
  }

  readBatch(stream: string, options?: ReadOptions): Promise<RecordBatch & { next: number }> {
    return this.#on(stream, (s) => s.readBatch(stream, options));
  }

  get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord> {
    return this.#on(stream, (s) => s.get(stream, partition, sequence, range));
  }

  lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined> {
    return this.#on(stream, (s) => s.lastOfSubject(stream, subject, partition));
  }

  purge(stream: string, options?: PurgeOptions): Promise<number> {
    return this.#on(stream, (s) => s.purge(stream, options));
  }

  async expire(): Promise<number> {
    const [own, other] = await Promise.all([
      this.#own.expire(),
      this.#other?.current?.then(
        (s) => s.expire(),
        () => 0,
      ),
    ]);
    return own + (other ?? 0);
  }

  createConsumer(stream: string, config: ConsumerConfigInput): Promise<ConsumerInfo> {
    return this.#on(stream, (s) => s.createConsumer(stream, config));
  }

  deleteConsumer(stream: string, name: string): Promise<boolean> {
    return this.#on(stream, (s) => s.deleteConsumer(stream, name));
  }

  listConsumers(stream: string): Promise<string[]> {
    return this.#on(stream, (s) => s.listConsumers(stream));
  }

  consumerInfo(stream: string, name: string): Promise<ConsumerInfo> {
    return this.#on(stream, (s) => s.consumerInfo(stream, name));
  }

  pull(stream: string, consumer: string, options: PullOptions): Promise<Delivery[]> {
    return this.#on(stream, (s) => s.pull(stream, consumer, options));
  }

  pullBatch(stream: string, consumer: string, options: PullOptions): Promise<RecordBatch> {
    return this.#on(stream, (s) => s.pullBatch(stream, consumer, options));
  }

  pullOnAppend(
    stream: string,
    consumer: string,
    options: PullOptions,
    deliver: (batch: RecordBatch) => void,
  ): (() => void) | undefined {
    // Only where the stream is known to be: a look-up would come after the append.
    return this.#places.get(stream)?.store.pullOnAppend?.(stream, consumer, options, deliver);
  }

  nextRedelivery(stream: string, consumer: string): Promise<number | undefined> {
    return this.#on(stream, (s) => s.nextRedelivery(stream, consumer));
  }

  ack(stream: string, consumer: string, partition: number, sequence: number) {
    return this.#on(stream, (s) => s.ack(stream, consumer, partition, sequence));
  }

  ackRange(stream: string, consumer: string, partition: number, from: number, to: number) {
    return this.#on(stream, (s) => s.ackRange(stream, consumer, partition, from, to));
  }

  nak(stream: string, consumer: string, partition: number, sequence: number, delayMs = 0) {
    return this.#on(stream, (s) => s.nak(stream, consumer, partition, sequence, delayMs));
  }

  term(stream: string, consumer: string, partition: number, sequence: number) {
    return this.#on(stream, (s) => s.term(stream, consumer, partition, sequence));
  }

  resetPending(stream: string, consumer: string): Promise<void> {
    return this.#on(stream, (s) => s.resetPending(stream, consumer));
  }

  watch(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const stop of this.#unwatch.splice(0)) stop();
    await Promise.all([this.#own.close(), this.#other?.close()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
