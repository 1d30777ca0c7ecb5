import { CallsignError } from '../errors.ts';

/**
 * Byte-level primitives shared by the message codec and the wire layer: a
 * growable {@link Writer} and a bounds-checked {@link Reader}.
 *
 * Encodings (all little-endian):
 * - `varuint`: unsigned LEB128 of a non-negative safe integer, 1–8 bytes,
 *   always the shortest form.
 * - `varint`: zigzag (`0, -1, 1, -2, ...` → `0, 1, 2, 3, ...`) then `varuint`;
 *   the same bytes as protobuf `sint64` for safe integers. 1–8 bytes.
 * - `u8`, `u32`, `i64`, `f64`: fixed width.
 * - `bytes`, `string`: `varuint` byte length, then the bytes (UTF-8 for strings).
 *
 * @module
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_I64 = 2n ** 63n - 1n;
const MIN_I64 = -(2n ** 63n);
/** Strings up to this many UTF-16 units are encoded by hand; longer ones by `encodeInto`. */
const SHORT_STRING = 64;
/** Strings up to this many bytes are decoded by hand when they are ASCII. */
const SHORT_DECODE = 64;

/** Copies up to this size are cut from a shared slab; see {@link copyBytes}. */
const POOLED_MAX = 2048;
const SLAB_SIZE = 32 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalid(what: string, v: unknown): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', `${what}, got ${describe(v)}`);
}

function malformed(what: string): CallsignError {
  return new CallsignError('ERR_MALFORMED_MESSAGE', what);
}

/** @internal A short printable description of a value, for error messages. */
export function describe(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v.length > 40 ? `string ${JSON.stringify(v.slice(0, 40))}...` : JSON.stringify(v);
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    case 'bigint':
      return `bigint ${v}n`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'an array';
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
    }
  }
}

let slab = new Uint8Array(0);
let slabAt = 0;

/**
 * @internal A copy of `src`. Like `Buffer.allocUnsafe`, copies of up to 2 KiB are cut
 * from a shared 32 KiB slab (V8 allocates a typed array of more than 64 bytes
 * off-heap, which costs far more than encoding a small message), so their
 * `.buffer` is the slab: use `byteOffset` and `byteLength` with it.
 */
export function copyBytes(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n > POOLED_MAX) return src.slice();
  if (slabAt + n > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabAt = 0;
  }
  slab.set(src, slabAt);
  const out = slab.subarray(slabAt, slabAt + n);
  slabAt = (slabAt + n + 7) & ~7;
  return out;
}

/**
 * `buf[start..end)` as a string when it is all ASCII, else undefined. For
 * short strings this is several times cheaper than a TextDecoder call.
 */
