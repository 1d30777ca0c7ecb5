/**
 * The bytes of a stored record, as the lmdb driver writes them: a flags
 * byte, the publish time, the subject, the optional fields the flags name,
 * then the data to the end. Smaller and quicker to read than a general
 * encoding, and the data is one slice. Pure.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { RecordData } from './backend.ts';
import { ByteReader } from './byte-reader.ts';

const KEY = 1;
const PROPERTIES = 2;
const EVENT_TIME = 4;
const PRODUCER = 8;
const TYPE = 16;
const MESSAGE_ID = 32;

function textLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** How many bytes the varuint `n` takes (7 bits a byte), as records and blocks write it. */
export function varuintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

let at = 0;

function writeUint(out: Buffer, n: number): void {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
}

function writeText(out: Buffer, s: string, length: number): void {
  writeUint(out, length);
  at += out.write(s, at, 'utf8');
}

// One reader for every record read (this runs once per record), reset for each.
const reader = new ByteReader(undefined, bad, 2 ** 35);

/** A reader at the first field after the flags and the publish time of the record at `start`. */
function fieldsOf(bytes: Uint8Array, start = 0, end = bytes.byteLength): ByteReader {
  const r = reader.reset(bytes, start + 9, end);
  if (r.end - start < 10 || (r.buf[start] as number) > 63) throw bad();
  return r;
}

/** The longest subject kept by {@link subjectText}'s one-entry cache. */
const CACHED_SUBJECT = 256;
const lastSubject = { bytes: Buffer.allocUnsafe(CACHED_SUBJECT), length: -1, text: '' };

/**
 * A varuint length and that much UTF-8: the subject. Records read in a row
 * mostly share it, so the last one is kept and given again for the same
 * bytes (a compare of a few bytes instead of a decode and a new string).
 */
function subjectText(r: ByteReader): string {
  const n = r.uint();
  const at = r.at;
  if (at + n > r.end) throw bad();
  r.at = at + n;
  const buf = r.buf;
  const last = lastSubject;
  if (n === last.length) {
    let i = 0;
    while (i < n && buf[at + i] === last.bytes[i]) i++;
    if (i === n) return last.text;
  }
  const text = buf.toString('utf8', at, at + n);
  if (n <= CACHED_SUBJECT) {
    buf.copy(last.bytes, 0, at, at + n);
    last.length = n;
    last.text = text;
  }
  return text;
}

/** The bytes of `r`. */
export function encodeRecord(r: RecordData): Buffer {
  let flags = 0;
  let size = 1 + 8;
  const strings: string[] = [r.subject];
  if (r.key !== undefined) {
    flags |= KEY;
    strings.push(r.key);
  }
  const props = r.properties ? Object.entries(r.properties) : undefined;
  if (props) {
    flags |= PROPERTIES;
    size += varuintLength(props.length);
    for (const [k, v] of props) strings.push(k, v);
  }
  if (r.eventTime !== undefined) {
    flags |= EVENT_TIME;
    size += 8;
  }
  if (r.producer !== undefined) {
    flags |= PRODUCER;
    strings.push(r.producer);
  }
  if (r.type !== undefined) {
    flags |= TYPE;
    strings.push(r.type);
  }
  if (r.messageId !== undefined) {
    flags |= MESSAGE_ID;
    strings.push(r.messageId);
  }
  const lengths: number[] = [];
  for (const text of strings) {
    const l = textLength(text);
    lengths.push(l);
    size += varuintLength(l) + l;
  }
  size += r.data.byteLength;
  const out = Buffer.allocUnsafe(size);
  out[0] = flags;
  out.writeDoubleLE(r.publishTime, 1);
  at = 9;
  let i = 0;
  writeText(out, strings[i] as string, lengths[i++] as number); // subject
  if (flags & KEY) writeText(out, strings[i] as string, lengths[i++] as number);
  if (props) {
    writeUint(out, props.length);
    for (let k = 0; k < props.length * 2; k++)
      writeText(out, strings[i] as string, lengths[i++] as number);
  }
  if (flags & EVENT_TIME) {
    out.writeDoubleLE(r.eventTime as number, at);
    at += 8;
  }
  while (i < strings.length) writeText(out, strings[i] as string, lengths[i++] as number);
  out.set(r.data, at);
  return out;
}

/**
 * The record in `bytes` (which it keeps: the data is a view of them).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
 */
export function decodeRecord(bytes: Uint8Array): RecordData {
  const out = {} as { -readonly [K in keyof RecordData]: RecordData[K] };
  decodeRecordInto(bytes, 0, bytes.byteLength, out);
  return out;
}

/**
 * Sets the fields of the record in `bytes` from `start` to `end` on `out`
 * (the optional ones only when they are there), so that a reader of a batch
 * builds one object per record and takes no view of it but its data's.
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
 */
export function decodeRecordInto(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: { -readonly [K in keyof RecordData]?: RecordData[K] },
): void {
  const at = decodeRecordFields(bytes, start, end, out);
  out.data = reader.buf.subarray(at, end);
}

/**
 * The same without the data: every field but `data` set on `out`, and
 * where the data begins in `bytes` given back (it runs to `end`).
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
 */
export function decodeRecordFields(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: { -readonly [K in keyof RecordData]?: RecordData[K] },
): number {
  const r = fieldsOf(bytes, start, end);
  const buf = r.buf;
  const flags = buf[start] as number;
  out.publishTime = buf.readDoubleLE(start + 1);
  out.subject = subjectText(r);
  if (flags & KEY) out.key = r.text();
  if (flags & PROPERTIES) {
    const n = r.uint();
    if (n > end - start) throw bad();
    const props: Record<string, string> = {};
    for (let k = 0; k < n; k++) props[r.text()] = r.text();
    out.properties = props;
  }
  if (flags & EVENT_TIME) out.eventTime = r.float();
  if (flags & PRODUCER) out.producer = r.text();
  if (flags & TYPE) out.type = r.text();
  if (flags & MESSAGE_ID) out.messageId = r.text();
  return r.at;
}

function bad(): CallsignError {
  return new CallsignError('ERR_STORAGE_CORRUPT', 'a stored record is damaged');
}

/**
 * Where the data of the record in `bytes` from `start` to `end` begins
 * (counted from `start`: its header's length), so that a record can be
 * sent without its data.
 *
 * @throws CallsignError `ERR_STORAGE_CORRUPT` for bytes that are not a record
 */
export function recordDataOffset(bytes: Uint8Array, start = 0, end = bytes.byteLength): number {
  const r = fieldsOf(bytes, start, end);
  const flags = r.buf[start] as number;
  r.skip(); // subject
  if (flags & KEY) r.skip();
  if (flags & PROPERTIES) {
    const n = r.uint();
    if (n > r.end) throw bad();
    for (let k = 0; k < n * 2; k++) r.skip();
  }
  if (flags & EVENT_TIME) r.skip(8);
  if (flags & PRODUCER) r.skip();
  if (flags & TYPE) r.skip();
  if (flags & MESSAGE_ID) r.skip();
  return r.at - start;
}

/** The subject of the record in `bytes` from `start` to `end`, without decoding the rest. */
export function recordSubject(bytes: Uint8Array, start = 0, end = bytes.byteLength): string {
  return subjectText(fieldsOf(bytes, start, end));
}
