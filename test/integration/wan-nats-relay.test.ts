/**
 * Two relays of one folder over a NATS server, in this process: circuits
 * between a node on relay 1 and a node on relay 2 pass the transport
 * compliance suite; a clustered relay's listener faces strangers as a
 * single relay's does; admission refuses forged passes, unknown sites and
 * tenants alike; another tenant's peer at the other relay is not there; a
 * removed tenant's bucket goes, and its name added again starts afresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { joinNatsCluster, type RelayCluster } from '../../scopes/wan/nats/cluster.ts';
import { RelayFolder } from '../../scopes/wan/registry.ts';
import { type Relay, startRelay } from '../../scopes/wan/relay-service.ts';
import { Logger, memorySink } from '../../src/index.ts';
import { RelayPass, relayTicket } from '../../src/internal.ts';
import { eventually, type NatsServers, startNatsServer } from '../streams/nats-servers.ts';
import {
  BAD_FRAMES,
  closedWithin,
  rawSocket,
  sendAndExpectCut,
  until,
  upgraded,
  wsFrame,
} from './attack-tools.ts';
import { describeTransport } from './describe-transport.ts';
import { relayContext as context, relayCircuits, relayClient } from './relay-circuits.ts';

let nats: NatsServers;
let dir: string;
let folder: RelayFolder;
const clusters: RelayCluster[] = [];
const relays: Relay[] = [];
const sink = memorySink();

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'callsign-relays-'));
  folder = new RelayFolder(dir);
  await folder.addTenant('acme');
  await folder.addTenant('umbrella');
  for (let i = 0; i < 2; i++) {
    const cluster = await joinNatsCluster({ servers: nats.urls, warn: () => {} });
    clusters.push(cluster);
    relays.push(
      await startRelay({
        dir,
        endpoint: '127.0.0.1:0',
        logger: new Logger('DEBUG', sink),
        maxPending: 8,
        handshakeMs: 1500,
        watchMs: 100,
        cluster,
      }),
    );
  }
  await folder.invite('acme', 'lab', ['ws://127.0.0.1:9/']);
  await folder.invite('umbrella', 'lab', ['ws://127.0.0.1:9/']);
  for (const r of relays) {
    await until(
      () => r.status().some((t) => t.name === 'umbrella' && t.sites.length === 1),
      10_000,
    );
  }
}, 60_000);

afterAll(async () => {
  for (const r of relays) await r.stop();
  for (const c of clusters) await c.close();
  await nats?.close();
  rmSync(dir, { recursive: true, force: true });
});

const urlOf = (r: Relay | undefined) => `ws://${r?.endpoint}/`;

/** A pass for `peer` at site `site` of `tenant`, to relay `at` (0 or 1). */
async function pass(
  tenant: string,
  site: string,
  peer: string,
  at: number,
  forged = false,
): Promise<RelayPass> {
  const t = await folder.tenant(tenant);
  const key = t?.sites.get(site)?.ticketKey ?? new Uint8Array(32);
  const ticket = relayTicket(key, tenant, site, peer);
  if (forged) ticket[0] = (ticket[0] ?? 0) ^ 1;
  return new RelayPass({ relays: [urlOf(relays[at])], tenant, site, peer, ticket });
}

let peers = 0;
describeTransport('WAN relay circuits from relay 1 to relay 2 over NATS', () => {
  const n = ++peers;
  return relayCircuits(
    () => pass('acme', 'lab', `n${n}-a`, 1),
    () => pass('acme', 'lab', `n${n}-b`, 0),
  );
});

