import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CallsignError } from '../errors.ts';

/**
 * Ephemeral X25519 through Node's built-in crypto: the same bytes as
 * tweetnacl's `nacl.box.keyPair` / `nacl.scalarMult` (RFC 7748), at a small
 * fraction of the CPU (tweetnacl's pure-JS scalar multiplication costs
 * milliseconds per handshake).
 */

// Keys go in and out as JWK, not DER: OpenSSL 3's DER encoder and decoder cost
// about 0.1 ms per key, the JWK path a few µs (see bench/README.md, the handshake).

/** An ephemeral key pair: the raw public key to send, the private key to agree with. */
export interface EphemeralKeys {
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

/** Makes a fresh ephemeral key pair. */
export function ephemeralKeys(): EphemeralKeys {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const { x } = publicKey.export({ format: 'jwk' });
  return { publicKey: new Uint8Array(Buffer.from(x as string, 'base64url')), privateKey };
}

/**
 * The shared secret of our private key and the peer's raw public key.
 *
 * @throws CallsignError `ERR_HANDSHAKE_FAILED` for a key that is not 32
 *   bytes or a low-order point (an all-zero shared secret).
 */
export function agree(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    if (peerPublicKey.length !== 32) throw new RangeError('an X25519 public key is 32 bytes');
    const x = Buffer.from(peerPublicKey).toString('base64url');
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    shared = new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (err) {
    throw new CallsignError('ERR_HANDSHAKE_FAILED', 'peer sent an unusable ephemeral key', {
      cause: err,
    });
  }
  let bits = 0;
  for (const byte of shared) bits |= byte;
  if (bits === 0) {
    throw new CallsignError('ERR_HANDSHAKE_FAILED', 'peer sent a low-order ephemeral key');
  }
  return shared;
}
