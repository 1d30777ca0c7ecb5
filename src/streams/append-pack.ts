/**
 * Appends and their outcomes in packed form: a producer sends the appends
 * of one event-loop turn as one message, the host answers once for all of
 * them. Pure: bytes in, bytes out; what comes from the network is checked
 * here for shape (lengths, counts) and by the store for the rest.
 *
 * An append: a flags varuint (1 subject, 2 key, 4 properties, 8 event time,
 * 16 type, 32 message id, 64 expected last sequence, 128 partition), those
 * fields in that order (text as a varuint length and UTF-8, properties as a
 * count and pairs, times as 64-bit floats), then the data's length and bytes.
 * An outcome: a flags byte (1 duplicate, 2 refused), then, unless refused,
 * the partition, the sequence (varuints) and the publish time (a float).
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import type { AppendInit } from './producer.ts';
import type { AppendItem, AppendOutcome, AppendResult, RecordInput } from './store.ts';

const SUBJECT = 1;
const KEY = 2;
const PROPERTIES = 4;
const EVENT_TIME = 8;
const TYPE = 16;
const MESSAGE_ID = 32;
const EXPECTED_LAST = 64;
const PARTITION = 128;
const KNOWN = 255;

/** The most properties of one append. */
export const MAX_PROPERTIES = 1024;

/** A growable buffer of varuints, floats, text and bytes. */
class Out {
  buf: Buffer;
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
  uint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }
  float(n: number): void {
    this.room(8);
    this.buf.writeDoubleLE(n, this.at);
    this.at += 8;
  }
  text(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uint(n);
    this.room(n);
    this.at += this.buf.write(s, this.at, 'utf8');
  }
  bytes(b: Uint8Array): void {
    this.uint(b.byteLength);
    this.room(b.byteLength);
    this.buf.set(b, this.at);
    this.at += b.byteLength;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

function bad(why: string): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', `a packed batch of appends is damaged: ${why}`);
}

/** What a producer packs per append. */
export interface PackedAppend extends Omit<AppendInit, 'eventTime'> {
  readonly data: Uint8Array;
  readonly eventTime?: number;
  readonly type?: string;
}

/** Packs the appends of one batch (a producer). */
export class AppendPackWriter {
  readonly #out = new Out(16 * 1024);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  get size(): number {
    return this.#out.at;
  }

  add(a: PackedAppend): void {
    const o = this.#out;
    const flags =
      (a.subject === undefined ? 0 : SUBJECT) |
      (a.key === undefined ? 0 : KEY) |
      (a.properties === undefined ? 0 : PROPERTIES) |
      (a.eventTime === undefined ? 0 : EVENT_TIME) |
      (a.type === undefined ? 0 : TYPE) |
      (a.messageId === undefined ? 0 : MESSAGE_ID) |
      (a.expectedLastSequence === undefined ? 0 : EXPECTED_LAST) |
      (a.partition === undefined ? 0 : PARTITION);
    o.uint(flags);
    if (a.subject !== undefined) o.text(a.subject);
    if (a.key !== undefined) o.text(a.key);
    if (a.properties !== undefined) {
      const entries = Object.entries(a.properties);
      o.uint(entries.length);
      for (const [k, v] of entries) {
        o.text(k);
        o.text(v);
      }
    }
    if (a.eventTime !== undefined) o.float(a.eventTime);
    if (a.type !== undefined) o.text(a.type);
    if (a.messageId !== undefined) o.text(a.messageId);
    if (a.expectedLastSequence !== undefined) o.uint(a.expectedLastSequence);
    if (a.partition !== undefined) o.uint(a.partition);
    o.bytes(a.data);
    this.#count++;
  }

  /** The packed appends (the writer is not to be used after). */
  finish(): Uint8Array {
    return this.#out.done();
  }
}

/**
 * The appends of a packed batch, as the store takes them; `producer` is
 * stored with each. At most `max` appends.
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` for bytes that are not a batch
 */
export function readAppendPack(
  bytes: Uint8Array,
  producer: string | undefined,
  max: number,
): AppendItem[] {
  const r = new ByteReader(bytes, bad);
  const items: AppendItem[] = [];
  while (r.more) {
    if (items.length >= max) throw bad(`more than ${max} appends`);
    const flags = r.uint();
    if ((flags & ~KNOWN) !== 0) throw bad('unknown flags');
    const record: { -readonly [K in keyof RecordInput]: RecordInput[K] } = {
      data: new Uint8Array(0),
    };
    const options: { messageId?: string; expectedLastSequence?: number; partition?: number } = {};
    if (flags & SUBJECT) record.subject = r.text();
    if (flags & KEY) record.key = r.text();
    if (flags & PROPERTIES) {
      const n = r.uint();
      if (n > MAX_PROPERTIES) throw bad(`more than ${MAX_PROPERTIES} properties`);
      const props: Record<string, string> = Object.create(null);
      for (let i = 0; i < n; i++) props[r.text()] = r.text();
      record.properties = { ...props };
    }
    if (flags & EVENT_TIME) record.eventTime = r.float();
    if (flags & TYPE) record.type = r.text();
    if (flags & MESSAGE_ID) options.messageId = r.text();
    if (flags & EXPECTED_LAST) options.expectedLastSequence = r.uint();
    if (flags & PARTITION) options.partition = r.uint();
    record.data = r.bytes();
    if (producer !== undefined) record.producer = producer;
    items.push(flags & (MESSAGE_ID | EXPECTED_LAST | PARTITION) ? { record, options } : { record });
  }
  return items;
}

/** A refusal of one append of a batch, by its place in the batch. */
export interface PackedRefusal {
  readonly index: number;
  readonly code: string;
  readonly reason: string;
}

/** The outcomes of a batch, packed, and its refusals. */
export function packOutcomes(outcomes: readonly AppendOutcome[]): {
  outcomes: Uint8Array;
  refusals: PackedRefusal[];
} {
  const o = new Out(outcomes.length * 14 + 16);
  const refusals: PackedRefusal[] = [];
  outcomes.forEach((r, index) => {
    if (r instanceof CallsignError) {
      o.byte(2);
      refusals.push({ index, code: r.code, reason: r.message });
      return;
    }
    o.byte(r.duplicate ? 1 : 0);
    o.uint(r.partition);
    o.uint(r.sequence);
    o.float(r.publishTime);
  });
  return { outcomes: o.done(), refusals };
}

/** What one append of a batch came to, as the producer reads it. */
export type ReadOutcome =
  | (Omit<AppendResult, 'stream'> & { readonly refused?: undefined })
  | { readonly refused: PackedRefusal };

/**
 * The outcomes of `count` appends.
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` for bytes that are not outcomes
 */
export function readOutcomes(
  bytes: Uint8Array,
  refusals: readonly PackedRefusal[],
  count: number,
): ReadOutcome[] {
  const r = new ByteReader(bytes, bad);
  const byIndex = new Map(refusals.map((x) => [x.index, x]));
  const out: ReadOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.byte();
    if (flags & 2) {
      const refused = byIndex.get(i) ?? { index: i, code: 'ERR_STORAGE_FAILED', reason: 'refused' };
      out.push({ refused });
      continue;
    }
    out.push({
      partition: r.uint(),
      sequence: r.uint(),
      publishTime: r.float(),
      duplicate: (flags & 1) === 1,
    });
  }
  return out;
}
