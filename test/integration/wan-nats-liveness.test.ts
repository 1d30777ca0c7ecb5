/**
 * Relays of a cluster keep liveness of each other, and of their NATS
 * connection. A relay process killed with SIGKILL: the circuits that led to
 * it from the other relay end at once (the nodes hold no keep-alive of
 * their own here, so nothing else would end them), and the relay started
 * again is used again. The NATS server stopped under two relays: circuits
 * between sessions of one relay go on, those across relays end and new ones
 * are refused with ERR_WAN_NATS, and with the server back they open again.
 * A peer with sessions at two relays is reached at one of them, and the
 * circuit the other opened does not stay behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { joinNatsCluster, type RelayCluster } from '../../scopes/wan/nats/cluster.ts';
import { RelayFolder } from '../../scopes/wan/registry.ts';
import { type Relay, startRelay } from '../../scopes/wan/relay-service.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { type Link, Logger, memorySink } from '../../src/index.ts';
import { type RelayClient, RelayPass, relayTicket } from '../../src/internal.ts';
import { cliProject } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { until } from '../helpers/until.ts';
import { eventually, type NatsServers, startNatsServer } from '../streams/nats-servers.ts';
import { relayContext as context, relayClient } from './relay-circuits.ts';

let nats: NatsServers;
let dir: string;
let folder: RelayFolder;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'callsign-liveness-'));
  folder = new RelayFolder(dir);
  await folder.addTenant('acme');
  await folder.invite('acme', 'lab', ['ws://127.0.0.1:9/']);
}, 30_000);

afterAll(async () => {
  await nats?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A relay of the folder in this process, over the NATS server, stopped after the test. */
async function relayHere(): Promise<Relay> {
  const cluster: RelayCluster = await joinNatsCluster({ servers: nats.urls, warn: () => {} });
  const relay = await startRelay({
    dir,
    endpoint: '127.0.0.1:0',
    logger: new Logger('DEBUG', memorySink()),
    watchMs: 100,
    cluster,
  });
  onTestFinished(async () => {
    await relay.stop();
    await cluster.close();
  });
  return relay;
}

async function pass(peer: string, url: string): Promise<RelayPass> {
  const key = (await folder.tenant('acme'))?.sites.get('lab')?.ticketKey ?? new Uint8Array(32);
  const ticket = relayTicket(key, 'acme', 'lab', peer);
  return new RelayPass({ relays: [url], tenant: 'acme', site: 'lab', peer, ticket });
}

/** A relay client of `peer` at `url` that accepts circuits, once its session is open. */
async function nodeAt(peer: string, url: string): Promise<RelayClient> {
  const c = relayClient(await pass(peer, url));
  await until(() => c.status().state === 'open', 15_000, `${peer}'s relay session`);
  await c.listen('relay:', {
    context,
    limits: { maxConnections: 8, maxPending: 8, handshakeMs: 5000, maxFrameBytes: 1 << 16 },
    onLink: () => {},
  });
  return c;
}

const dialOnce = (from: RelayClient, peer: string) =>
  from.dial(`relay:${peer}`, { context, timeoutMs: 5000, maxFrameBytes: 1 << 16 });

/** A circuit from `from` to `peer`, tried again until `ms` have passed. */
async function dialUntil(from: RelayClient, peer: string, ms = 15_000): Promise<Link> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await dialOnce(from, peer);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The code `link` ended with, or a failure when it did not end within `ms`. */
async function endedWith(link: Link, ms: number, what: string): Promise<ErrorCode> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  try {
    return (await Promise.race([link.closed(), late])).code;
  } finally {
    clearTimeout(timer);
  }
}

