import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

/**
 * Ed25519 signatures through Node's built-in crypto: the same bytes as
 * tweetnacl's `nacl.sign.detached`, about a hundred times faster (≈0.04 ms to
 * sign and 0.1 ms to verify here, against 5 and 10–16 ms), which keeps the
 * handshake well under a millisecond of CPU.
 */

// DER headers that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function privateKeyOf(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey);
  if (!key) {
    // A tweetnacl secret key is seed (32 bytes) followed by the public key.
    const seed = secretKey.subarray(0, 32);
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    privateKeys.set(secretKey, key);
  }
  return key;
}

/** Signs `message` with a 64-byte tweetnacl-style Ed25519 secret key. */
export function signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyOf(secretKey)));
}

/** True when `signature` is `publicKey`'s Ed25519 signature of `message`. */
export function verifyDetached(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    // As JWK: OpenSSL 3 decodes a DER key about 15 times slower.
    const x = Buffer.from(publicKey).toString('base64url');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    // Not a point on the curve: not a valid key, so not a valid signature.
    return false;
  }
}

/**
 * The Ed25519 key pair of `seed` in tweetnacl's form (the same bytes as
 * `nacl.sign.keyPair.fromSeed`): Node's crypto takes about 0.1 ms where
 * tweetnacl, cold in a process that has just started, takes 50–85 ms.
 */
export function keyPairFromSeed(seed: Uint8Array): {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
} {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(SPKI_ED25519.length));
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(publicKey, 32);
  privateKeys.set(secretKey, privateKey);
  return { publicKey, secretKey };
}

/** A new random Ed25519 key pair in tweetnacl's form. */
export function generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const seed = randomBytes(32);
  const pair = keyPairFromSeed(seed);
  seed.fill(0);
  return pair;
}