describe('a relay of a cluster faces strangers', () => {
  const honest = async () => {
    const c = relayClient(await pass('acme', 'lab', `honest-${Date.now()}`, 0));
    await until(() => c.status().state === 'open', 10_000, 'an honest relay session');
  };

  it('cuts bytes that are not HTTP, malformed frames and a first message that is not a HELLO, and serves an honest node after', async () => {
    const at = relays[0]?.endpoint as string;
    expect(await sendAndExpectCut(at, Buffer.from('\x16\x03\x01garbage\r\n\r\n'))).toBe(true);
    expect(await sendAndExpectCut(at, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(true);
    for (const [what, frame] of Object.entries(BAD_FRAMES)) {
      const s = await upgraded(at);
      s.write(frame);
      expect(await closedWithin(s, 10_000), what).toBe(true);
    }
    const s = await upgraded(at);
    s.write(wsFrame(2, Buffer.from('not a hello at all')));
    expect(await closedWithin(s, 10_000)).toBe(true);
    await honest();
  });

  it('cuts connections never admitted, holding only so many pending', async () => {
    const at = relays[0]?.endpoint as string;
    const silent = await Promise.all(Array.from({ length: 12 }, () => rawSocket(at)));
    const closed = await Promise.all(silent.map((s) => closedWithin(s, 10_000)));
    expect(closed.every(Boolean)).toBe(true);
    expect(sink.records.some((r) => /ERR_TOO_MANY_PENDING/.test(r.text))).toBe(true);
    await honest();
  });
});

describe('admission and tenants across relays', () => {
  const refusal = async (p: RelayPass) => {
    const c = relayClient(p);
    await until(() => c.status().failure !== undefined, 10_000, 'a refusal');
    return c.status().failure?.code;
  };

  it('refuses a forged pass, an unknown site and an unknown tenant with the same code', async () => {
    expect(await refusal(await pass('acme', 'lab', 'forger', 1, true))).toBe(
      'ERR_WAN_NOT_ADMITTED',
    );
    expect(await refusal(await pass('acme', 'nowhere', 'x', 1))).toBe('ERR_WAN_NOT_ADMITTED');
    expect(await refusal(await pass('nobody', 'lab', 'x', 1))).toBe('ERR_WAN_NOT_ADMITTED');
  });

  it("carries a circuit to a peer of the tenant at the other relay, and not to another tenant's", async () => {
    const mine = relayClient(await pass('acme', 'lab', 'my-peer', 1));
    const theirs = relayClient(await pass('umbrella', 'lab', 'their-peer', 1));
    const ours = relayClient(await pass('acme', 'lab', 'our-peer', 0));
    await until(() => [mine, theirs, ours].every((c) => c.status().state === 'open'));
    const incoming = mine.listen('relay:', {
      context,
      limits: { maxConnections: 4, maxPending: 4, handshakeMs: 5000, maxFrameBytes: 1 << 20 },
      onLink: () => {},
    });
    await incoming;
    const link = await ours.dial('relay:my-peer', {
      context,
      timeoutMs: 8000,
      maxFrameBytes: 1 << 20,
    });
    expect(relays[0]?.remoteCircuits).toBe(1);
    link.close();
    await expect(
      ours.dial('relay:their-peer', { context, timeoutMs: 8000, maxFrameBytes: 1 << 20 }),
    ).rejects.toMatchObject({ code: 'ERR_NOT_AVAILABLE' });
  });

  it("deletes a removed tenant's bucket; the tenant's name added again starts from an empty one", async () => {
    const nc = await connect({ servers: [...nats.urls] });
    onTestFinished(() => nc.close());
    const kvm = new Kvm(nc);
    const buckets = async () => {
      const out: string[] = [];
      for await (const b of await kvm.list()) out.push(b.bucket);
      return out.filter((b) => b.startsWith('callsign-wan-umbrella-'));
    };
    const before = await buckets();
    expect(before).toHaveLength(1);
    await folder.removeTenant('umbrella');
    await eventually('the bucket deleted', async () => (await buckets()).length === 0);
    await folder.addTenant('umbrella');
    await eventually('a new bucket', async () => (await buckets()).length === 1);
    expect(await buckets()).not.toEqual(before);
  });
});
