import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ActorContext,
  configureTransport,
  connectionCount,
  createRealm,
  directoryFromEnvironment,
  generateNodeKeys,
  Listening,
  listen,
  Node,
  runNode,
  Stop,
  transportFromEnvironment,
  transportStatus,
} from '../../../src/index.ts';
import { directoryService, Sync, SyncComplete } from '../../../src/internal.ts';
import { localIdentity, prepareTransport } from '../../../src/transport/transport.ts';
import { serializeRealm } from '../../../src/wire/realm.ts';
import { until } from '../../helpers/until.ts';

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
      expect(await prepareTransport(node)).toBe(false);
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
      expect(await prepareTransport(node)).toBe(true);
      rmSync(good);
      // Read at preparation: the file is not needed any more.
      expect((await localIdentity(node)).nodeId).toMatch(/^[a-z2-7]{16}$/);
      expect(existsSync(good)).toBe(false);
      await node.stop();

      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{ not a realm', { mode: 0o600 });
      const other = new Node({ name: 'bad-realm' });
      configureTransport(other, { realmFile: bad });
      await expect(prepareTransport(other)).resolves.toBe(false);
      await expect(localIdentity(other)).rejects.toMatchObject({ code: 'ERR_INVALID_REALM' });
      await other.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A process for runNode that keeps what it prints. */
function quietProcess(env: NodeJS.ProcessEnv) {
  return {
    argv: [],
    env,
    stdout: { write() {} },
    stderr: { write() {} },
    onSignal: () => () => {},
  };
}

/**
 * Writes a realm file in `dir`, runs a host directory on `host` at a unix
 * socket there, and gives the environment a node needs to join it.
 */
async function startHostDirectory(
  host: Node,
  dir: string,
  realmName: string,
): Promise<{ CALLSIGN_REALM: string; CALLSIGN_HOST: string }> {
  const realm = createRealm(realmName);
  const realmFile = join(dir, 'realm.json');
  writeFileSync(realmFile, serializeRealm(realm), { mode: 0o600 });
  const endpoint = `unix:${join(dir, 'host.sock')}`;
  configureTransport(host, { realm, keys: generateNodeKeys() });
  await new Promise<string>((resolve) => {
    host.spawn(directoryService, { level: 'host', endpoint, onListening: resolve });
  });
  return { CALLSIGN_REALM: realmFile, CALLSIGN_HOST: endpoint };
}

describe('createNode connects to the directory above at start', () => {
  it('before main publishes anything, and starts when none answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsign-early-'));
    const host = new Node({ name: 'host' });
    try {
      const env = await startHostDirectory(host, dir, 'early');
      // Main publishes nothing: the host directory still sees this node connect.
      const connected = runNode(
        async () => {
          await until(() => connectionCount(host) >= 1, 10_000, 'a connection at the host');
          return 'connected';
        },
        { name: 'early' },
        quietProcess(env),
      );
      expect(await connected).toBe(0);
      // No directory answers: main runs at once all the same.
      const alone = runNode(
        async () => 'ran',
        { name: 'alone' },
        quietProcess({
          ...env,
          CALLSIGN_HOST: `unix:${join(dir, 'nobody.sock')}`,
        }),
      );
      expect(await alone).toBe(0);
    } finally {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createNode starts main once its node is reachable', () => {
  it('main finds the node listening and connected above; a directory that never answers delays it only by reachableMs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsign-reachable-'));
    const host = new Node({ name: 'host' });
    const silent: Socket[] = [];
    let given = false;
    const mute = createServer((socket) => {
      silent.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        given = true;
      });
    });
    try {
      const env = await startHostDirectory(host, dir, 'reachable');
      // Looked at in main's first turn, before it could publish anything.
      let seen: { above: number; listeners: number } | undefined;
      const code = await runNode(
        async (self) => {
          seen = {
            above: connectionCount(host),
            listeners: transportStatus(self.node).listeners.length,
          };
          return 'seen';
        },
        { name: 'reachable' },
        quietProcess(env),
      );
      expect(code).toBe(0);
      expect(seen).toEqual({ above: 1, listeners: 1 });
      // A socket that accepts and never answers: main starts after the bound all the same.
      const mutePath = join(dir, 'mute.sock');
      await new Promise<void>((resolve) => mute.listen(mutePath, resolve));
      let early: boolean | undefined;
      const alone = await runNode(
        async () => {
          // The node has not given up on the silent directory yet (its handshake deadline is seconds).
          early = silent.length === 1 && !given;
          return 'ran';
        },
        { name: 'mute', reachableMs: 50 },
        quietProcess({ ...env, CALLSIGN_HOST: `unix:${mutePath}` }),
      );
      expect(alone).toBe(0);
      expect(early).toBe(true);
    } finally {
      for (const s of silent) s.destroy();
      mute.close();
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createNode starts main once the directory above holds the node', () => {
  it("waits for the directory's SyncComplete, not only for the connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsign-synced-'));
    const above = new Node({ name: 'slow-directory' });
    try {
      const realm = createRealm('synced');
      const realmFile = join(dir, 'realm.json');
      writeFileSync(realmFile, serializeRealm(realm), { mode: 0o600 });
      configureTransport(above, { realm, keys: generateNodeKeys() });
      // A directory above that answers the node's Sync late; the flag is set as it answers.
      let answered = false;
      const endpoint = await new Promise<string>((resolve) => {
        above.spawn(async (self: ActorContext) => {
          listen(self, `unix:${join(dir, 'above.sock')}`);
          for (;;) {
            const m = await self.select();
            if (m instanceof Stop) return;
            if (m instanceof Listening) resolve(m.endpoint);
            const from = self.returnAddress;
            if (m instanceof Sync && from) {
              self.node.clock.after(50, () => {
                answered = true;
                above.send(new SyncComplete({ level: 'host' }), from, self.address);
              });
            }
          }
        });
      });
      let seen: boolean | undefined;
      const code = await runNode(
        async () => {
          seen = answered;
          return 'seen';
        },
        { name: 'synced', reachableMs: 10_000 },
        quietProcess({ CALLSIGN_REALM: realmFile, CALLSIGN_HOST: endpoint }),
      );
      expect(code).toBe(0);
      expect(seen).toBe(true);
    } finally {
      await above.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
