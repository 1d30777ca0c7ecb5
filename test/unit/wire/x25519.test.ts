import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { agree, ephemeralKeys } from '../../../src/wire/x25519.ts';

describe('X25519 through node:crypto', () => {
  it('agrees on the same secret as tweetnacl (RFC 7748), both ways', () => {
    for (let i = 0; i < 20; i++) {
      const ours = ephemeralKeys();
      const theirs = nacl.box.keyPair();
      const secret = agree(ours.privateKey, theirs.publicKey);
      expect(
        Buffer.from(secret).equals(Buffer.from(nacl.scalarMult(theirs.secretKey, ours.publicKey))),
      ).toBe(true);
    }
  });

  it('refuses a low-order point and a key of the wrong length with ERR_HANDSHAKE_FAILED', () => {
    const ours = ephemeralKeys();
    for (const bad of [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      new Uint8Array(31),
    ]) {
      let code: string | undefined;
      try {
        agree(ours.privateKey, bad);
      } catch (err) {
        code = isCallsignError(err) ? err.code : String(err);
      }
      expect(code).toBe('ERR_HANDSHAKE_FAILED');
    }
  });
});
