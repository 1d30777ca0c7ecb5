import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type ErrorCode, isCallsignError } from '../../../src/errors.ts';
import {
  createRealm,
  loadOrCreateRealm,
  parseRealm,
  type Realm,
  realmFingerprint,
  resolveRealmPath,
  serializeRealm,
} from '../../../src/wire/index.ts';

function codeOfThrow(f: () => unknown): ErrorCode | 'no error' | 'not a CallsignError' {
  try {
    f();
  } catch (err) {
    return isCallsignError(err) ? err.code : 'not a CallsignError';
  }
  return 'no error';
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'callsign-realm-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const same = (a: Realm, b: Realm) =>
  a.name === b.name && Buffer.from(a.secret).equals(Buffer.from(b.secret));

describe('realm', () => {
  it('creates realms with 32 fresh random secret bytes', () => {
    const a = createRealm('lab');
    const b = createRealm('lab');
    expect(a.name).toBe('lab');
    expect(a.secret.byteLength).toBe(32);
    expect(same(a, b)).toBe(false);
  });

  it('refuses bad names with ERR_INVALID_REALM', () => {
    for (const name of ['', 'x'.repeat(129), 'tab\there', 'nul\u0000', 'del\u007f', 42]) {
      expect(
        codeOfThrow(() => createRealm(name as string)),
        String(name),
      ).toBe('ERR_INVALID_REALM');
    }
    expect(createRealm('x'.repeat(128)).name).toHaveLength(128);
    expect(createRealm('équipe été · 東京').name).toBe('équipe été · 東京');
  });

  it('fingerprints a realm by its secret, without revealing it', () => {
    const realm = createRealm('lab');
    const fingerprint = realmFingerprint(realm);
    expect(fingerprint).toMatch(/^[a-z2-7]{26}$/);
    expect(realmFingerprint({ name: 'renamed', secret: realm.secret })).toBe(fingerprint);
    expect(realmFingerprint(createRealm('lab'))).not.toBe(fingerprint);
    // The documented construction: HMAC-SHA256(secret, label), first 16 bytes, base32.
    const mac = createHmac('sha256', new Uint8Array(32))
      .update('callsign realm fingerprint v1')
      .digest();
    const zero = realmFingerprint({ name: 'zero', secret: new Uint8Array(32) });
    expect(zero).toBe(base32(mac.subarray(0, 16)));
  });

  it('round-trips through the realm file format', () => {
    const realm = createRealm('lab');
    const text = serializeRealm(realm);
    expect(JSON.parse(text)).toEqual({
      kind: 'callsign-realm',
      version: 1,
      name: 'lab',
      secret: Buffer.from(realm.secret).toString('base64'),
    });
    expect(same(parseRealm(text), realm)).toBe(true);
  });

  it('rejects malformed realm files with ERR_INVALID_REALM', () => {
    const good = JSON.parse(serializeRealm(createRealm('lab')));
    const bad: unknown[] = [
      '',
      'not json',
      '[]',
      'null',
      '"realm"',
      { ...good, kind: 'callsign-node-key' },
      { ...good, version: '1' },
      { ...good, name: '' },
      { ...good, name: 7 },
      { ...good, name: 'line\nbreak' },
      { ...good, secret: undefined },
      { ...good, secret: Buffer.alloc(16).toString('base64') },
      { ...good, secret: Buffer.alloc(33).toString('base64') },
      { ...good, secret: `${good.secret.slice(0, -4)}!!!!` },
      { ...good, secret: ` ${good.secret}` },
    ];
    for (const file of bad) {
      const text = typeof file === 'string' ? file : JSON.stringify(file);
      expect(
        codeOfThrow(() => parseRealm(text)),
        text,
      ).toBe('ERR_INVALID_REALM');
    }
  });

  it('creates a realm file with mode 0600, then loads the same realm', async () => {
    const dir = await tempDir();
    const path = join(dir, 'callsign', 'realm.json');
    const created = await loadOrCreateRealm(path, { name: 'home' });
    expect(created.name).toBe('home');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'callsign'))).mode & 0o777).toBe(0o700);
    expect(same(await loadOrCreateRealm(path), created)).toBe(true);
    expect(same(await loadOrCreateRealm(path, { name: 'ignored' }), created)).toBe(true);
  });

  it('names a new realm "default" unless told otherwise', async () => {
    const dir = await tempDir();
    expect((await loadOrCreateRealm(join(dir, 'realm.json'))).name).toBe('default');
  });

  it('puts every racing process in the same realm', async () => {
    const dir = await tempDir();
    const path = join(dir, 'realm.json');
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateRealm(path)));
    expect(new Set(all.map(realmFingerprint)).size).toBe(1);
    expect(await readdir(dir)).toEqual(['realm.json']);
  });

  it('never overwrites an invalid realm file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'realm.json');
    await writeFile(path, 'garbage');
    await expect(loadOrCreateRealm(path)).rejects.toMatchObject({ code: 'ERR_INVALID_REALM' });
    expect(await readFile(path, 'utf8')).toBe('garbage');
  });

  it('resolves the realm path from CALLSIGN_REALM, XDG_CONFIG_HOME or ~/.config', () => {
    expect(resolveRealmPath({ CALLSIGN_REALM: '/etc/lab/realm.json', XDG_CONFIG_HOME: '/x' })).toBe(
      '/etc/lab/realm.json',
    );
    expect(resolveRealmPath({ CALLSIGN_REALM: 'rel/realm.json' })).toBe(resolve('rel/realm.json'));
    expect(resolveRealmPath({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/u' })).toBe(
      '/cfg/callsign/realm.json',
    );
    expect(resolveRealmPath({ CALLSIGN_REALM: '', HOME: '/home/u' })).toBe(
      '/home/u/.config/callsign/realm.json',
    );
    // A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    expect(resolveRealmPath({ XDG_CONFIG_HOME: 'cfg', HOME: '/home/u' })).toBe(
      '/home/u/.config/callsign/realm.json',
    );
    expect(resolveRealmPath({})).toBe(join(homedir(), '.config', 'callsign', 'realm.json'));
  });
});

function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5)
    out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}