function asciiString(buf: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const c0 = buf[i]!;
    const c1 = buf[i + 1]!;
    const c2 = buf[i + 2]!;
    const c3 = buf[i + 3]!;
    const c4 = buf[i + 4]!;
    const c5 = buf[i + 5]!;
    const c6 = buf[i + 6]!;
    const c7 = buf[i + 7]!;
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) & 0x80) return undefined;
    s += String.fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7);
  }
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c & 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** How many bytes `varuint(n)` takes. */
function varuintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * A growable byte buffer. Capacity doubles when it runs out, so appending is
 * amortised O(1). Every method validates its argument and throws
 * `CallsignError('ERR_INVALID_MESSAGE')` for a value it cannot encode; a
 * buffer that cannot grow any more throws `ERR_MESSAGE_TOO_LARGE`.
 *
 * @example
 * ```ts
 * const w = new Writer();
 * w.varuint(42);
 * w.string('hello');
 * const bytes = w.finish(); // a copy; `w` can be reset and reused
 * ```
 */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;

  /** @param initialSize the initial capacity in bytes (default 256). */
  constructor(initialSize = 256) {
    if (!Number.isSafeInteger(initialSize) || initialSize < 0) {
      throw invalid('Writer: initialSize must be a non-negative integer', initialSize);
    }
    this.buf = new Uint8Array(Math.max(initialSize, 16));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Forgets what was written; the capacity is kept. */
  reset(): void {
    this.pos = 0;
  }

  /** How many bytes have been written. */
  get length(): number {
    return this.pos;
  }

  /** The current capacity in bytes. */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Drops everything written after the first `length` bytes, e.g. to undo a
   * partly written record. `length` must not exceed {@link Writer.length}.
   */
  truncate(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.pos) {
      throw invalid(`Writer.truncate: length must be between 0 and ${this.pos}`, length);
    }
    this.pos = length;
  }

  /**
   * A **copy** of the bytes written so far, safe to keep and to hand to other
   * code; the writer keeps its contents until {@link Writer.reset}. A copy of
   * up to 2 KiB shares a pooled `ArrayBuffer` with other copies (as with
   * `Buffer.allocUnsafe`): use its `byteOffset` and `byteLength` along with
   * its `buffer`.
   */
  finish(): Uint8Array {
    return copyBytes(this.buf.subarray(0, this.pos));
  }

  /**
   * A **view** of the bytes written so far, without copying. It is only valid
   * until the next write or reset: use it to hand the bytes to something that
   * consumes them at once (a hash, a cipher, a socket that copies).
   */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** @internal Overwrites the u32 at `at` (written earlier) with `v`. */
  patchU32(at: number, v: number): void {
    if (at < 0 || at + 4 > this.pos) throw invalid('patchU32: offset out of range', at);
    this.dv.setUint32(at, v >>> 0, true);
  }

  /** @internal Moves the bytes from `from` to the end to the start; the length becomes theirs. */
  keepTail(from: number): void {
    if (from < 0 || from > this.pos) throw invalid('keepTail: offset out of range', from);
    this.buf.copyWithin(0, from, this.pos);
    this.pos -= from;
  }

  /** @internal Gives back memory: a buffer grown past `capacity` is replaced by one of that size. */
  shrink(capacity: number): void {
    if (this.buf.length <= capacity || this.pos > capacity) return;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  private grow(n: number): void {
    const needed = this.pos + n;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    let next: Uint8Array;
    try {
      next = new Uint8Array(size);
    } catch (err) {
      throw new CallsignError(
        'ERR_MESSAGE_TOO_LARGE',
        `cannot grow an encoding buffer to ${size} bytes`,
        { cause: err },
      );
    }
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** One byte, 0–255. */
  u8(v: number): void {
    if ((v & 0xff) !== v) throw invalid('u8: expected an integer from 0 to 255', v);
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  /** A non-negative safe integer as unsigned LEB128 (1–8 bytes, shortest form). */
  varuint(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const buf = this.buf;
    let pos = this.pos;
    if (v >>> 0 === v) {
      while (v > 0x7f) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      if (!(Number.isSafeInteger(v) && v >= 0)) {
        throw invalid('varuint: expected a non-negative safe integer', v);
      }
      while (v > 0x7f) {
        buf[pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      buf[pos++] = v;
    }
    this.pos = pos;
  }

  /** A safe integer, zigzag then unsigned LEB128 (1–8 bytes). `-0` is written as `0`. */
  varint(v: number): void {
    if ((v | 0) === v) {
      // int32: the zigzag value fits in 32 bits
      this.varuint(((v << 1) ^ (v >> 31)) >>> 0);
      return;
    }
    if (!Number.isSafeInteger(v)) throw invalid('varint: expected a safe integer', v);
    // zigzag(v) = 2k + s where s = 1 for negatives and k = s ? -v - 1 : v. It
    // can exceed 2^53, so it is written as its low 7 bits and then k / 64.
    const s = v < 0 ? 1 : 0;
    const k = s ? -v - 1 : v; // >= 2^31 - 1 here, so more bytes follow
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = ((k % 64) * 2 + s) | 0x80;
    this.varuint(Math.floor(k / 64));
  }

  /** A 32-bit unsigned integer, 4 bytes. */
  u32(v: number): void {
    if (v >>> 0 !== v) throw invalid('u32: expected an integer from 0 to 2^32-1', v);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** A 64-bit signed integer given as a bigint, 8 bytes. */
  i64(v: bigint): void {
    if (typeof v !== 'bigint' || v < MIN_I64 || v > MAX_I64) {
      throw invalid('i64: expected a bigint from -2^63 to 2^63-1', v);
    }
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.dv.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  /** A 64-bit float, 8 bytes (NaN, infinities and -0 are kept). */
  f64(v: number): void {
    if (typeof v !== 'number') throw invalid('f64: expected a number', v);
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** `varuint` length, then the bytes. */
  bytes(v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw invalid('bytes: expected a Uint8Array', v);
    this.varuint(v.length);
    this.raw(v);
  }

  /** The bytes as they are, without a length. */
  raw(v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw invalid('raw: expected a Uint8Array', v);
    const n = v.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    if (n <= 16) {
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos + i] = v[i]!;
    } else {
      this.buf.set(v, this.pos);
    }
    this.pos += n;
  }

  /**
   * `varuint` byte length, then the string as UTF-8. Lone surrogates become
   * U+FFFD, as with `TextEncoder`.
   */
  string(v: string): void {
    if (typeof v !== 'string') throw invalid('string: expected a string', v);
    const n = v.length;
    if (n <= SHORT_STRING) {
      // Encode by hand: for short strings this beats encodeInto's call cost.
      if (this.pos + 2 + n * 3 > this.buf.length) this.grow(2 + n * 3);
      const buf = this.buf;
      const start = this.pos + 1; // assume a one-byte length; fixed up below
      let pos = start;
      for (let i = 0; i < n; i++) {
        let c = v.charCodeAt(i);
        if (c < 0x80) {
          buf[pos++] = c;
        } else if (c < 0x800) {
          buf[pos++] = 0xc0 | (c >> 6);
          buf[pos++] = 0x80 | (c & 0x3f);
        } else if (c < 0xd800 || c > 0xdfff) {
          buf[pos++] = 0xe0 | (c >> 12);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
        } else {
          const d = i + 1 < n ? v.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            buf[pos++] = 0xf0 | (c >> 18);
            buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
            buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
            buf[pos++] = 0x80 | (c & 0x3f);
          } else {
            // a lone surrogate: U+FFFD, as TextEncoder does
            buf[pos++] = 0xef;
            buf[pos++] = 0xbf;
            buf[pos++] = 0xbd;
          }
        }
      }
      const size = pos - start;
      if (size < 0x80) {
        buf[start - 1] = size;
        this.pos = pos;
      } else {
        // at most 192 bytes: a two-byte length, so shift the text by one
        buf.copyWithin(start + 1, start, pos);
        buf[start - 1] = (size & 0x7f) | 0x80;
        buf[start] = size >> 7;
        this.pos = pos + 1;
      }
      return;
    }
    const max = n * 3;
    const head = varuintSize(max);
    if (this.pos + head + max > this.buf.length) this.grow(head + max);
    const at = this.pos + head;
    const written = encoder.encodeInto(v, this.buf.subarray(at)).written;
    const actual = varuintSize(written);
    if (actual !== head) this.buf.copyWithin(this.pos + actual, at, at + written);
    this.varuint(written);
    this.pos += written;
  }
}

/**
 * Reads what a {@link Writer} wrote. Every method checks bounds and throws
 * `CallsignError('ERR_MALFORMED_MESSAGE')` on truncated input, an overlong or
 * out-of-range varint, a length larger than what remains, or invalid UTF-8.
 *
 * `bytes()` and `raw()` return **views** into the input, not copies.
 *
 * @example
 * ```ts
 * const r = new Reader(bytes);
 * const n = r.varuint();
 * const s = r.string();
 * r.end(); // throws if bytes remain
 * ```
 */
export class Reader {
  private readonly buf: Uint8Array;
  private dv: DataView | undefined;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) {
      throw new CallsignError(
        'ERR_MALFORMED_MESSAGE',
        `expected a Uint8Array, got ${describe(bytes)}`,
      );
    }
    this.buf = bytes;
  }

  /** How many bytes are left. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** How many bytes have been read. */
  get offset(): number {
    return this.pos;
  }

  private data(): DataView {
    if (this.dv === undefined) {
      const b = this.buf;
      this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.dv;
  }

  /** One byte. */
  u8(): number {
    if (this.pos >= this.buf.length) throw malformed('truncated: expected a byte');
    return this.buf[this.pos++]!;
  }

  /** A varuint (shortest form, at most 2^53-1). */
  varuint(): number {
    const buf = this.buf;
    const end = buf.length;
    let pos = this.pos;
    if (pos >= end) throw malformed('truncated: expected a varuint');
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (pos >= end) throw malformed('truncated varuint');
      b = buf[pos++]!;
      if (shift < 28) v |= (b & 0x7f) << shift;
      else v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 49) throw malformed('varuint longer than 8 bytes');
    }
    if (b === 0) throw malformed('overlong varuint');
    if (v > MAX_SAFE) throw malformed('varuint larger than 2^53-1');
    this.pos = pos;
    return v;
  }

  /** A zigzag varint (a safe integer). */
  varint(): number {
    if (this.pos >= this.buf.length) throw malformed('truncated: expected a varint');
    const b = this.buf[this.pos++]!;
    const s = b & 1;
    let k = (b >> 1) & 0x3f;
    if (b & 0x80) {
      const rest = this.varuint();
      if (rest === 0) throw malformed('overlong varint');
      k += rest * 64;
      if (k > MAX_SAFE - s) throw malformed('varint outside the safe integer range');
    }
    return s ? -k - 1 : k;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    if (this.pos + 4 > this.buf.length) throw malformed('truncated: expected 4 bytes');
    const v = this.data().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A 64-bit signed integer as a bigint. */
  i64(): bigint {
    if (this.pos + 8 > this.buf.length) throw malformed('truncated: expected 8 bytes');
    const v = this.data().getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A 64-bit float. */
  f64(): number {
    if (this.pos + 8 > this.buf.length) throw malformed('truncated: expected 8 bytes');
    const v = this.data().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length-prefixed bytes, as a **view** into the input. */
  bytes(): Uint8Array {
    return this.raw(this.varuint());
  }

  /** The next `n` bytes, as a **view** into the input. */
  raw(n: number): Uint8Array {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw malformed(`raw: expected a byte count, got ${describe(n)}`);
    }
    if (n > this.buf.length - this.pos) {
      throw malformed(`truncated: ${n} bytes announced, ${this.buf.length - this.pos} remain`);
    }
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, this.pos);
  }

  /** A length-prefixed UTF-8 string; invalid UTF-8 is rejected. */
  string(): string {
    const n = this.varuint();
    const buf = this.buf;
    const start = this.pos;
    if (n > buf.length - start) {
      throw malformed(`truncated: string of ${n} bytes announced, ${buf.length - start} remain`);
    }
    if (n <= SHORT_DECODE) {
      const s = asciiString(buf, start, start + n);
      if (s !== undefined) {
        this.pos = start + n;
        return s;
      }
    }
    let s: string;
    try {
      s = decoder.decode(buf.subarray(start, start + n));
    } catch (err) {
      throw new CallsignError('ERR_MALFORMED_MESSAGE', 'invalid UTF-8 in a string', {
        cause: err,
      });
    }
    this.pos = start + n;
    return s;
  }

  /** Throws unless every byte has been read. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw malformed(`${this.buf.length - this.pos} unexpected bytes at the end`);
    }
  }
}
