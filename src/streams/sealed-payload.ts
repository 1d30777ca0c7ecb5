/**
 * Sealed payloads: what a producer of a stream declared `sealed` stores
 * instead of its data, and how a consumer opens it again. The seal is
 * AES-256-GCM under a stream key that only the stream's producers and
 * consumers hold (never the host, never the store), so the host, LMDB and
 * JetStream see ciphertext only. The message type is sealed with the data;
 * the subject and the key stay clear (the store needs them to bind subjects,
 * choose partitions and compact per key) and are bound to the ciphertext as
 * associated data, so a record moved to another subject or key is refused.
 *
 * Layout: magic (4) ‖ key id (8) ‖ nonce (12) ‖ AES-256-GCM(u16 type
 * length ‖ type ‖ data) ‖ tag (16). The key id tells a consumer holding
 * another key from a tampered record. Nonces are random: rotate a key (a
 * new stream) well before 2^32 messages have been sealed with it.
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
  randomFillSync,
} from 'node:crypto';
import { CallsignError } from '../errors.ts';

/** The visible type of a sealed record (the real one is inside the seal). */
export const SEALED_TYPE = 'callsign.sealed';

const MAGIC = Uint8Array.of(0xc5, 0x5e, 0xa1, 0x01);
const KEY_ID = 8;
const NONCE = 12;
const TAG = 16;
const HEADER = MAGIC.length + KEY_ID + NONCE;
/** The bytes sealing adds to a payload (with a type of `t` bytes: `t` more). */
export const SEAL_OVERHEAD = HEADER + 2 + TAG;
/** Payloads up to this size are sealed in one cipher call, through a scratch copy. */
const ONE_CALL = 16 * 1024;

/** A stream key: 32 bytes, or their base64url text (as {@link newStreamKey} gives). */
export type StreamKeyInput = Uint8Array | string;

/** A new random stream key, as base64url text (43 characters). */
export function newStreamKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What a record carries besides its data, as the seal binds it. */
export interface SealedPlace {
  /** The subject as stored (the stream's name when the producer gave none). */
  readonly subject: string;
  readonly key?: string | undefined;
}

/**
 * Random nonces drawn from the system's generator a few hundred at a time
 * (one call instead of one per seal); each 12 bytes are given out once.
 */
const nonces = {
  pool: Buffer.alloc(NONCE * 512),
  at: NONCE * 512,
  /** Writes a fresh random nonce into `out` at `offset`. */
  take(out: Buffer, offset: number): void {
    if (this.at === this.pool.length) {
      randomFillSync(this.pool);
      this.at = 0;
    }
    this.pool.copy(out, offset, this.at, this.at + NONCE);
    this.at += NONCE;
  },
};

/** True when `data` has the shape of a sealed payload (what a host can check without the key). */
export function looksSealed(data: Uint8Array, type: string | undefined): boolean {
  if (type !== SEALED_TYPE || data.length < SEAL_OVERHEAD) return false;
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return false;
  return true;
}

/** Seals and opens the payloads of one stream with its key. */
export class StreamSeal {
  readonly #key: KeyObject;
  /** The key's id (not secret: a hash of the key), written into each sealed payload. */
  readonly id: Uint8Array;
  /** Where the associated data and small plaintexts are laid out (reused: each call is synchronous). */
  #aad = Buffer.alloc(256);
  #plain = Buffer.alloc(1024);

  /** @throws CallsignError `ERR_INVALID_SETTINGS` when the key is not 32 bytes (or their base64url) */
  constructor(key: StreamKeyInput) {
    const bytes =
      typeof key === 'string' && /^[A-Za-z0-9_-]{43}=?$/.test(key)
        ? Buffer.from(key, 'base64url')
        : key instanceof Uint8Array
          ? Buffer.from(key)
          : Buffer.alloc(0);
    if (bytes.length !== 32) {
      throw new CallsignError(
        'ERR_INVALID_SETTINGS',
        'a stream key is 32 bytes or their base64url text (callsign stream key)',
      );
    }
    this.#key = createSecretKey(bytes);
    this.id = createHash('sha256')
      .update('callsign stream key')
      .update(bytes)
      .digest()
      .subarray(0, KEY_ID);
    bytes.fill(0);
  }

