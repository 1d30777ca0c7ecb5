import {
  type CipherChaCha20Poly1305,
  type CipherGCM,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The two AEADs that seal frames (see `seal.ts` for which frame gets which),
 * as one-shot calls on a frame laid out as `counter (8) ‖ ciphertext ‖ tag
 * (16)`, where the counter is the associated data.
 *
 * - ChaCha20-Poly1305 (IETF, RFC 8439) for small frames: through the
 *   libsodium binary that the `sodium-native` package ships prebuilt, which
 *   seals in one call (about 1 µs for 100 B) and opens in place, against 5 to
 *   7 µs for a cipher object of `node:crypto`. Where that binary cannot be
 *   loaded, `node:crypto`'s ChaCha20-Poly1305 does the same: the bytes on the
 *   wire are identical, only slower.
 * - AES-256-GCM through `node:crypto` for large frames, where its speed per
 *   byte (AES instructions) outweighs its per-frame set-up.
 *
 * @module
 */

/** Length in bytes of an AEAD tag, of an AEAD key, of a nonce. */
export const TAG_LENGTH = 16;
export const AEAD_KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
/** Length of the counter in front of every frame (the associated data). */
export const COUNTER_LENGTH = 8;

/** One AEAD under one key, on frames. */
export interface FrameAead {
  /**
   * Seals `plaintext` into `frame`, which is `COUNTER_LENGTH + plaintext.length + TAG_LENGTH`
   * bytes and holds the counter already: ciphertext after it, then the tag.
   */
  seal(frame: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array): void;
  /**
   * Authenticates `frame` and decrypts its ciphertext: into the frame itself
   * when `inPlace` and the AEAD can (its bytes are then overwritten), else
   * into a new buffer. Returns the plaintext, or `undefined` when the tag
   * does not verify (a frame opened in place is then zeroed).
   */
  open(frame: Uint8Array, nonce: Uint8Array, inPlace: boolean): Uint8Array | undefined;
  /**
   * Where the AEAD returns its output in buffers of its own (node:crypto):
   * seals `plaintext` under the 8-byte `counter` and gives the frame's
   * ciphertext and tag as they came, so that the caller can write
   * `counter ‖ ciphertext ‖ tag` without first copying them into one buffer.
   */
  sealApart?(
    counter: Uint8Array,
    plaintext: Uint8Array,
    nonce: Uint8Array,
  ): [Uint8Array, Uint8Array];
}

/**
 * The two calls of libsodium's binding that frames use (sodium-native 5's
 * native signatures): the combined forms, whose ciphertext is followed by
 * its tag, as in a frame. Each returns the length of its output, or a
 * failure status: compare it with the expected length, never with 0.
 */
interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | undefined,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    c: Uint8Array,
    ad: Uint8Array | undefined,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

let sodium: SodiumAead | null | undefined;

/**
 * Seals ChaCha20-Poly1305 frames of this process with node:crypto rather
 * than libsodium (the same bytes, slower). For platforms where the binary
 * misbehaves; `createNode` calls it when `CALLSIGN_NO_SODIUM=1`. Takes effect
 * for frame keys made after the call.
 */
export function useNodeCryptoForFrames(): void {
  sodium = null;
}

/**
 * The libsodium binding, loaded at first use; `null` where it cannot be.
 *
 * The prebuilt binary is opened directly (about 1.5 ms) rather than through
 * the package's entry point, whose loader takes 40–60 ms to start: that
 * would land on a node's first connection. Its native calls check the
 * lengths of their arguments with C asserts, so every caller here passes
 * lengths derived from the frame as documented above; the package's version
 * is pinned exactly in package.json for the same reason.
 */
function loadSodium(): SodiumAead | null {
  if (sodium !== undefined) return sodium;
  sodium = null;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('sodium-native/package.json'));
    const file = join(
      root,
      'prebuilds',
      `${process.platform}-${process.arch}`,
      'sodium-native.node',
    );
    const addon = { exports: {} as Partial<SodiumAead> };
    process.dlopen(addon, file);
    const b = addon.exports;
    if (
      typeof b.crypto_aead_chacha20poly1305_ietf_encrypt === 'function' &&
      typeof b.crypto_aead_chacha20poly1305_ietf_decrypt === 'function'
    ) {
      sodium = b as SodiumAead;
    }
  } catch {
    // No prebuilt binary for this platform, or the package is missing: node:crypto does it.
  }
  return sodium;
}

/**
 * Which implementation seals ChaCha20-Poly1305 frames in this process:
 * `'libsodium'` (sodium-native's prebuilt binary) or `'node:crypto'` (the
 * fallback; {@link useNodeCryptoForFrames} chooses it).
 */
export function chachaImplementation(): 'libsodium' | 'node:crypto' {
  return loadSodium() ? 'libsodium' : 'node:crypto';
}

