import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ErrorCode, isCallsignError } from '../../../src/errors.ts';
import {
  decodeNodeKeys,
  encodeNodeKeys,
  generateNodeKeys,
  loadOrCreateNodeKeys,
  nodeId,
} from '../../../src/wire/index.ts';
import { keyPairFromSeed, signDetached } from '../../../src/wire/signature.ts';

function codeOfThrow(f: () => unknown): ErrorCode | 'no error' | 'not a CallsignError' {
  try {
    f();
  } catch (err) {
    return isCallsignError(err) ? err.code : 'not a CallsignError';
  }
  return 'no error';
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-keys-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('node keys', () => {
  it('generates Ed25519 key pairs in tweetnacl form', () => {
    const keys = generateNodeKeys();
    expect(keys.publicKey.byteLength).toBe(32);
    expect(keys.secretKey.byteLength).toBe(64);
    expect(Buffer.from(keys.secretKey.subarray(32)).equals(Buffer.from(keys.publicKey))).toBe(true);
    expect(Buffer.from(generateNodeKeys().publicKey).equals(Buffer.from(keys.publicKey))).toBe(
      false,
    );
  });

  it('derives the same key pair from a seed as tweetnacl, and signs alike', () => {
    for (let i = 0; i < 20; i++) {
      const seed = new Uint8Array(32).map((_, k) => (k * 37 + i * 101) & 0xff);
      const ours = keyPairFromSeed(seed);
      const theirs = nacl.sign.keyPair.fromSeed(seed);
      expect(Buffer.from(ours.publicKey).equals(Buffer.from(theirs.publicKey))).toBe(true);
      expect(Buffer.from(ours.secretKey).equals(Buffer.from(theirs.secretKey))).toBe(true);
      const message = new TextEncoder().encode(`message ${i}`);
      expect(
        Buffer.from(signDetached(message, ours.secretKey)).equals(
          Buffer.from(nacl.sign.detached(message, theirs.secretKey)),
        ),
      ).toBe(true);
    }
    const fresh = generateNodeKeys();
    expect(nacl.sign.keyPair.fromSecretKey(fresh.secretKey).publicKey).toEqual(fresh.publicKey);
  });

  it('gives a stable 16-character base32 nodeId from the SHA-256 of the public key', () => {
    const zero = new Uint8Array(32);
    // SHA-256(32 zero bytes) = 66687aadf862bd776c8fc18b8e9f8e20...; its first
    // 10 bytes in RFC 4648 base32, lowercase.
    expect(createHash('sha256').update(zero).digest('hex').slice(0, 20)).toBe(
      '66687aadf862bd776c8f',
    );
    expect(nodeId(zero)).toBe('mzuhvlpymk6xo3ep');
    const keys = generateNodeKeys();
    expect(nodeId(keys.publicKey)).toBe(nodeId(Uint8Array.from(keys.publicKey)));
    expect(nodeId(keys.publicKey)).toMatch(/^[a-z2-7]{16}$/);
    expect(nodeId(keys.publicKey)).not.toBe(nodeId(generateNodeKeys().publicKey));
  });

  it('refuses a public key of the wrong length in nodeId', () => {
    expect(codeOfThrow(() => nodeId(new Uint8Array(31)))).toBe('ERR_INVALID_KEY');
  });

  it('round-trips through the key file format', () => {
    const keys = generateNodeKeys();
    const text = encodeNodeKeys(keys);
    const file = JSON.parse(text);
    expect(file).toEqual({
      kind: 'callsign-node-key',
      version: 1,
      publicKey: Buffer.from(keys.publicKey).toString('base64'),
      seed: Buffer.from(keys.secretKey.subarray(0, 32)).toString('base64'),
    });
    const back = decodeNodeKeys(text);
    expect(Buffer.from(back.publicKey).equals(Buffer.from(keys.publicKey))).toBe(true);
    expect(Buffer.from(back.secretKey).equals(Buffer.from(keys.secretKey))).toBe(true);
  });

  it('rejects malformed key files with ERR_INVALID_KEY', () => {
    const keys = generateNodeKeys();
    const good = JSON.parse(encodeNodeKeys(keys));
    const other = JSON.parse(encodeNodeKeys(generateNodeKeys()));
    const bad: unknown[] = [
      'not json',
      '[]',
      'null',
      '42',
      { ...good, kind: 'something-else' },
      { ...good, version: 2 },
      { ...good, seed: undefined },
      { ...good, seed: 42 },
      { ...good, seed: 'not base64!' },
      { ...good, seed: Buffer.alloc(31).toString('base64') },
      { ...good, seed: `${good.seed}AAAA` },
      { ...good, seed: good.seed.replace(/=*$/, '') }, // not canonical (padding)
      { ...good, publicKey: Buffer.alloc(33).toString('base64') },
      { ...good, publicKey: other.publicKey }, // does not match the seed
    ];
    for (const file of bad) {
      const text = typeof file === 'string' ? file : JSON.stringify(file);
      expect(
        codeOfThrow(() => decodeNodeKeys(text)),
        text,
      ).toBe('ERR_INVALID_KEY');
    }
  });

  it('refuses to encode a malformed key pair', () => {
    const keys = generateNodeKeys();
    expect(
      codeOfThrow(() =>
        encodeNodeKeys({ publicKey: keys.publicKey, secretKey: new Uint8Array(64) }),
      ),
    ).toBe('ERR_INVALID_KEY');
  });

  it('creates a key file with mode 0600 in a new 0700 directory, then loads the same keys', async () => {
    const dir = await tempDir();
    const path = join(dir, 'nested', 'node-key.json');
    const created = await loadOrCreateNodeKeys(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    const loaded = await loadOrCreateNodeKeys(path);
    expect(nodeId(loaded.publicKey)).toBe(nodeId(created.publicKey));
    expect(Buffer.from(loaded.secretKey).equals(Buffer.from(created.secretKey))).toBe(true);
    expect(await readdir(join(dir, 'nested'))).toEqual(['node-key.json']);
  });

  it('gives every racing creator the same keys', async () => {
    const dir = await tempDir();
    const path = join(dir, 'node-key.json');
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateNodeKeys(path)));
    expect(new Set(all.map((keys) => nodeId(keys.publicKey))).size).toBe(1);
    expect(await readdir(dir)).toEqual(['node-key.json']);
  });

  it('never overwrites an invalid key file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'node-key.json');
    await writeFile(path, '{"kind":"callsign-node-key"}');
    await expect(loadOrCreateNodeKeys(path)).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    expect(await readFile(path, 'utf8')).toBe('{"kind":"callsign-node-key"}');
  });

  it('honours an aborted signal', async () => {
    const dir = await tempDir();
    await expect(
      loadOrCreateNodeKeys(join(dir, 'k.json'), { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readdir(dir)).toEqual([]);
  });
});
