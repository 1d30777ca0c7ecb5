/**
 * Records in their packed form: what a store's `pullBatch` and `readBatch`
 * give, and what a stream host sends to a consumer or a reader as one
 * message. Each entry is the partition, the sequence and the delivery count
 * (varuints), a flags byte (1: the data is left out, and its size follows),
 * the record's length and its bytes as record-codec.ts writes them. The
 * `lmdb` driver copies stored records in as they are; other drivers encode.
 * Pure.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { RecordData } from './backend.ts';
import { ByteReader } from './byte-reader.ts';
import { decodeRecordInto, encodeRecord, recordDataOffset } from './record-codec.ts';
import type { Delivery, RecordBatch, StoredRecord } from './store.ts';

/** The flag of an entry whose data was left out (`metadataOnly`). */
const DATA_LEFT_OUT = 1;

/**
 * What to make a {@link RecordBatchWriter} for a page of at most `max`
 * records and `maxBytes` (the last record may go past it): room for all of
 * it at once, up to 1 KiB a record. Growing by doubling from a small buffer
 * copied each page about twice over (a 1 MiB page ended in a 2 MiB buffer).
 */
export function batchSizeHint(max: number, maxBytes: number): number {
  return Math.min(maxBytes + 64 * 1024, Math.max(1, max) * 1024);
}

const EMPTY = Buffer.alloc(0);

function storedDamaged(): CallsignError {
  return new CallsignError('ERR_STORAGE_CORRUPT', 'a stored block of records is damaged');
}

const entryReader = new ByteReader(undefined, storedDamaged);

/** Builds one {@link RecordBatch}. */
export class RecordBatchWriter {
  /** Empty until the first record: a pull that finds nothing allocates nothing. */
  #buf: Buffer = EMPTY;
  readonly #hint: number;
  #at = 0;
  #count = 0;
  readonly #positions: number[] = [];

  constructor(sizeHint = 16 * 1024) {
    this.#hint = Math.max(64, sizeHint);
  }

  /** Entries so far. */
  get count(): number {
    return this.#count;
  }

  /** Bytes so far. */
  get size(): number {
    return this.#at;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    if (this.#buf === EMPTY) {
      this.#buf = Buffer.allocUnsafe(Math.max(this.#hint, n));
      return;
    }
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }

  #uint(n: number): void {
    while (n >= 0x80) {
      this.#buf[this.#at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#at++] = n;
  }

  /**
   * Adds a stored record (its bytes as record-codec.ts writes them, checked
   * here: `record` from `start` to `stop`), without its data when `leaveOutData`.
   *
   * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
   */
  add(
    partition: number,
    sequence: number,
    deliveryCount: number,
    record: Uint8Array,
    leaveOutData = false,
    start = 0,
    stop = record.byteLength,
  ): void {
    const length = stop - start;
    const header = recordDataOffset(record, start, stop);
    const end = leaveOutData ? header : length;
    this.#room(40 + end);
    this.#uint(partition);
    this.#uint(sequence);
    this.#uint(deliveryCount);
    if (leaveOutData) {
      this.#buf[this.#at++] = DATA_LEFT_OUT;
      this.#uint(length - end);
    } else {
      this.#buf[this.#at++] = 0;
    }
    this.#uint(end);
    // A plain view for the part (a Buffer's subarray looks up its species: slower).
    this.#buf.set(
      start === 0 && end === record.byteLength
        ? record
        : new Uint8Array(record.buffer, record.byteOffset + start, end),
      this.#at,
    );
    this.#at += end;
    this.#count++;
    this.#positions.push(partition, sequence);
  }

  /**
   * Adds `count` entries already in this form (a stored block's,
   * record-block.ts, checked when it was written): `bytes` from `start` to
   * `end`, copied as they are; only their framing is read here, for the
   * positions.
   *
   * @throws CallsignError `ERR_STORAGE_CORRUPT` when they are not `count` entries
   */
  addEntries(bytes: Uint8Array, start: number, end: number, count: number): void {
    const r = entryReader.reset(bytes, start, end);
    const positions = this.#positions;
    for (let i = 0; i < count; i++) {
      const partition = r.uint();
      positions.push(partition, r.uint());
      r.uint();
      r.byte();
      r.skip();
    }
    if (r.at !== end) throw storedDamaged();
    this.#room(end - start);
    this.#buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start), this.#at);
    this.#at += end - start;
    this.#count += count;
  }

  /** Adds a record given as fields (drivers that do not store record-codec bytes). */
  addRecord(
    partition: number,
    sequence: number,
    deliveryCount: number,
    record: RecordData,
    leaveOutData = false,
  ): void {
    this.add(partition, sequence, deliveryCount, encodeRecord(record), leaveOutData);
  }

  /** The batch (the writer is not to be used after). */
  finish(next?: number): RecordBatch {
    const out = {
      count: this.#count,
      bytes: this.#buf.subarray(0, this.#at),
      positions: this.#positions,
    };
    return next === undefined ? out : { ...out, next };
  }
}