describe('relays of a cluster keep liveness of each other', () => {
  it('ends the circuits to a relay killed with SIGKILL at once, and uses the relay again when it is back', async () => {
    const p = cliProject();
    const port = await freePort();
    const url1 = `ws://127.0.0.1:${port}/`;
    const serve = [
      'wan',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--url',
      url1,
      '--nats',
      nats.urls.join(','),
      '--dir',
      dir,
    ];
    let relay1 = p.start(serve);
    await relay1.waitFor(/reached at ws:/, 30_000);
    const relay2 = await relayHere();
    const a = await nodeAt('peer-a', url1);
    const b = await nodeAt('peer-b', `ws://${relay2.endpoint}/`);
    const link = await dialUntil(b, 'peer-a');
    expect(relay2.remoteCircuits).toBe(1);

    relay1.child.kill('SIGKILL');
    await relay1.done;
    // Far shorter than any keep-alive would take; here there is none at all.
    expect(await endedWith(link, 10_000, 'the circuit to the killed relay')).toBe(
      'ERR_CONNECTION_LOST',
    );
    await until(() => relay2.remoteCircuits === 0, 5000, 'the circuit released at relay 2');

    relay1 = p.start(serve);
    await relay1.waitFor(/reached at ws:/, 30_000);
    await until(() => a.status().state === 'open', 20_000, "peer-a's session at relay 1 again");
    const again = await dialUntil(b, 'peer-a');
    expect(again.isClosed).toBe(false);
    expect(relay2.remoteCircuits).toBe(1);
    again.close();
    relay1.child.kill('SIGKILL');
    await relay1.done;
  }, 90_000);
});

describe('a peer with sessions at two relays', () => {
  it('is reached at one of them; the circuit the other opened is released there, and both go when it closes', async () => {
    const [r1, r2, r3] = [await relayHere(), await relayHere(), await relayHere()];
    const x = await nodeAt('peer-x', `ws://${r1?.endpoint}/`);
    await nodeAt('peer-twice', `ws://${r2?.endpoint}/`);
    await nodeAt('peer-twice', `ws://${r3?.endpoint}/`);
    const link = await dialUntil(x, 'peer-twice');
    expect(r1?.remoteCircuits).toBe(1);
    await until(
      () => (r2?.remoteCircuits ?? 0) + (r3?.remoteCircuits ?? 0) === 1,
      5000,
      'one circuit kept at the two relays of the peer',
    );
    link.close();
    await until(
      () => [r1, r2, r3].every((r) => r?.remoteCircuits === 0),
      5000,
      'the circuit released on every relay',
    );
  }, 30_000);
});

describe('a relay that loses its NATS server', () => {
  it('keeps its own circuits, ends and refuses those across relays with ERR_WAN_NATS, and opens them again when NATS is back', async () => {
    const r1 = await relayHere();
    const r2 = await relayHere();
    const x = await nodeAt('peer-x', `ws://${r1.endpoint}/`);
    await nodeAt('peer-y', `ws://${r1.endpoint}/`);
    await nodeAt('peer-z', `ws://${r2.endpoint}/`);
    const local = await dialUntil(x, 'peer-y');
    const across = await dialUntil(x, 'peer-z');

    const server = nats.servers[0];
    if (!server) throw new Error('no NATS server');
    await server.stop();
    expect(await endedWith(across, 10_000, 'the circuit across relays')).toBe('ERR_WAN_NATS');
    await expect(dialOnce(x, 'peer-z')).rejects.toMatchObject({ code: 'ERR_WAN_NATS' });
    expect(local.isClosed).toBe(false);
    const local2 = await dialOnce(x, 'peer-y');
    expect(local2.isClosed).toBe(false);

    await server.start();
    const back = await dialUntil(x, 'peer-z', 30_000);
    expect(back.isClosed).toBe(false);
    expect(r1.remoteCircuits).toBe(1);
    expect(local.isClosed).toBe(false);
  }, 60_000);

  it("keeps watching the tenant's bucket across the server's restart, so other relays' entries come back", async () => {
    const server = nats.servers[0];
    if (!server) throw new Error('no NATS server');
    const here: RelayCluster = await joinNatsCluster({ servers: nats.urls, warn: () => {} });
    const there: RelayCluster = await joinNatsCluster({ servers: nats.urls, warn: () => {} });
    onTestFinished(async () => {
      await here.close();
      await there.close();
    });
    const seen = new Map<string, string>();
    const state = await here.store.tenant('watched', 'g1');
    await state.watch((key, value) => {
      seen.set(key, value ? Buffer.from(value).toString() : '');
    });
    const theirs = await there.store.tenant('watched', 'g1');
    await theirs.put('b.at', Buffer.from('before'));
    await until(() => seen.get('b.at') === 'before', 10_000, 'the entry before the restart');
    await server.stop();
    await server.start();
    await eventually(
      'the entry written after the restart',
      async () => {
        await theirs.put('b.at', Buffer.from('after')).catch(() => {});
        return seen.get('b.at') === 'after';
      },
      20_000,
    );
  }, 40_000);
});
