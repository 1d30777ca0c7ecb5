/**
 * Packed records: consecutive records of one partition stored as one value
 * (a block), so that a replay takes one storage step per block instead of
 * one per record, and copies a block's entries into a page as they are.
 *
 * A block is a marker byte ({@link BLOCK}, never a record's first byte:
 * a record's flags are below 64), the number of entries and the last
 * sequence (varuints), then the entries in the form of a record batch
 * (record-batch.ts): partition, sequence, delivery count 0, flags 0, the
 * record's length and its bytes (record-codec.ts). A value that is not a
 * block is one record, as every store wrote before blocks. Pure.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { recordDataOffset, varuintLength } from './record-codec.ts';

/** The first byte of a block. */
export const BLOCK = 0xb1;

/** The most bytes of records one block holds (the last record may go past it). */
export const BLOCK_BYTES = 16 * 1024;

/** The most records one block holds. */
export const BLOCK_RECORDS = 256;

/** True when the stored value `bytes` is a block (else it is one record). */
export function isBlock(bytes: Uint8Array): boolean {
  return bytes[0] === BLOCK;
}

function damaged(): CallsignError {
  return new CallsignError('ERR_STORAGE_CORRUPT', 'a stored block of records is damaged');
}

function putUint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/**
 * The block of `records` (ascending sequences, each a record's bytes) of
 * partition `partition`. Each record is checked (its header must parse).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
 */
export function encodeBlock(
  partition: number,
  sequences: readonly number[],
  records: readonly Uint8Array[],
): Buffer {
  const n = sequences.length;
  const last = sequences[n - 1] ?? 0;
  let size = 1 + varuintLength(n) + varuintLength(last);
  const head = varuintLength(partition);
  for (let i = 0; i < n; i++) {
    const r = records[i] as Uint8Array;
    recordDataOffset(r);
    size +=
      head + varuintLength(sequences[i] as number) + 2 + varuintLength(r.byteLength) + r.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = BLOCK;
  let at = putUint(out, 1, n);
  at = putUint(out, at, last);
  for (let i = 0; i < n; i++) {
    const r = records[i] as Uint8Array;
    at = putUint(out, at, partition);
    at = putUint(out, at, sequences[i] as number);
    out[at++] = 0; // delivery count
    out[at++] = 0; // flags
    at = putUint(out, at, r.byteLength);
    out.set(r, at);
    at += r.byteLength;
  }
  return out;
}

/** What a block's header says. */
export interface BlockHeader {
  /** Entries. */
  readonly count: number;
  /** The last entry's sequence. */
  readonly last: number;
  /** Where the entries begin. */
  readonly entries: number;
}

const reader = new ByteReader(undefined, damaged);

/**
 * The header of the block in `bytes` (its first `length` bytes).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for a damaged block
 */
export function blockHeader(bytes: Uint8Array, length = bytes.byteLength): BlockHeader {
  const r = reader.reset(bytes, 1, length);
  if (bytes[0] !== BLOCK) throw damaged();
  const count = r.uint();
  const last = r.uint();
  if (count === 0 || count > length) throw damaged();
  return { count, last, entries: r.at };
}

/**
 * Calls `fn` with each entry of the block in `bytes` (its first `length`
 * bytes) whose sequence is at least `from`: the sequence and where its
 * record is in `bytes`, until `fn` returns false. Gives what `fn` gave last
 * (true when it went through the whole block).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for a damaged block
 */
export function forBlockEntries(
  bytes: Uint8Array,
  length: number,
  from: number,
  fn: (sequence: number, start: number, end: number) => boolean,
): boolean {
  const { count, entries } = blockHeader(bytes, length);
  // One reader of its own: `fn` may read other blocks.
  const r = new ByteReader(bytes, damaged).reset(bytes, entries, length);
  for (let i = 0; i < count; i++) {
    r.uint(); // partition
    const seq = r.uint();
    if (r.uint() !== 0 || r.byte() !== 0) throw damaged();
    const n = r.uint();
    const start = r.at;
    r.skip(n);
    if (seq >= from && !fn(seq, start, start + n)) return false;
  }
  if (r.at !== length) throw damaged();
  return true;
}

/** The sequences and record bytes (views of `bytes`) of a block, but `without`. */
export function blockEntries(
  bytes: Uint8Array,
  without = 0,
): { sequences: number[]; records: Uint8Array[] } {
  const sequences: number[] = [];
  const records: Uint8Array[] = [];
  forBlockEntries(bytes, bytes.byteLength, 0, (seq, start, end) => {
    if (seq !== without) {
      sequences.push(seq);
      records.push(bytes.subarray(start, end));
    }
    return true;
  });
  return { sequences, records };
}
