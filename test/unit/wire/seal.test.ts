import { createDecipheriv, type DecipherGCM, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CallsignError, type ErrorCode, isCallsignError } from '../../../src/errors.ts';
import { chachaAead, chachaImplementation, nodeChachaAead } from '../../../src/wire/frame-aead.ts';
import {
  CHACHA_MAX_PLAINTEXT,
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_OVERHEAD,
  FrameOpener,
  FrameSealer,
  setFrameCounterForTesting,
} from '../../../src/wire/seal.ts';

function codeOfThrow(f: () => unknown): ErrorCode | 'no error' | 'not a CallsignError' {
  try {
    f();
  } catch (err) {
    return isCallsignError(err) ? err.code : 'not a CallsignError';
  }
  return 'no error';
}

function errorOf(f: () => unknown): CallsignError {
  try {
    f();
  } catch (err) {
    if (isCallsignError(err)) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

function pair(opts?: { maxFrameSize?: number }) {
  const key = randomBytes(32);
  return { key, sealer: new FrameSealer(key, opts), opener: new FrameOpener(key, opts) };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('FrameSealer / FrameOpener', () => {
  it('round-trips frames of many sizes, in order', () => {
    const { sealer, opener } = pair();
    for (const size of [0, 1, 15, 16, 17, 100, 4096, 16 * 1024, 65_537, DEFAULT_MAX_FRAME_SIZE]) {
      const plaintext = randomBytes(size);
      const frame = sealer.seal(plaintext);
      expect(frame.byteLength).toBe(size + FRAME_OVERHEAD);
      expect(Buffer.from(opener.open(frame)).equals(plaintext)).toBe(true);
    }
    expect(sealer.counter).toBe(10n);
    expect(opener.counter).toBe(10n);
  });

  it('lays a frame out as counter ‖ ciphertext ‖ tag: ChaCha20-Poly1305 up to 32 KiB, AES-256-GCM above', () => {
    const { key, sealer } = pair();
    sealer.seal(text('zero'));
    const small = Buffer.from(sealer.seal(text('one')));
    const large = Buffer.from(sealer.seal(Buffer.alloc(CHACHA_MAX_PLAINTEXT + 1, 7)));
    expect(small.readBigUInt64BE(0)).toBe(1n);
    expect(large.readBigUInt64BE(0)).toBe(2n);
    // Decrypt independently, as docs/security.md says: each AEAD under its own
    // key, HKDF-SHA256(frame key, "", label, 32); nonce = 4 zero bytes ‖ counter; AAD = counter.
    const derived = (label: string) => Buffer.from(hkdfSync('sha256', key, '', label, 32));
    const open = (algorithm: 'chacha20-poly1305' | 'aes-256-gcm', label: string, frame: Buffer) => {
      const nonce = Buffer.concat([Buffer.alloc(4), frame.subarray(0, 8)]);
      const decipher = createDecipheriv(algorithm, derived(label), nonce, {
        authTagLength: 16,
      } as never) as DecipherGCM;
      decipher.setAAD(frame.subarray(0, 8), { plaintextLength: frame.length - 24 });
      decipher.setAuthTag(frame.subarray(frame.length - 16));
      const plain = decipher.update(frame.subarray(8, frame.length - 16));
      decipher.final();
      return plain;
    };
    expect(
      open('chacha20-poly1305', 'callsign v1 frame key chacha20-poly1305', small).toString(),
    ).toBe('one');
    const bulk = open('aes-256-gcm', 'callsign v1 frame key aes-256-gcm', large);
    expect(bulk.equals(Buffer.alloc(CHACHA_MAX_PLAINTEXT + 1, 7))).toBe(true);
  });

  it('never repeats a ciphertext for the same plaintext', () => {
    const { sealer } = pair();
    const a = Buffer.from(sealer.seal(text('same')));
    const b = Buffer.from(sealer.seal(text('same')));
    expect(a.subarray(8).equals(b.subarray(8))).toBe(false);
  });

  it('rejects a frame tampered at any byte position with ERR_FRAME_FORGED', () => {
    const { key, sealer } = pair();
    const frames = [sealer.seal(text('ten bytes!')), sealer.seal(text('second'))];
    const first = frames[0]!;
    for (let position = 0; position < first.byteLength; position++) {
      for (const mask of [0x01, 0x80]) {
        const opener = new FrameOpener(key);
        const tampered = Uint8Array.from(first);
        tampered[position]! ^= mask;
        expect(
          codeOfThrow(() => opener.open(tampered)),
          `byte ${position}`,
        ).toBe('ERR_FRAME_FORGED');
      }
    }
    // The genuine frames still open with a fresh opener.
    const opener = new FrameOpener(key);
    expect(new TextDecoder().decode(opener.open(frames[0]!))).toBe('ten bytes!');
    expect(new TextDecoder().decode(opener.open(frames[1]!))).toBe('second');
  });

  it('rejects a replayed frame with ERR_FRAME_REPLAYED', () => {
    const { sealer, opener } = pair();
    const f0 = sealer.seal(text('a'));
    const f1 = sealer.seal(text('b'));
    opener.open(f0);
    opener.open(f1);
    expect(codeOfThrow(() => opener.open(f0))).toBe('ERR_FRAME_REPLAYED');
  });

  it('rejects a frame from further ahead with ERR_FRAME_REORDERED', () => {
    const { sealer, opener } = pair();
    const f0 = sealer.seal(text('a'));
    const f1 = sealer.seal(text('b'));
    const f2 = sealer.seal(text('c'));
    opener.open(f0);
    expect(codeOfThrow(() => opener.open(f2))).toBe('ERR_FRAME_REORDERED');
    // Dead now, even for the frame it was waiting for.
    expect(codeOfThrow(() => opener.open(f1))).toBe('ERR_CLOSED');
  });

  it('rejects frames shorter than 24 bytes with ERR_FRAME_TRUNCATED', () => {
    const { key, sealer } = pair();
    const frame = sealer.seal(text('hello'));
    for (let length = 0; length < FRAME_OVERHEAD; length++) {
      const opener = new FrameOpener(key);
      expect(
        codeOfThrow(() => opener.open(frame.subarray(0, length))),
        `length ${length}`,
      ).toBe('ERR_FRAME_TRUNCATED');
    }
    // Cut, but still 24 bytes or more: the tag no longer matches.
    for (let length = FRAME_OVERHEAD; length < frame.byteLength; length++) {
      const opener = new FrameOpener(key);
      expect(
        codeOfThrow(() => opener.open(frame.subarray(0, length))),
        `length ${length}`,
      ).toBe('ERR_FRAME_FORGED');
    }
  });

  it('opens an empty frame (exactly 24 bytes)', () => {
    const { sealer, opener } = pair();
    const frame = sealer.seal(new Uint8Array(0));
    expect(frame.byteLength).toBe(FRAME_OVERHEAD);
    expect(opener.open(frame).byteLength).toBe(0);
  });

  it('rejects a frame sealed with another key with ERR_FRAME_FORGED', () => {
    const mine = pair();
    const theirs = pair();
    expect(codeOfThrow(() => mine.opener.open(theirs.sealer.seal(text('hi'))))).toBe(
      'ERR_FRAME_FORGED',
    );
  });

  it('refuses to seal more than maxFrameSize, and stays usable', () => {
    const { sealer, opener } = pair({ maxFrameSize: 1000 });
    expect(codeOfThrow(() => sealer.seal(new Uint8Array(1001)))).toBe('ERR_FRAME_TOO_LARGE');
    expect(sealer.counter).toBe(0n);
    expect(opener.open(sealer.seal(new Uint8Array(1000))).byteLength).toBe(1000);
  });

  it('refuses to open a frame of more than maxFrameSize with ERR_FRAME_TOO_LARGE', () => {
    const key = randomBytes(32);
    const sealer = new FrameSealer(key, { maxFrameSize: 2000 });
    const opener = new FrameOpener(key, { maxFrameSize: 1000 });
    expect(codeOfThrow(() => opener.open(sealer.seal(new Uint8Array(1001))))).toBe(
      'ERR_FRAME_TOO_LARGE',
    );
  });

  it('is dead after any failure: later calls throw ERR_CLOSED with the first error as cause', () => {
    const { sealer, opener } = pair();
    const good = sealer.seal(text('good'));
    const forged = Uint8Array.from(good);
    forged[10]! ^= 1;
    expect(codeOfThrow(() => opener.open(forged))).toBe('ERR_FRAME_FORGED');
    const err = errorOf(() => opener.open(good));
    expect(err.code).toBe('ERR_CLOSED');
    expect(isCallsignError(err.cause, 'ERR_FRAME_FORGED')).toBe(true);
    expect(codeOfThrow(() => opener.open(good))).toBe('ERR_CLOSED');
  });

  it('carries the counter across 2^32', () => {
    const { sealer, opener } = pair();
    const start = (1n << 32n) - 2n;
    setFrameCounterForTesting(sealer, start);
    setFrameCounterForTesting(opener, start);
    for (let i = 0n; i < 4n; i++) {
      const frame = Buffer.from(sealer.seal(text(`n${i}`)));
      expect(frame.readBigUInt64BE(0)).toBe(start + i);
      expect(new TextDecoder().decode(opener.open(frame))).toBe(`n${i}`);
    }
    expect(sealer.counter).toBe(start + 4n);
    expect(opener.counter).toBe(start + 4n);
  });

  it('refuses to wrap past counter 2^64 − 1', () => {
    const { key, sealer, opener } = pair();
    const last = (1n << 64n) - 1n;
    setFrameCounterForTesting(sealer, last);
    setFrameCounterForTesting(opener, last);
    const frame = Buffer.from(sealer.seal(text('last')));
    expect(frame.readBigUInt64BE(0)).toBe(last);
    expect(sealer.counter).toBe(1n << 64n);
    expect(codeOfThrow(() => sealer.seal(text('one more')))).toBe('ERR_CLOSED');
    expect(new TextDecoder().decode(opener.open(frame))).toBe('last');
    // Counter 0 again under the same key is a replay, never a wrap.
    expect(codeOfThrow(() => opener.open(new FrameSealer(key).seal(text('wrapped'))))).toBe(
      'ERR_FRAME_REPLAYED',
    );
  });

  it('validates its key and options', () => {
    expect(codeOfThrow(() => new FrameSealer(new Uint8Array(31)))).toBe('ERR_INVALID_KEY');
    expect(codeOfThrow(() => new FrameOpener(new Uint8Array(33)))).toBe('ERR_INVALID_KEY');
    for (const maxFrameSize of [0, -1, 1.5, Number.NaN, 2 ** 40]) {
      expect(codeOfThrow(() => new FrameSealer(new Uint8Array(32), { maxFrameSize }))).toBe(
        'ERR_INVALID_SETTINGS',
      );
    }
  });

  it('copies its key, so the caller may wipe it', () => {
    const { key, sealer, opener } = pair();
    key.fill(0);
    expect(new TextDecoder().decode(opener.open(sealer.seal(text('still'))))).toBe('still');
  });

  it('seals into a buffer given, when it has room, and opens the same', () => {
    const { sealer, opener } = pair();
    const into = Buffer.alloc(200);
    const frame = sealer.seal(text('into a given buffer'), into);
    expect(frame.buffer).toBe(into.buffer);
    expect(frame.byteOffset).toBe(into.byteOffset);
    expect(new TextDecoder().decode(opener.open(frame))).toBe('into a given buffer');
    const small = Buffer.alloc(10);
    const elsewhere = sealer.seal(text('too long for it'), small);
    expect(elsewhere.buffer).not.toBe(small.buffer);
    expect(new TextDecoder().decode(opener.open(elsewhere))).toBe('too long for it');
  });

  it('seals in pieces the same bytes as in one buffer: counter, ciphertext and tag above 32 KiB, one piece below', () => {
    const key = randomBytes(32);
    const whole = new FrameSealer(key);
    const apart = new FrameSealer(key);
    const opener = new FrameOpener(key);
    for (const size of [
      0,
      100,
      CHACHA_MAX_PLAINTEXT,
      CHACHA_MAX_PLAINTEXT + 1,
      64 * 1024,
      300_000,
    ]) {
      const plaintext = randomBytes(size);
      const frame = whole.seal(plaintext);
      const parts = apart.sealParts(plaintext);
      expect(parts.map((p) => p.byteLength)).toEqual(
        size > CHACHA_MAX_PLAINTEXT ? [8, size, 16] : [size + FRAME_OVERHEAD],
      );
      const joined = Buffer.concat(parts);
      expect(joined.equals(frame)).toBe(true);
      expect(Buffer.from(opener.open(joined)).equals(plaintext)).toBe(true);
    }
    expect(apart.counter).toBe(whole.counter);
    // The limits hold as for seal: nothing consumed, the sealer stays usable.
    const small = new FrameSealer(key, { maxFrameSize: 40_000 });
    expect(codeOfThrow(() => small.sealParts(randomBytes(40_001)))).toBe('ERR_FRAME_TOO_LARGE');
    expect(small.counter).toBe(0n);
    setFrameCounterForTesting(small, (1n << 64n) - 1n);
    small.sealParts(randomBytes(33_000));
    expect(codeOfThrow(() => small.sealParts(randomBytes(33_000)))).toBe('ERR_CLOSED');
  });

  it('does not let a caller change a sealed frame by reusing the plaintext buffer', () => {
    const { sealer, opener } = pair();
    const plaintext = text('original');
    const frame = sealer.seal(plaintext);
    plaintext.fill(0);
    expect(new TextDecoder().decode(opener.open(frame))).toBe('original');
  });
});

describe('opening in place', () => {
  it('gives the same plaintext as open, for either AEAD', () => {
    const { sealer, opener } = pair();
    for (const size of [0, 100, CHACHA_MAX_PLAINTEXT, CHACHA_MAX_PLAINTEXT + 1, 100_000]) {
      const plaintext = randomBytes(size);
      const opened = opener.openInPlace(sealer.seal(plaintext));
      expect(Buffer.from(opened).equals(plaintext)).toBe(true);
    }
  });

  it('keeps the codes: forged, replayed (a fresh copy), reordered', () => {
    for (const size of [10, CHACHA_MAX_PLAINTEXT + 10]) {
      const { key, sealer } = pair();
      const frames = [0, 1, 2].map(() => Buffer.from(sealer.seal(randomBytes(size))));
      const copy = (i: number) => Uint8Array.from(frames[i]!);
      const forged = copy(0);
      forged[forged.length - 1]! ^= 1;
      expect(codeOfThrow(() => new FrameOpener(key).openInPlace(forged))).toBe('ERR_FRAME_FORGED');
      const replaying = new FrameOpener(key);
      replaying.openInPlace(copy(0));
      expect(codeOfThrow(() => replaying.openInPlace(copy(0)))).toBe('ERR_FRAME_REPLAYED');
      const reordering = new FrameOpener(key);
      expect(codeOfThrow(() => reordering.openInPlace(copy(2)))).toBe('ERR_FRAME_REORDERED');
      expect(codeOfThrow(() => reordering.openInPlace(copy(1)))).toBe('ERR_CLOSED');
    }
  });

  it("tells a large frame cut into the small frames' range from a genuine one", () => {
    const { key, sealer } = pair();
    const large = sealer.seal(randomBytes(CHACHA_MAX_PLAINTEXT + 100));
    const cut = large.subarray(0, CHACHA_MAX_PLAINTEXT + FRAME_OVERHEAD);
    expect(codeOfThrow(() => new FrameOpener(key).openInPlace(Uint8Array.from(cut)))).toBe(
      'ERR_FRAME_FORGED',
    );
  });
});

describe('ChaCha20-Poly1305 implementations', () => {
  it('libsodium and node:crypto seal the same bytes, and each opens what the other sealed', () => {
    const key = randomBytes(32);
    const nonce = Buffer.alloc(12);
    const sodium = chachaAead(key);
    const node = nodeChachaAead(key);
    for (const size of [0, 1, 100, 4096, CHACHA_MAX_PLAINTEXT]) {
      nonce.writeUInt32BE(size, 8);
      const plaintext = randomBytes(size);
      const a = Buffer.alloc(size + FRAME_OVERHEAD);
      const b = Buffer.alloc(size + FRAME_OVERHEAD);
      a.writeUInt32BE(size, 4);
      b.writeUInt32BE(size, 4);
      sodium.seal(a, plaintext, nonce);
      node.seal(b, plaintext, nonce);
      expect(a.equals(b), `${size} bytes`).toBe(true);
      expect(Buffer.from(node.open(a, nonce, false)!).equals(plaintext)).toBe(true);
      expect(Buffer.from(sodium.open(b, nonce, true)!).equals(plaintext)).toBe(true);
      b[b.length - 1]! ^= 1;
      expect(sodium.open(b, nonce, false)).toBeUndefined();
      expect(node.open(b, nonce, false)).toBeUndefined();
    }
  });

  it('is libsodium wherever sodium-native ships a binary for this platform', () => {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('sodium-native/package.json'));
    const binary = join(
      root,
      'prebuilds',
      `${process.platform}-${process.arch}`,
      'sodium-native.node',
    );
    expect(chachaImplementation()).toBe(existsSync(binary) ? 'libsodium' : 'node:crypto');
  });
});
