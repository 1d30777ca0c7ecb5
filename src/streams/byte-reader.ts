/**
 * The one reader of what streams pack into bytes (journal frames, stored
 * records, record batches, append packs, acknowledgement ranges): varuints
 * (7 bits a byte, low first), single bytes, little-endian doubles,
 * length-prefixed bytes and UTF-8 text. Every read checks the bounds and
 * fails with the error its owner gives, so bytes from a stranger or a
 * damaged file never read past their end.
 *
 * @module
 */

const EMPTY = Buffer.alloc(0);

/** A cursor over bytes; `fail` makes the error for bytes that are not what they should be. */
export class ByteReader {
  buf: Buffer;
  at: number;
  /** Where the bytes read end (the buffer's length unless a reset said less). */
  end: number;
  readonly #fail: (why: string) => Error;
  readonly #largest: number;

  /**
   * @param fail the error for damaged bytes (`why` says what was wrong)
   * @param largestScale a varuint whose next 7 bits would be worth more than this is damaged
   */
  constructor(bytes: Uint8Array | undefined, fail: (why: string) => Error, largestScale = 2 ** 49) {
    this.buf = EMPTY;
    this.at = 0;
    this.end = 0;
    this.#fail = fail;
    this.#largest = largestScale;
    if (bytes) this.reset(bytes, 0);
  }

  /**
   * Reads `bytes` from `at` to `end` (default: their end), so that a part of
   * a larger buffer is read without a view of it. A reader kept for a hot
   * path takes each new input so.
   */
  reset(bytes: Uint8Array, at: number, end = bytes.byteLength): this {
    this.buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
    this.end = Math.min(end, this.buf.length);
    return this;
  }

  /** True while bytes are left. */
  get more(): boolean {
    return this.at < this.end;
  }

  uint(): number {
    const buf = this.buf;
    let n = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.end) throw this.#fail('it ends inside a number');
      const b = buf[this.at++] as number;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
      if (scale > this.#largest) throw this.#fail('a number is too large');
    }
  }

  byte(): number {
    if (this.at >= this.end) throw this.#fail('it ends early');
    return this.buf[this.at++] as number;
  }

  float(): number {
    if (this.at + 8 > this.end) throw this.#fail('it ends inside a number');
    const n = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return n;
  }

  /** `n` bytes, or (without `n`) a varuint length and that many bytes: a view, not a copy. */
  bytes(n = this.uint()): Buffer {
    if (this.at + n > this.end) throw this.#fail('a length runs past its end');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Moves past `n` bytes, or past a varuint length and that many. */
  skip(n = this.uint()): void {
    if (this.at + n > this.end) throw this.#fail('a length runs past its end');
    this.at += n;
  }

  /** A varuint length and that many bytes of UTF-8. */
  text(): string {
    const n = this.uint();
    if (this.at + n > this.end) throw this.#fail('a length runs past its end');
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
}
