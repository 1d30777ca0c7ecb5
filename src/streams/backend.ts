/**
 * What the log store needs of a storage engine: ordered records per
 * partition, two indexes (by subject, by key), and small metadata records,
 * written inside transactions. The `lmdb` and `memory` drivers are each one
 * of these under the same {@link LogStore}; a driver whose engine keeps its
 * own consumers and limits (JetStream) implements `StreamStore` directly.
 *
 * @module
 */
import type { StreamConfig } from './config.ts';
import type { ConsumerConfig } from './consumer-config.ts';
import type { SavedPosition } from './consumer-state.ts';

/** A stream as stored: its internal id (records are filed under it) and configuration. */
export interface StreamMeta {
  readonly id: number;
  readonly config: StreamConfig;
  readonly created: number;
}

/** A partition's counters, stored with every change so that opening is O(1). */
export interface PartitionMeta {
  first: number;
  last: number;
  messages: number;
  bytes: number;
  firstTime?: number;
  lastTime?: number;
}

/** A consumer as stored. */
export interface ConsumerMeta {
  readonly config: ConsumerConfig;
  readonly created: number;
  readonly positions: readonly SavedPosition[];
}

/** One record as stored: everything but where it is (stream, partition, sequence). */
export interface RecordData {
  readonly publishTime: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly key?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly eventTime?: number;
  readonly producer?: string;
  readonly type?: string;
  readonly messageId?: string;
}

/** Where a duplicate id's first message went. */
export interface DuplicateEntry {
  readonly partition: number;
  readonly sequence: number;
  readonly publishTime: number;
}

/** What `LogBackend.forRecordBytes` calls with each record. */
export type RecordBytesFn = (
  sequence: number,
  bytes: Uint8Array,
  start: number,
  end: number,
) => boolean;

/** What `LogBackend.forRecordBytes` offers a block of records (record-block.ts) to. */
export type BlockFn = (
  bytes: Uint8Array,
  start: number,
  end: number,
  count: number,
  first: number,
  last: number,
) => 'taken' | 'each' | 'stop';

/**
 * A storage engine. Reads are synchronous and see what is committed, and
 * inside {@link LogBackend.transact} also what that transaction wrote; writes
 * happen only inside `transact`.
 */
export interface LogBackend {
  readonly driver: string;
  /** Runs `fn` in one write transaction; resolves once it is committed (`sync`: and synced to disk). */
  transact(fn: () => void): Promise<void>;
  /** Resolves once everything committed so far is synced to disk. */
  flushed(): Promise<void>;
  close(): Promise<void>;

  allocateStreamId(): number;
  getStream(name: string): StreamMeta | undefined;
  putStream(meta: StreamMeta): void;
  /** Removes the stream and everything filed under its id. */
  deleteStream(meta: StreamMeta): void;
  listStreams(after: string | undefined, max: number): string[];

  getPartition(id: number, partition: number): PartitionMeta | undefined;
  putPartition(id: number, partition: number, meta: PartitionMeta): void;

  putRecord(id: number, partition: number, sequence: number, record: RecordData): void;
  /** Removes a record and its index entries. */
  removeRecord(id: number, partition: number, sequence: number, record: RecordData): void;
  getRecord(id: number, partition: number, sequence: number): RecordData | undefined;
  /** The stored bytes of a record (record-codec.ts), for sending it on as it is. */
  getRecordBytes(id: number, partition: number, sequence: number): Uint8Array | undefined;
  /** Records from `from` (inclusive) upward, in order. */
  records(id: number, partition: number, from: number): Iterable<[number, RecordData]>;
  /**
   * The same, as their stored bytes (record-codec.ts): `fn` is called with
   * each sequence, a buffer and where in it the record is (from `start` to
   * `end`), until it returns false or the records end. The buffer may be one
   * that the next step overwrites: copy what is needed before returning. (A
   * callback, not an iterable: a page of records is read with no object made
   * per record beyond LMDB's own.)
   *
   * A driver that stores records many to a value (record-block.ts) first
   * offers each such value whose records all come at or after `from` to
   * `block`, when given: its entries as a record batch's, from `start` to
   * `end` of `bytes`. `block` takes them all (`'taken'`: `fn` is not called
   * for them), stops the read (`'stop'`), or asks for them one by one
   * (`'each'`).
   */
  forRecordBytes(
    id: number,
    partition: number,
    from: number,
    fn: RecordBytesFn,
    block?: BlockFn,
  ): void;
  /** The stored sequences of a subject, ascending. */
  subjectSequences(id: number, partition: number, subject: string): Iterable<number>;
  subjectCount(id: number, partition: number, subject: string): number;
  /** Each subject of the partition with its last sequence. */
  lastPerSubject(id: number, partition: number): Iterable<[string, number]>;
  /** The stored sequences of a key, ascending. */
  keySequences(id: number, partition: number, key: string): Iterable<number>;
  keyCount(id: number, partition: number, key: string): number;

  consumers(id: number): Iterable<[string, ConsumerMeta]>;
  putConsumer(id: number, name: string, meta: ConsumerMeta): void;
  deleteConsumer(id: number, name: string): void;

  duplicates(id: number): Iterable<[string, DuplicateEntry]>;
  putDuplicate(id: number, messageId: string, entry: DuplicateEntry): void;
  deleteDuplicate(id: number, messageId: string): void;
}
