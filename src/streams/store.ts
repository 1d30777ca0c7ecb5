/**
 * The stream storage contract: what every driver (`lmdb`, `memory`, and
 * NATS JetStream later) does, and what `describeStreamStore` checks of each.
 *
 * A store holds streams (appends, retention, duplicates, partitions,
 * compaction) and their named consumers (positions, pending deliveries,
 * acknowledgements). It knows nothing of actors or sessions: the stream host
 * drives one store and decides who is attached to which consumer. The
 * contract is shaped so that JetStream fits behind it: a partition is a
 * JetStream stream, a consumer a durable pull consumer, `pull` a batch
 * fetch, keyed compaction a per-subject limit of one.
 *
 * @module
 */
import type { CallsignError } from '../errors.ts';
import type { StreamConfig, StreamConfigInput } from './config.ts';
import type { ConsumerConfig, ConsumerConfigInput } from './consumer-config.ts';

/** What a producer gives to append. */
export interface RecordInput {
  /** The payload: an encoded registered message (see `type`) or raw bytes. */
  readonly data: Uint8Array;
  /** Default: the stream's name. Must match one of the stream's subject patterns. */
  readonly subject?: string;
  /** Chooses the partition (by hash) and, with compaction, which messages replace each other. */
  readonly key?: string;
  /** Application properties, kept with the message. */
  readonly properties?: Readonly<Record<string, string>>;
  /** When the event happened, by the producer's clock (ms since the epoch). */
  readonly eventTime?: number;
  /** The producer's name. */
  readonly producer?: string;
  /** The registered message type of `data`, when it is one. */
  readonly type?: string;
}

/** Conditions of one append. */
export interface AppendOptions {
  /** A message id: a second append with the same id within the duplicate window is not stored again. */
  readonly messageId?: string;
  /** Refuse (`ERR_WRONG_LAST_SEQUENCE`) unless the partition's last sequence is this (0: empty). */
  readonly expectedLastSequence?: number;
  /** The partition, instead of the key's hash. */
  readonly partition?: number;
}

/** What an append resolves to. */
export interface AppendResult {
  readonly stream: string;
  readonly partition: number;
  readonly sequence: number;
  /** When the store took it (ms since the epoch). */
  readonly publishTime: number;
  /** True when the message id was seen within the window: `sequence` is the first one's. */
  readonly duplicate: boolean;
}

/** One append of {@link StreamStore.appendBatch}. */
export interface AppendItem {
  readonly record: RecordInput;
  readonly options?: AppendOptions;
}

/** The outcome of one append of a batch: where it went, or the coded error that refused it. */
export type AppendOutcome = AppendResult | CallsignError;

/**
 * Records or deliveries in their packed form (record-batch.ts): what a host
 * sends in one message. `positions` lists partition, sequence, partition,
 * sequence, ... of the entries, in order.
 */
export interface RecordBatch {
  readonly count: number;
  readonly bytes: Uint8Array;
  readonly positions: readonly number[];
  /** For reads: the sequence to read on from. */
  readonly next?: number;
}

/** A stored message: what was given, and where and when the store put it. */
export interface StoredRecord extends RecordInput {
  readonly stream: string;
  readonly partition: number;
  readonly sequence: number;
  readonly publishTime: number;
  readonly subject: string;
  readonly messageId?: string;
  /** Bytes of data (also when a delivery leaves `data` out). */
  readonly size: number;
}

/** A message handed to a consumer: the record and how often it was delivered. */
export interface Delivery extends StoredRecord {
  readonly consumer: string;
  /** 1 the first time, more when it is sent again (no ack in time, or a nak). */
  readonly deliveryCount: number;
}

/** The state of one partition. */
export interface PartitionInfo {
  readonly partition: number;
  /** Messages stored now. */
  readonly messages: number;
  /** Bytes of data stored now. */
  readonly bytes: number;
  /** The first stored sequence (0 when empty). */
  readonly firstSequence: number;
  /** The last sequence given (kept when messages are removed; never reused). */
  readonly lastSequence: number;
  readonly firstTime?: number;
  readonly lastTime?: number;
}

/** A stream's configuration and state. */
export interface StreamInfo {
  readonly config: StreamConfig;
  readonly created: number;
  readonly messages: number;
  readonly bytes: number;
  readonly partitions: readonly PartitionInfo[];
  readonly consumers: number;
}

