import { hkdfSync } from 'node:crypto';
import { CallsignError, type ErrorCode } from '../errors.ts';
import {
  COUNTER_LENGTH,
  chachaAead,
  type FrameAead,
  gcmAead,
  NONCE_LENGTH,
  TAG_LENGTH,
} from './frame-aead.ts';

/** The default largest plaintext, in bytes, that one frame may carry (1 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 1 << 20;

/** Bytes a sealed frame adds to its plaintext: an 8-byte counter and a 16-byte tag. */
export const FRAME_OVERHEAD = 24;

/** Length in bytes of a frame key. */
export const FRAME_KEY_LENGTH = 32;

/**
 * Frames whose plaintext is at most this long are sealed with
 * ChaCha20-Poly1305, longer ones with AES-256-GCM; the receiver tells which
 * from the frame's length alone. Below it a one-shot ChaCha20 call costs
 * less than node:crypto's per-frame cipher set-up; above it AES's speed per
 * byte wins (bench/README.md, `npm run bench:aead`).
 */
export const CHACHA_MAX_PLAINTEXT = 32 * 1024;

const MAX_UINT32 = 0xffffffff;
const ascii = (text: string) => Buffer.from(text, 'latin1');
/** HKDF info labels of the two keys each direction's frame key gives (docs/security.md). */
const LABEL_CHACHA = ascii('callsign v1 frame key chacha20-poly1305');
const LABEL_GCM = ascii('callsign v1 frame key aes-256-gcm');
const EMPTY = new Uint8Array(0);

// Set by the classes' static blocks; see setFrameCounterForTesting.
type Move<T> = (target: T, high: number, low: number) => void;
let moveSealer: Move<FrameSealer>;
let moveOpener: Move<FrameOpener>;

/** Options of {@link FrameSealer} and {@link FrameOpener}. */
export interface FrameInit {
  /** Largest plaintext, in bytes, that one frame may carry; {@link DEFAULT_MAX_FRAME_SIZE} by default. */
  maxFrameSize?: number;
}

/** The two AEADs of one direction, each under its own key derived from the direction's key. */
class FrameKeys {
  readonly chacha: FrameAead;
  readonly gcm: FrameAead;

  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.byteLength !== FRAME_KEY_LENGTH) {
      throw new CallsignError('ERR_INVALID_KEY', `a frame key must be ${FRAME_KEY_LENGTH} bytes`);
    }
    const chacha = derive(key, LABEL_CHACHA);
    const gcm = derive(key, LABEL_GCM);
    this.chacha = chachaAead(chacha);
    this.gcm = gcmAead(gcm);
    chacha.fill(0);
    gcm.fill(0);
  }

  /** The AEAD of a frame with `length` bytes of plaintext. */
  for(length: number): FrameAead {
    return length <= CHACHA_MAX_PLAINTEXT ? this.chacha : this.gcm;
  }
}

function derive(key: Uint8Array, label: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', key, EMPTY, label, FRAME_KEY_LENGTH));
}

/** Writes the 12-byte nonce `0x00000000 ‖ high ‖ low`. */
function setNonce(nonce: Buffer, high: number, low: number): void {
  nonce.writeUInt32BE(high, 4);
  nonce.writeUInt32BE(low, 8);
}

