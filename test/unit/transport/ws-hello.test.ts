import { describe, expect, it } from 'vitest';
import { createRealm, generateNodeKeys } from '../../../src/index.ts';
import {
  HELLO_HEADER,
  helloHeaderValue,
  MAX_HELLO_BYTES,
  readHelloHeader,
} from '../../../src/transport/ws-hello.ts';
import { InitiatorHandshake } from '../../../src/wire/handshake.ts';
import { below, mutate, prng, randomBytes } from './fuzz-helpers.ts';

describe('the hello header of an upgrade request', () => {
  it('carries an M1 there and back, byte for byte', () => {
    const m1 = new InitiatorHandshake({
      realm: createRealm('r'),
      keys: generateNodeKeys(),
    }).start();
    const verdict = readHelloHeader(helloHeaderValue(m1));
    expect(verdict.kind).toBe('hello');
    expect(verdict.kind === 'hello' && Buffer.from(verdict.bytes).equals(Buffer.from(m1))).toBe(
      true,
    );
    expect(HELLO_HEADER).toBe(HELLO_HEADER.toLowerCase());
  });

  it('refuses what is not one base64 value of at most one handshake message, with a code', () => {
    const cases: [string | string[], string][] = [
      [['QUJD', 'QUJD'], 'ERR_BAD_UPGRADE'],
      ['', 'ERR_BAD_UPGRADE'],
      ['QUJ', 'ERR_BAD_UPGRADE'],
      ['QU JD', 'ERR_BAD_UPGRADE'],
      ['QUJD, QUJD', 'ERR_BAD_UPGRADE'],
      ['====', 'ERR_BAD_UPGRADE'],
      [helloHeaderValue(new Uint8Array(MAX_HELLO_BYTES + 1)), 'ERR_HANDSHAKE_TOO_LARGE'],
      ['A'.repeat(8000), 'ERR_HANDSHAKE_TOO_LARGE'],
    ];
    for (const [value, code] of cases) {
      const verdict = readHelloHeader(value);
      expect(verdict.kind === 'refused' && verdict.code, String(value).slice(0, 20)).toBe(code);
    }
    expect(readHelloHeader(undefined).kind).toBe('none');
    expect(readHelloHeader(helloHeaderValue(new Uint8Array(MAX_HELLO_BYTES))).kind).toBe('hello');
  });

  it('20 000 mutated values give a verdict, never a throw, and never more than a handshake message', () => {
    const random = prng(7);
    const seed = Buffer.from(helloHeaderValue(randomBytes(random, 66)), 'latin1');
    for (let i = 0; i < 20_000; i++) {
      const value = Buffer.from(mutate(random, seed)).toString('latin1');
      const verdict = readHelloHeader(below(random, 50) === 0 ? [value, value] : value);
      if (verdict.kind === 'hello') {
        expect(verdict.bytes.length).toBeGreaterThan(0);
        expect(verdict.bytes.length).toBeLessThanOrEqual(MAX_HELLO_BYTES);
        expect(helloHeaderValue(verdict.bytes)).toBe(value);
      } else {
        expect(verdict.kind).toBe('refused');
      }
    }
  });
});