/** ChaCha20-Poly1305 under `key`, through libsodium when it loads, else node:crypto. */
export function chachaAead(key: Uint8Array): FrameAead {
  const binding = loadSodium();
  return binding ? sodiumChacha(binding, key) : nodeChacha(key);
}

/** ChaCha20-Poly1305 under `key` through node:crypto, whatever else is available (for tests). */
export function nodeChachaAead(key: Uint8Array): FrameAead {
  return nodeChacha(key);
}

function sodiumChacha(binding: SodiumAead, keyBytes: Uint8Array): FrameAead {
  const key = new Uint8Array(keyBytes);
  // The counter passes through this (8 bytes copied) rather than as a view of the frame.
  const counter = new Uint8Array(COUNTER_LENGTH);
  return {
    seal(frame, plaintext, nonce) {
      for (let i = 0; i < COUNTER_LENGTH; i++) counter[i] = frame[i]!;
      // Ciphertext then tag, written straight after the counter: the frame's own layout.
      const sealed = new Uint8Array(
        frame.buffer,
        frame.byteOffset + COUNTER_LENGTH,
        frame.byteLength - COUNTER_LENGTH,
      );
      binding.crypto_aead_chacha20poly1305_ietf_encrypt(sealed, plaintext, counter, nonce, key);
    },
    open(frame, nonce, inPlace) {
      const sealed = new Uint8Array(
        frame.buffer,
        frame.byteOffset + COUNTER_LENGTH,
        frame.byteLength - COUNTER_LENGTH,
      );
      const length = sealed.byteLength - TAG_LENGTH;
      // In place, the plaintext starts where the ciphertext does: libsodium checks the
      // tag before it decrypts, and the plaintext never reaches the tag's bytes.
      // (A view of the frame's own kind: a Buffer read from a socket gives a Buffer.)
      const plaintext = inPlace
        ? frame.subarray(COUNTER_LENGTH, COUNTER_LENGTH + length)
        : new Uint8Array(length);
      for (let i = 0; i < COUNTER_LENGTH; i++) counter[i] = frame[i]!;
      const opened = binding.crypto_aead_chacha20poly1305_ietf_decrypt(
        plaintext,
        sealed,
        counter,
        nonce,
        key,
      );
      return opened === length ? plaintext : undefined;
    },
  };
}

function nodeChacha(keyBytes: Uint8Array): FrameAead {
  const key = createSecretKey(keyBytes);
  return nodeAead<CipherChaCha20Poly1305, DecipherChaCha20Poly1305>(
    (nonce) => createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH }),
    (nonce) => createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH }),
  );
}

/** AES-256-GCM under `key`, through node:crypto. */
export function gcmAead(keyBytes: Uint8Array): FrameAead {
  const key: KeyObject = createSecretKey(keyBytes);
  return nodeAead<CipherGCM, DecipherGCM>(
    (nonce) => createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH }),
    (nonce) => createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH }),
  );
}

/** An AEAD through node:crypto's cipher objects (one per frame: Node cannot re-nonce one). */
function nodeAead<
  C extends CipherGCM | CipherChaCha20Poly1305,
  D extends DecipherGCM | DecipherChaCha20Poly1305,
>(cipherFor: (nonce: Uint8Array) => C, decipherFor: (nonce: Uint8Array) => D): FrameAead {
  return {
    sealApart(counter, plaintext, nonce) {
      const cipher = cipherFor(nonce);
      cipher.setAAD(counter, { plaintextLength: plaintext.byteLength });
      const ciphertext = plaintext.byteLength > 0 ? cipher.update(plaintext) : EMPTY;
      cipher.final();
      return [ciphertext, cipher.getAuthTag()];
    },
    seal(frame, plaintext, nonce) {
      const length = plaintext.byteLength;
      const cipher = cipherFor(nonce);
      cipher.setAAD(frame.subarray(0, COUNTER_LENGTH), { plaintextLength: length });
      if (length > 0) frame.set(cipher.update(plaintext), COUNTER_LENGTH);
      cipher.final();
      frame.set(cipher.getAuthTag(), COUNTER_LENGTH + length);
    },
    open(frame, nonce) {
      const end = frame.byteLength - TAG_LENGTH;
      const decipher = decipherFor(nonce);
      decipher.setAAD(frame.subarray(0, COUNTER_LENGTH), { plaintextLength: end - COUNTER_LENGTH });
      decipher.setAuthTag(frame.subarray(end));
      const plaintext: Uint8Array =
        end > COUNTER_LENGTH ? decipher.update(frame.subarray(COUNTER_LENGTH, end)) : EMPTY;
      try {
        decipher.final();
      } catch {
        return undefined;
      }
      return plaintext;
    },
  };
}

const EMPTY = new Uint8Array(0);