/** A consumer's position in one partition. */
export interface ConsumerPosition {
  readonly partition: number;
  /** Every sequence up to this one is acknowledged (or terminated, or removed). */
  readonly ackFloor: number;
  /** The next sequence never yet delivered. */
  readonly nextSequence: number;
  /** Delivered, awaiting acknowledgement. */
  readonly pending: number;
  /** Stored, matching, never delivered. */
  readonly waiting: number;
}

/** A consumer's configuration and positions. */
export interface ConsumerInfo {
  readonly stream: string;
  readonly config: ConsumerConfig;
  readonly created: number;
  readonly positions: readonly ConsumerPosition[];
}

/** Options of {@link StreamStore.pull}. */
export interface PullOptions {
  /** Most deliveries to return. */
  readonly max: number;
  /** Only these partitions. Default: all. */
  readonly partitions?: readonly number[];
  /** Leave `data` out of the deliveries (fetch it later with {@link StreamStore.get}). */
  readonly metadataOnly?: boolean;
  /** Stop adding deliveries once their bytes pass this (at least one is given). Default 1 MiB. */
  readonly maxBytes?: number;
}

/** Options of {@link StreamStore.read}. */
export interface ReadOptions {
  readonly partition?: number;
  /** From this sequence (default the first). */
  readonly from?: number;
  /** At most this many (default 1000). */
  readonly max?: number;
  /** Only subjects matching this pattern. */
  readonly filter?: string;
  readonly metadataOnly?: boolean;
  /** Stop adding records once their bytes pass this (at least one is given). Default 1 MiB. */
  readonly maxBytes?: number;
}

/** Options of {@link StreamStore.purge}. */
export interface PurgeOptions {
  /** Only this partition. */
  readonly partition?: number;
  /** Only messages of subjects matching this pattern. */
  readonly filter?: string;
  /** Keep sequences from this one on (remove those below it). */
  readonly keepFrom?: number;
}

/** The byte range of {@link StreamStore.get}. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Something that happened in a store that a host wants to hear of at once. */
export type StoreEvent =
  | {
      readonly kind: 'appended';
      readonly stream: string;
      readonly partition: number;
      readonly sequence: number;
    }
  | { readonly kind: 'created' | 'deleted'; readonly stream: string };

/**
 * One store of streams: the storage contract every driver implements.
 *
 * Reads are synchronous where the driver allows it (`lmdb`, `memory`);
 * every method may also be awaited, which is what a network driver needs.
 * Errors are `CallsignError`s with the codes in docs/errors.md.
 */
export interface StreamStore extends AsyncDisposable {
  /** The driver's name: `lmdb`, `memory`, ... */
  readonly driver: string;

  /**
   * Makes a stream; the same configuration again is no error, another is
   * `ERR_STREAM_EXISTS`.
   */
  createStream(config: StreamConfigInput): Promise<StreamInfo>;
  /** Changes limits of a stream (its name and partitions stay); existing messages are trimmed to fit. */
  updateStream(config: StreamConfigInput): Promise<StreamInfo>;
  /** Removes a stream, its messages and consumers. False when there was none. */
  deleteStream(name: string): Promise<boolean>;
  /** The names of the streams, in order, from `after` on, at most `max`. */
  listStreams(options?: { after?: string; max?: number }): Promise<string[]>;
  /** @throws `ERR_UNKNOWN_STREAM` */
  streamInfo(name: string): Promise<StreamInfo>;
  /** True when a stream of that name exists. */
  hasStream(name: string): Promise<boolean>;