  /**
   * The associated data of a payload whose header is `header` at `place`:
   * header ‖ u32 length ‖ subject ‖ (0 | 1 ‖ u32 length ‖ key), in a scratch buffer.
   */
  #associated(header: Uint8Array, place: SealedPlace): Buffer {
    const subject = Buffer.byteLength(place.subject);
    const key = place.key === undefined ? -1 : Buffer.byteLength(place.key);
    const length = HEADER + 4 + subject + 1 + (key < 0 ? 0 : 4 + key);
    if (this.#aad.length < length) this.#aad = Buffer.alloc(length * 2);
    const aad = this.#aad;
    aad.set(header, 0);
    let at = aad.writeUInt32BE(subject, HEADER);
    at += aad.write(place.subject, at);
    if (key < 0) aad[at++] = 0;
    else {
      aad[at++] = 1;
      at = aad.writeUInt32BE(key, at);
      at += aad.write(place.key as string, at);
    }
    return aad.subarray(0, at);
  }

  /** The sealed payload of `data` (of message type `type`, if any) at `place`. */
  seal(data: Uint8Array, type: string | undefined, place: SealedPlace): Uint8Array {
    const typeLength = type ? Buffer.byteLength(type) : 0;
    if (typeLength > 0xffff) {
      throw new CallsignError('ERR_INVALID_MESSAGE', 'a message type name is too long to seal');
    }
    const inner = 2 + typeLength + data.byteLength;
    const out = Buffer.allocUnsafe(HEADER + inner + TAG);
    out.set(MAGIC, 0);
    out.set(this.id, MAGIC.length);
    nonces.take(out, HEADER - NONCE);
    const header = out.subarray(0, HEADER);
    const cipher = createCipheriv('aes-256-gcm', this.#key, out.subarray(HEADER - NONCE, HEADER));
    cipher.setAAD(this.#associated(header, place));
    // u16 type length ‖ type ‖ data, as one plaintext.
    let at = HEADER;
    if (inner <= ONE_CALL) {
      if (this.#plain.length < inner) this.#plain = Buffer.alloc(ONE_CALL);
      const plain = this.#plain;
      plain.writeUInt16BE(typeLength, 0);
      if (type) plain.write(type, 2);
      plain.set(data, 2 + typeLength);
      at += cipher.update(plain.subarray(0, inner)).copy(out, at);
    } else {
      const prefix = Buffer.allocUnsafe(2 + typeLength);
      prefix.writeUInt16BE(typeLength, 0);
      if (type) prefix.write(type, 2);
      at += cipher.update(prefix).copy(out, at);
      at += cipher.update(data).copy(out, at);
    }
    cipher.final();
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  /**
   * The data and type inside a sealed payload stored at `place`.
   *
   * @throws CallsignError `ERR_SEALED_KEY` (sealed with another key),
   *   `ERR_SEALED_TAMPERED` (changed after sealing, or moved to another subject or key)
   */
  open(sealed: Uint8Array, place: SealedPlace): { data: Uint8Array; type: string | undefined } {
    if (!looksSealed(sealed, SEALED_TYPE)) {
      throw new CallsignError('ERR_SEALED_TAMPERED', 'not a sealed payload (too short or no seal)');
    }
    const header = sealed.subarray(0, HEADER);
    if (!Buffer.from(header.subarray(MAGIC.length, MAGIC.length + KEY_ID)).equals(this.id)) {
      throw new CallsignError('ERR_SEALED_KEY', 'sealed with another stream key than this one');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, header.subarray(HEADER - NONCE));
    decipher.setAAD(this.#associated(header, place));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    let inner: Buffer;
    try {
      inner = decipher.update(sealed.subarray(HEADER, sealed.length - TAG));
      // Throws unless the tag verifies: nothing decrypted is handed out before.
      decipher.final();
    } catch {
      throw new CallsignError(
        'ERR_SEALED_TAMPERED',
        'a sealed payload failed its authentication: changed, or moved to another subject or key',
      );
    }
    const typeLength = inner.readUInt16BE(0);
    if (2 + typeLength > inner.length) {
      throw new CallsignError('ERR_SEALED_TAMPERED', 'a sealed payload holds a broken type');
    }
    const type = inner.subarray(2, 2 + typeLength).toString('utf8');
    return { data: inner.subarray(2 + typeLength), type: typeLength === 0 ? undefined : type };
  }
}

/** The seal of a key given in options, if one was. */
export function sealOf(key: StreamKeyInput | undefined): StreamSeal | undefined {
  return key === undefined ? undefined : new StreamSeal(key);
}
