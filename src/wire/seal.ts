import {
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { CallsignError, type ErrorCode } from '../errors.ts';

/** The default largest plaintext, in bytes, that one frame may carry (1 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 1 << 20;

/** Bytes a sealed frame adds to its plaintext: an 8-byte counter and a 16-byte tag. */
export const FRAME_OVERHEAD = 24;

/** Length in bytes of a frame key. */
export const FRAME_KEY_LENGTH = 32;

const COUNTER_LENGTH = 8;
const TAG_LENGTH = 16;
/**
 * AES-256-GCM: on this project's machines (x86 with AES-NI) it seals a small
 * frame in about two thirds of ChaCha20-Poly1305's time through node:crypto,
 * and bulk data about 1.3 times faster (bench/README.md, `npm run bench:aead`).
 */
const ALGORITHM = 'aes-256-gcm' as const;
const AEAD_OPTIONS = { authTagLength: TAG_LENGTH } as const;
const MAX_UINT32 = 0xffffffff;

// Set by the classes' static blocks; see setFrameCounterForTesting.
type Move<T> = (target: T, high: number, low: number) => void;
let moveSealer: Move<FrameSealer>;
let moveOpener: Move<FrameOpener>;

/** Options of {@link FrameSealer} and {@link FrameOpener}. */
export interface FrameInit {
  /** Largest plaintext, in bytes, that one frame may carry; {@link DEFAULT_MAX_FRAME_SIZE} by default. */
  maxFrameSize?: number;
}

/**
 * Seals frames for one direction of one connection.
 *
 * A frame is `counter (8 bytes, big-endian) ‖ ciphertext ‖ tag (16 bytes)`,
 * sealed with AES-256-GCM under the direction's key. The nonce is
 * `0x00000000 ‖ counter`; the counter is also the additional authenticated
 * data. The counter starts at 0 and goes up by one per frame, so a nonce is
 * never used twice under one key. After frame 2^64 − 1 the sealer refuses to
 * seal (`ERR_CLOSED`): open a new connection.
 *
 * @example
 * ```ts
 * const { sealer } = result; // from a completed handshake
 * ws.send(sealer.seal(bytes));
 * ```
 */
export class FrameSealer {
  readonly #key: KeyObject;
  readonly #maxFrameSize: number;
  readonly #nonce = Buffer.alloc(12);
  #high = 0;
  #low = 0;
  #exhausted = false;
  #prepared: Prepared<CipherGCM> | undefined;

  static {
    moveSealer = (sealer, high, low) => {
      sealer.#high = high;
      sealer.#low = low;
    };
  }

  /**
   * @param key - 32 secret bytes; copied, so the caller may wipe its copy.
   * @throws CallsignError `ERR_INVALID_KEY` for a key of the wrong length,
   *   `ERR_INVALID_SETTINGS` for a bad `maxFrameSize`.
   */
  constructor(key: Uint8Array, opts: FrameInit = {}) {
    this.#key = importKey(key);
    this.#maxFrameSize = checkMaxFrameSize(opts.maxFrameSize);
  }

  /**
   * The number of frames sealed so far, which is also the counter of the next
   * frame (2^64 once the sealer is exhausted).
   */
  get counter(): bigint {
    if (this.#exhausted) return 1n << 64n;
    return (BigInt(this.#high) << 32n) | BigInt(this.#low);
  }

  /** The largest plaintext this sealer accepts, in bytes. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  /**
   * Sets up the cipher of the next frame ahead of time (Node's per-frame
   * cipher set-up is most of what a small frame costs), so that the next
   * {@link FrameSealer.seal} does not wait for it. Call it when idle, after a
   * frame has gone.
   */
  prepare(): void {
    if (this.#exhausted || this.#prepared) return;
    this.#prepared = prepared<CipherGCM>(this.#key, this.#high, this.#low, (a, k, n, o) =>
      createCipheriv(a, k, n, o),
    );
  }

  /**
   * Seals one frame. The returned buffer is new and owned by the caller.
   *
   * @throws CallsignError `ERR_FRAME_TOO_LARGE` when `plaintext` is longer
   *   than `maxFrameSize` (nothing is consumed; the sealer stays usable),
   *   `ERR_CLOSED` after 2^64 frames.
   */
  seal(plaintext: Uint8Array): Uint8Array {
    if (this.#exhausted) {
      throw new CallsignError('ERR_CLOSED', 'frame sealer is exhausted (2^64 frames); reconnect');
    }
    const length = plaintext.byteLength;
    if (length > this.#maxFrameSize) {
      throw new CallsignError(
        'ERR_FRAME_TOO_LARGE',
        `frame of ${length} bytes exceeds the limit of ${this.#maxFrameSize} bytes`,
      );
    }
    const high = this.#high;
    const low = this.#low;
    // Advance before sealing, so that no failure can ever make us reuse a nonce.
    if (low === MAX_UINT32) {
      this.#low = 0;
      if (high === MAX_UINT32) this.#exhausted = true;
      else this.#high = high + 1;
    } else {
      this.#low = low + 1;
    }

    const nonce = this.#nonce;
    nonce.writeUInt32BE(high, 4);
    nonce.writeUInt32BE(low, 8);
    const frame = Buffer.allocUnsafe(COUNTER_LENGTH + length + TAG_LENGTH);
    frame.writeUInt32BE(high, 0);
    frame.writeUInt32BE(low, 4);
    const ready = this.#prepared;
    this.#prepared = undefined;
    let cipher: CipherGCM;
    if (ready && ready.high === high && ready.low === low) {
      cipher = ready.cipher;
    } else {
      cipher = createCipheriv(ALGORITHM, this.#key, nonce, AEAD_OPTIONS);
      cipher.setAAD(frame.subarray(0, COUNTER_LENGTH));
    }
    if (length > 0) frame.set(cipher.update(plaintext), COUNTER_LENGTH);
    cipher.final();
    frame.set(cipher.getAuthTag(), COUNTER_LENGTH + length);
    return frame;
  }
}

/**
 * Opens the frames of one direction of one connection, sealed by the peer's
 * {@link FrameSealer}. It accepts exactly the next counter and nothing else.
 *
 * Any failure is final: the opener is dead and every later call throws
 * `ERR_CLOSED` (with the first error as `cause`); close the connection.
 *
 * @example
 * ```ts
 * ws.on('message', (frame) => handle(opener.open(frame)));
 * ```
 */
export class FrameOpener {
  readonly #key: KeyObject;
  readonly #maxFrameSize: number;
  readonly #nonce = Buffer.alloc(12);
  #high = 0;
  #low = 0;
  #exhausted = false;
  #failure: CallsignError | undefined;
  #prepared: Prepared<DecipherGCM> | undefined;

  static {
    moveOpener = (opener, high, low) => {
      opener.#high = high;
      opener.#low = low;
    };
  }

  /**
   * @param key - 32 secret bytes; copied, so the caller may wipe its copy.
   * @throws CallsignError `ERR_INVALID_KEY` for a key of the wrong length,
   *   `ERR_INVALID_SETTINGS` for a bad `maxFrameSize`.
   */
  constructor(key: Uint8Array, opts: FrameInit = {}) {
    this.#key = importKey(key);
    this.#maxFrameSize = checkMaxFrameSize(opts.maxFrameSize);
  }

  /** Sets up the decipher of the next expected frame ahead of time; see {@link FrameSealer.prepare}. */
  prepare(): void {
    if (this.#exhausted || this.#prepared || this.#failure) return;
    this.#prepared = prepared<DecipherGCM>(this.#key, this.#high, this.#low, (a, k, n, o) =>
      createDecipheriv(a, k, n, o),
    );
  }

  /** The counter of the next frame this opener accepts. */
  get counter(): bigint {
    if (this.#exhausted) return 1n << 64n;
    return (BigInt(this.#high) << 32n) | BigInt(this.#low);
  }

  /**
   * Authenticates and decrypts one frame and returns its plaintext (a new
   * buffer owned by the caller).
   *
   * @throws CallsignError `ERR_FRAME_TRUNCATED` (shorter than 24 bytes),
   *   `ERR_FRAME_TOO_LARGE` (plaintext longer than `maxFrameSize`),
   *   `ERR_FRAME_FORGED` (the tag does not verify under this key and the
   *   frame's counter), `ERR_FRAME_REPLAYED` (an authentic frame whose counter
   *   was already seen), `ERR_FRAME_REORDERED` (an authentic frame from
   *   further ahead), `ERR_CLOSED` (the opener failed before).
   */
  open(frame: Uint8Array): Uint8Array {
    if (this.#failure !== undefined) {
      throw new CallsignError('ERR_CLOSED', `frame opener is closed after ${this.#failure.code}`, {
        cause: this.#failure,
      });
    }
    const total = frame.byteLength;
    if (total < FRAME_OVERHEAD) {
      return this.#fail('ERR_FRAME_TRUNCATED', `frame of ${total} bytes is shorter than 24`);
    }
    const length = total - FRAME_OVERHEAD;
    if (length > this.#maxFrameSize) {
      return this.#fail(
        'ERR_FRAME_TOO_LARGE',
        `frame of ${length} bytes exceeds the limit of ${this.#maxFrameSize} bytes`,
      );
    }
    const high = ((frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
    const low = ((frame[4]! << 24) | (frame[5]! << 16) | (frame[6]! << 8) | frame[7]!) >>> 0;

    // Authenticate first (under the frame's own counter), so that the codes
    // below are only ever given for frames that our peer really sealed.
    const nonce = this.#nonce;
    nonce.writeUInt32BE(high, 4);
    nonce.writeUInt32BE(low, 8);
    const ready = this.#prepared;
    this.#prepared = undefined;
    let decipher: DecipherGCM;
    if (ready && ready.high === high && ready.low === low) {
      decipher = ready.cipher;
    } else {
      decipher = createDecipheriv(ALGORITHM, this.#key, nonce, AEAD_OPTIONS);
      decipher.setAAD(frame.subarray(0, COUNTER_LENGTH));
    }
    decipher.setAuthTag(frame.subarray(total - TAG_LENGTH));
    const plaintext: Uint8Array =
      length > 0 ? decipher.update(frame.subarray(COUNTER_LENGTH, total - TAG_LENGTH)) : EMPTY;
    try {
      decipher.final();
    } catch {
      return this.#fail('ERR_FRAME_FORGED', 'frame does not authenticate');
    }

    if (this.#exhausted || high !== this.#high || low !== this.#low) {
      const got = (BigInt(high) << 32n) | BigInt(low);
      const expected = this.counter;
      return got < expected
        ? this.#fail('ERR_FRAME_REPLAYED', `frame ${got} replayed; expected frame ${expected}`)
        : this.#fail(
            'ERR_FRAME_REORDERED',
            `frame ${got} out of order; expected frame ${expected}`,
          );
    }
    if (low === MAX_UINT32) {
      this.#low = 0;
      if (high === MAX_UINT32) this.#exhausted = true;
      else this.#high = high + 1;
    } else {
      this.#low = low + 1;
    }
    return plaintext;
  }

  #fail(code: ErrorCode, message: string): never {
    const err = new CallsignError(code, message);
    this.#failure = err;
    throw err;
  }
}

const EMPTY = new Uint8Array(0);

/** A cipher or decipher made ahead of time for the frame with this counter (AAD already set). */
interface Prepared<C> {
  readonly cipher: C;
  readonly high: number;
  readonly low: number;
}

function prepared<C extends CipherGCM | DecipherGCM>(
  key: KeyObject,
  high: number,
  low: number,
  make: (algorithm: 'aes-256-gcm', key: KeyObject, iv: Buffer, options: typeof AEAD_OPTIONS) => C,
): Prepared<C> {
  const counter = Buffer.alloc(COUNTER_LENGTH);
  counter.writeUInt32BE(high, 0);
  counter.writeUInt32BE(low, 4);
  const nonce = Buffer.alloc(12);
  counter.copy(nonce, 4);
  const cipher = make(ALGORITHM, key, nonce, AEAD_OPTIONS);
  cipher.setAAD(counter);
  return { cipher, high, low };
}

/**
 * For tests only, and not exported from the wire layer: moves a fresh sealer
 * or opener to `counter` as if that many frames had passed, so that the
 * counter's 2^32 and 2^64 edges can be tested. Never use it on a live
 * connection: it can make a sealer reuse nonces.
 *
 * @internal
 */
export function setFrameCounterForTesting(
  target: FrameSealer | FrameOpener,
  counter: bigint,
): void {
  if (counter < 0n || counter >= 1n << 64n) throw new RangeError('counter out of range');
  const high = Number(counter >> 32n);
  const low = Number(counter & 0xffffffffn);
  if (target instanceof FrameSealer) moveSealer(target, high, low);
  else moveOpener(target, high, low);
}

function importKey(key: Uint8Array): KeyObject {
  if (!(key instanceof Uint8Array) || key.byteLength !== FRAME_KEY_LENGTH) {
    throw new CallsignError('ERR_INVALID_KEY', `a frame key must be ${FRAME_KEY_LENGTH} bytes`);
  }
  return createSecretKey(key);
}

/**
 * Validates a `maxFrameSize` option and gives its value ({@link DEFAULT_MAX_FRAME_SIZE} if unset).
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS` unless it is an integer from 1 to 2^32 − 25.
 */
export function checkMaxFrameSize(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_UINT32 - FRAME_OVERHEAD) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `maxFrameSize must be an integer from 1 to ${MAX_UINT32 - FRAME_OVERHEAD}, not ${value}`,
    );
  }
  return value;
}