  /**
   * Appends one message. Resolves once it is stored as the stream's
   * durability says (`commit`, or `flush`: synced to disk).
   *
   * @throws `ERR_UNKNOWN_STREAM`, `ERR_MESSAGE_TOO_LARGE`, `ERR_INVALID_SUBJECT`,
   *   `ERR_SUBJECT_NOT_BOUND`, `ERR_STREAM_FULL`, `ERR_WRONG_LAST_SEQUENCE`,
   *   `ERR_INVALID_PARTITION`, `ERR_STORAGE_FAILED`
   */
  append(stream: string, record: RecordInput, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends many messages, in order, as one write: each is stored or refused
   * on its own (a refused one does not stop the others), with the same
   * codes as {@link StreamStore.append}. Resolves once all are stored as the
   * stream's durability says.
   *
   * @throws `ERR_UNKNOWN_STREAM` (for the whole batch)
   */
  appendBatch(stream: string, items: readonly AppendItem[]): Promise<AppendOutcome[]>;
  /** Resolves when everything appended before is stored, synced to disk when `sync`. */
  flush(options?: { sync?: boolean }): Promise<void>;

  /** Stored messages in sequence order (replay, `stream view`). */
  read(stream: string, options?: ReadOptions): Promise<StoredRecord[]>;
  /**
   * The same as {@link StreamStore.read}, packed; `next` is where to read on
   * (past what was returned, or passed over by the filter).
   */
  readBatch(stream: string, options?: ReadOptions): Promise<RecordBatch & { next: number }>;
  /**
   * One stored message, or a byte range of its data.
   *
   * @throws `ERR_UNKNOWN_STREAM`, `ERR_INVALID_PARTITION`, `ERR_NO_SUCH_RECORD`
   */
  get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord>;
  /** The last message of `subject` in a partition, if any. */
  lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined>;
  /** Removes messages; resolves to how many. */
  purge(stream: string, options?: PurgeOptions): Promise<number>;
  /** Removes messages older than each stream's `maxAge`, and duplicate ids out of their window. */
  expire(): Promise<number>;

  /**
   * Makes a named consumer (its start is resolved now); the same
   * configuration again is no error, another is `ERR_CONSUMER_EXISTS`.
   */
  createConsumer(stream: string, config: ConsumerConfigInput): Promise<ConsumerInfo>;
  deleteConsumer(stream: string, name: string): Promise<boolean>;
  listConsumers(stream: string): Promise<string[]>;
  /** @throws `ERR_UNKNOWN_STREAM`, `ERR_UNKNOWN_CONSUMER` */
  consumerInfo(stream: string, name: string): Promise<ConsumerInfo>;
  /**
   * The next deliveries of a consumer: first those whose ack wait passed or
   * whose nak delay ended (sent again), then new ones in sequence order per
   * partition; at most `maxAckPending` awaiting acknowledgement.
   */
  pull(stream: string, consumer: string, options: PullOptions): Promise<Delivery[]>;
  /** The same as {@link StreamStore.pull}, packed (what a host sends to a consumer). */
  pullBatch(stream: string, consumer: string, options: PullOptions): Promise<RecordBatch>;
  /**
   * Optional: the next deliveries of a consumer that has caught up, decided
   * in the write transaction of the next append to `stream`, so that what
   * the consumer was given is stored with the message, in the same write
   * (its delivery counts are as durable as the append). `deliver` runs once
   * that transaction is durable, with what was pulled (never empty), before
   * the `appended` event; nothing is delivered if the write fails.
   *
   * Gives back a function that cancels the wait, or `undefined` when the
   * store cannot wait so (the caller then pulls after the `appended` event).
   */
  pullOnAppend?(
    stream: string,
    consumer: string,
    options: PullOptions,
    deliver: (batch: RecordBatch) => void,
  ): (() => void) | undefined;
  /** When the next delivery awaiting acknowledgement is due again (ms since the epoch), if any. */
  nextRedelivery(stream: string, consumer: string): Promise<number | undefined>;
  /**
   * Acknowledges a delivery; resolves once the new position is stored
   * (a restarted consumer resumes after it). False when it was not pending.
   */
  ack(stream: string, consumer: string, partition: number, sequence: number): Promise<boolean>;
  /**
   * Acknowledges every delivery awaiting acknowledgement in `partition` from
   * `from` to `to` (both included); resolves, once the position is stored, to
   * how many there were. What was not pending in the range is left alone.
   */
  ackRange(
    stream: string,
    consumer: string,
    partition: number,
    from: number,
    to: number,
  ): Promise<number>;
  /** Asks for a delivery again after `delayMs` (0: at once). */
  nak(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    delayMs?: number,
  ): Promise<boolean>;
  /** Gives up a delivery for good: never sent again, counted as acknowledged. */
  term(stream: string, consumer: string, partition: number, sequence: number): Promise<boolean>;
  /** Forgets every pending delivery of a consumer, so they are sent again (a failover, a restart). */
  resetPending(stream: string, consumer: string): Promise<void>;

  /** Hears of appends and deletions as they happen; returns how to stop. */
  watch(listener: (event: StoreEvent) => void): () => void;
  /** Closes the store: pending writes are committed first. Safe to call twice. */
  close(): Promise<void>;
}

/** A function that opens a store of one driver with its options. */
export type StreamStoreFactory = (options: Record<string, unknown>) => Promise<StreamStore>;

/** Options every driver accepts. */
export interface StreamStoreInit {
  /** Where time comes from (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

export type { ConsumerConfig, StreamConfig };
