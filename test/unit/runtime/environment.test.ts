import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configureTransport,
  createRealm,
  directoryFromEnvironment,
  Node,
  transportFromEnvironment,
} from '../../../src/index.ts';
import { localIdentity, prepareTransport } from '../../../src/transport/transport.ts';
import { serializeRealm } from '../../../src/wire/realm.ts';

describe('what createNode reads from the environment (the only library code that does)', () => {
  it('takes the realm file from CALLSIGN_REALM, else XDG_CONFIG_HOME, else HOME', () => {
    expect(transportFromEnvironment({ CALLSIGN_REALM: 'here/realm.json', HOME: '/h' })).toEqual({
      realmFile: resolve('here/realm.json'),
    });
    expect(transportFromEnvironment({ XDG_CONFIG_HOME: '/x', HOME: '/h' }).realmFile).toBe(
      join('/x', 'callsign', 'realm.json'),
    );
    // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
    expect(transportFromEnvironment({ XDG_CONFIG_HOME: 'x', HOME: '/h' }).realmFile).toBe(
      join('/h', '.config', 'callsign', 'realm.json'),
    );
  });

  it('takes the node key file from CALLSIGN_NODE_KEYS, and none when it is empty', () => {
    expect(transportFromEnvironment({ CALLSIGN_NODE_KEYS: '/k/a.json', HOME: '/h' }).keysFile).toBe(
      '/k/a.json',
    );
    expect('keysFile' in transportFromEnvironment({ CALLSIGN_NODE_KEYS: '', HOME: '/h' })).toBe(
      false,
    );
  });

  it('takes the directory above from CALLSIGN_GROUP before CALLSIGN_HOST, and none with CALLSIGN_NO_HOST=1', () => {
    expect(
      directoryFromEnvironment(
        { CALLSIGN_GROUP: 'unix:/g.sock', CALLSIGN_HOST: 'unix:/h.sock' },
        'p',
      ).parent,
    ).toBe('unix:/g.sock');
    expect(directoryFromEnvironment({ CALLSIGN_HOST: 'unix:/h.sock' }, 'p').parent).toBe(
      'unix:/h.sock',
    );
    expect(directoryFromEnvironment({ CALLSIGN_NO_HOST: '1' }, 'p').parent).toBeNull();
    expect(directoryFromEnvironment({ CALLSIGN_ROLE: 'sensor-1' }, 'p').where).toMatch(
      /^sensor-1 \(pid \d+\)$/,
    );
  });
});

describe('prepareTransport: the identity read and the handshake warmed before main runs', () => {
  it('creates no realm file where there is none, and later connects still work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsign-prepare-'));
    try {
      const node = new Node({ name: 'prepared' });
      const realmFile = join(dir, 'realm.json');
      configureTransport(node, { realmFile });
      await prepareTransport(node);
      expect(existsSync(realmFile)).toBe(false);
      // The identity is still made at first use, as before.
      expect((await localIdentity(node)).nodeId).toMatch(/^[a-z2-7]{16}$/);
      expect(existsSync(realmFile)).toBe(true);
      await node.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an existing realm once, and leaves a bad realm file to the first use to report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsign-prepare-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, serializeRealm(createRealm('prepared')), { mode: 0o600 });
      const node = new Node({ name: 'prepared' });
      configureTransport(node, { realmFile: good });
      await prepareTransport(node);
      rmSync(good);
      // Read at preparation: the file is not needed any more.
      expect((await localIdentity(node)).nodeId).toMatch(/^[a-z2-7]{16}$/);
      expect(existsSync(good)).toBe(false);
      await node.stop();

      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{ not a realm', { mode: 0o600 });
      const other = new Node({ name: 'bad-realm' });
      configureTransport(other, { realmFile: bad });
      await expect(prepareTransport(other)).resolves.toBeUndefined();
      await expect(localIdentity(other)).rejects.toMatchObject({ code: 'ERR_INVALID_REALM' });
      await other.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