function damaged(): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', 'a packed record batch is damaged');
}

/** One entry of a packed batch, as {@link forEachRecord} reads it. */
export interface BatchEntry {
  readonly partition: number;
  readonly sequence: number;
  readonly deliveryCount: number;
  /** The data's size (also when it was left out). */
  readonly size: number;
  /** The record; its data is a view of the batch's bytes (empty when left out). */
  readonly record: RecordData;
}

/** What {@link walkEntries} passes on of each entry: the record is `buf` from `start` to `end`. */
export type EntryFn = (
  partition: number,
  sequence: number,
  deliveryCount: number,
  leftOut: number,
  buf: Buffer,
  start: number,
  end: number,
) => void;

/**
 * Goes through the entries of packed `bytes` (at most `max`), without a
 * view of any; `leftOut` is the size of data left out, or -1.
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` for bytes that are not a batch
 */
export function walkEntries(bytes: Uint8Array, fn: EntryFn, max: number): number {
  const r = new ByteReader(bytes, damaged);
  let n = 0;
  while (r.more && n < max) {
    const partition = r.uint();
    const sequence = r.uint();
    const deliveryCount = r.uint();
    const flags = r.byte();
    if (flags > DATA_LEFT_OUT) throw damaged();
    const leftOut = flags === DATA_LEFT_OUT ? r.uint() : -1;
    const length = r.uint();
    const start = r.at;
    r.skip(length);
    fn(partition, sequence, deliveryCount, leftOut, r.buf, start, start + length);
    n++;
  }
  return n;
}

/** The record from `start` to `end` of `buf` into `out`, a damaged one as a damaged batch. */
function decodeEntry(
  buf: Buffer,
  start: number,
  end: number,
  out: Parameters<typeof decodeRecordInto>[3],
): void {
  try {
    decodeRecordInto(buf, start, end, out);
  } catch {
    throw damaged();
  }
}

/**
 * Calls `fn` with each entry of packed `bytes`, in order; at most `max`.
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` for bytes that are not a batch
 */
export function forEachRecord(
  bytes: Uint8Array,
  fn: (entry: BatchEntry) => void,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return walkEntries(
    bytes,
    (partition, sequence, deliveryCount, leftOut, buf, start, end) => {
      const record = {} as RecordData;
      decodeEntry(buf, start, end, record);
      const size = leftOut >= 0 ? leftOut : record.data.byteLength;
      fn({ partition, sequence, deliveryCount, size, record });
    },
    max,
  );
}

/**
 * The records of a batch as the contract's objects: one object each, its
 * data a view of the batch's bytes.
 */
export function storedRecordsOf(stream: string, batch: RecordBatch): StoredRecord[] {
  const out: StoredRecord[] = [];
  walkEntries(
    batch.bytes,
    (partition, sequence, _count, leftOut, buf, start, end) => {
      const r: Record<string, unknown> = { stream, partition, sequence };
      decodeEntry(buf, start, end, r);
      r.size = leftOut >= 0 ? leftOut : (r.data as Uint8Array).byteLength;
      out.push(r as unknown as StoredRecord);
    },
    Number.MAX_SAFE_INTEGER,
  );
  return out;
}

/** The deliveries of a batch as the contract's objects. */
export function deliveriesOf(stream: string, consumer: string, batch: RecordBatch): Delivery[] {
  const out: Delivery[] = [];
  walkEntries(
    batch.bytes,
    (partition, sequence, deliveryCount, leftOut, buf, start, end) => {
      const r: Record<string, unknown> = { stream, partition, sequence };
      decodeEntry(buf, start, end, r);
      r.size = leftOut >= 0 ? leftOut : (r.data as Uint8Array).byteLength;
      r.consumer = consumer;
      r.deliveryCount = deliveryCount;
      out.push(r as unknown as Delivery);
    },
    Number.MAX_SAFE_INTEGER,
  );
  return out;
}