/**
 * Seals frames for one direction of one connection.
 *
 * A frame is `counter (8 bytes, big-endian) ‖ ciphertext ‖ tag (16 bytes)`.
 * A plaintext of up to {@link CHACHA_MAX_PLAINTEXT} bytes is sealed with
 * ChaCha20-Poly1305, a longer one with AES-256-GCM, each under its own key
 * derived from the direction's key. The nonce is `0x00000000 ‖ counter`;
 * the counter is also the additional authenticated data. The counter starts
 * at 0 and goes up by one per frame, whichever AEAD sealed it, so a nonce is
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
  readonly #keys: FrameKeys;
  readonly #maxFrameSize: number;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  #high = 0;
  #low = 0;
  #exhausted = false;

  static {
    moveSealer = (sealer, high, low) => {
      sealer.#high = high;
      sealer.#low = low;
    };
  }

  /**
   * @param key - 32 secret bytes; not kept (the two AEAD keys are derived from it), so the caller may wipe it.
   * @throws CallsignError `ERR_INVALID_KEY` for a key of the wrong length,
   *   `ERR_INVALID_SETTINGS` for a bad `maxFrameSize`.
   */
  constructor(key: Uint8Array, opts: FrameInit = {}) {
    this.#maxFrameSize = checkMaxFrameSize(opts.maxFrameSize);
    this.#keys = new FrameKeys(key);
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
   * Seals one frame. The returned buffer is new and owned by the caller, or,
   * when `into` is given and has room for `plaintext.length + 24` bytes, a
   * view of the start of `into` (which must not overlap `plaintext`).
   *
   * @throws CallsignError `ERR_FRAME_TOO_LARGE` when `plaintext` is longer
   *   than `maxFrameSize` (nothing is consumed; the sealer stays usable),
   *   `ERR_CLOSED` after 2^64 frames.
   */
  seal(plaintext: Uint8Array, into?: Buffer): Buffer {
    const length = plaintext.byteLength;
    this.#check(length);
    const high = this.#high;
    const low = this.#low;
    this.#advance(high, low);
    const size = COUNTER_LENGTH + length + TAG_LENGTH;
    const frame =
      into !== undefined && into.byteLength >= size
        ? into.subarray(0, size)
        : Buffer.allocUnsafe(size);
    frame.writeUInt32BE(high, 0);
    frame.writeUInt32BE(low, 4);
    this.#keys.for(length).seal(frame, plaintext, this.#nonce);
    return frame;
  }

  /**
   * Seals one frame as {@link FrameSealer.seal} does, but gives it as the
   * pieces that make it, in order, where the frame's AEAD returns its output
   * in buffers of its own (AES-256-GCM through node:crypto, frames above
   * {@link CHACHA_MAX_PLAINTEXT}): `[counter, ciphertext, tag]`, which a link
   * writes as one frame without copying the ciphertext once more. Other
   * frames come as one piece, sealed as {@link FrameSealer.seal} would
   * (into `into` when it has room). The bytes are the same either way.
   *
   * @throws CallsignError as {@link FrameSealer.seal}.
   */
  sealParts(plaintext: Uint8Array, into?: Buffer): readonly Uint8Array[] {
    const aead = this.#keys.for(plaintext.byteLength);
    if (aead.sealApart === undefined) return [this.seal(plaintext, into)];
    this.#check(plaintext.byteLength);
    const high = this.#high;
    const low = this.#low;
    this.#advance(high, low);
    const counter = Buffer.allocUnsafe(COUNTER_LENGTH);
    counter.writeUInt32BE(high, 0);
    counter.writeUInt32BE(low, 4);
    const [ciphertext, tag] = aead.sealApart(counter, plaintext, this.#nonce);
    return [counter, ciphertext, tag];
  }

  #check(length: number): void {
    if (this.#exhausted) {
      throw new CallsignError('ERR_CLOSED', 'frame sealer is exhausted (2^64 frames); reconnect');
    }
    if (length > this.#maxFrameSize) {
      throw new CallsignError(
        'ERR_FRAME_TOO_LARGE',
        `frame of ${length} bytes exceeds the limit of ${this.#maxFrameSize} bytes`,
      );
    }
  }

  /** Moves past counter `high ‖ low` (before sealing, so that no failure can ever make us reuse a nonce) and sets its nonce. */
  #advance(high: number, low: number): void {
    if (low === MAX_UINT32) {
      this.#low = 0;
      if (high === MAX_UINT32) this.#exhausted = true;
      else this.#high = high + 1;
    } else {
      this.#low = low + 1;
    }
    setNonce(this.#nonce, high, low);
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
  readonly #keys: FrameKeys;
  readonly #maxFrameSize: number;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  #high = 0;
  #low = 0;
  #exhausted = false;
  #failure: CallsignError | undefined;

  static {
    moveOpener = (opener, high, low) => {
      opener.#high = high;
      opener.#low = low;
    };
  }

  /**
   * @param key - 32 secret bytes; not kept (the two AEAD keys are derived from it), so the caller may wipe it.
   * @throws CallsignError `ERR_INVALID_KEY` for a key of the wrong length,
   *   `ERR_INVALID_SETTINGS` for a bad `maxFrameSize`.
   */
  constructor(key: Uint8Array, opts: FrameInit = {}) {
    this.#maxFrameSize = checkMaxFrameSize(opts.maxFrameSize);
    this.#keys = new FrameKeys(key);
  }

  /** The counter of the next frame this opener accepts. */
  get counter(): bigint {
    if (this.#exhausted) return 1n << 64n;
    return (BigInt(this.#high) << 32n) | BigInt(this.#low);
  }

  /**
   * Authenticates and decrypts one frame and returns its plaintext (a new
   * buffer owned by the caller); `frame` is left as it was.
   *
   * @throws CallsignError `ERR_FRAME_TRUNCATED` (shorter than 24 bytes),
   *   `ERR_FRAME_TOO_LARGE` (plaintext longer than `maxFrameSize`),
   *   `ERR_FRAME_FORGED` (the tag does not verify under this key and the
   *   frame's counter), `ERR_FRAME_REPLAYED` (an authentic frame whose counter
   *   was already seen), `ERR_FRAME_REORDERED` (an authentic frame from
   *   further ahead), `ERR_CLOSED` (the opener failed before).
   */
  open(frame: Uint8Array): Uint8Array {
    return this.#open(frame, false);
  }

  /**
   * As {@link FrameOpener.open}, but decrypts into `frame` itself where the
   * frame's AEAD allows (ChaCha20-Poly1305 through libsodium) and returns a
   * view of it: no copy, no allocation. `frame`'s bytes are overwritten
   * whatever the outcome; use it for a frame nobody else reads, as one just
   * read from the socket.
   */
  openInPlace(frame: Uint8Array): Uint8Array {
    return this.#open(frame, true);
  }

  #open(frame: Uint8Array, inPlace: boolean): Uint8Array {
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
    setNonce(this.#nonce, high, low);
    const plaintext = this.#keys.for(length).open(frame, this.#nonce, inPlace);
    if (plaintext === undefined)
      return this.#fail('ERR_FRAME_FORGED', 'frame does not authenticate');

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
