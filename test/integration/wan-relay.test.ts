/**
 * The WAN relay on loopback, in this process: its circuits pass the
 * transport compliance suite; its listener survives strangers' bytes and
 * keeps serving; admission refuses unknown tenants, sites and forged passes
 * alike; a revoked site is cut while the relay runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayFolder } from '../../scopes/wan/registry.ts';
import { type Relay, startRelay } from '../../scopes/wan/relay-service.ts';
import { Logger, memorySink } from '../../src/index.ts';
import { RelayPass, relayTicket } from '../../src/internal.ts';
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

let dir: string;
let relay: Relay;
let folder: RelayFolder;
const sink = memorySink();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callsign-relay-'));
  relay = await startRelay({
    dir,
    endpoint: '127.0.0.1:0',
    logger: new Logger('DEBUG', sink),
    maxPending: 8,
    handshakeMs: 1500,
    watchMs: 100,
  });
  folder = new RelayFolder(dir);
  await folder.addTenant('acme');
  await folder.invite('acme', 'lab', relay.urls);
  await folder.addTenant('umbrella');
  await folder.invite('umbrella', 'lab', relay.urls);
  await until(
    () => relay.status().some((t) => t.name === 'umbrella' && t.sites.length === 1),
    10_000,
  );
});

afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A pass for `peer` at site `site` of `tenant`, minted as the WAN directory mints it. */
async function pass(
  tenant: string,
  site: string,
  peer: string,
  forged = false,
): Promise<RelayPass> {
  const t = await folder.tenant(tenant);
  const key = t?.sites.get(site)?.ticketKey ?? new Uint8Array(32);
  const ticket = relayTicket(key, tenant, site, peer);
  if (forged) ticket[0] = (ticket[0] ?? 0) ^ 1;
  return new RelayPass({ relays: [...relay.urls], tenant, site, peer, ticket });
}

let peers = 0;
describeTransport('WAN relay circuits', () => {
  const n = ++peers;
  return relayCircuits(
    () => pass('acme', 'lab', `p${n}-a`),
    () => pass('acme', 'lab', `p${n}-b`),
  );
});

describe('the relay listener faces strangers', () => {
  const honest = async () => {
    const c = relayClient(await pass('acme', 'lab', `honest-${Date.now()}`));
    await until(() => c.status().state === 'open', 10_000, 'an honest relay session');
  };

  it('cuts bytes that are not HTTP, and a plain request, and serves an honest node after', async () => {
    const at = relay.endpoint;
    expect(await sendAndExpectCut(at, Buffer.from('\x16\x03\x01garbage\r\n\r\n'))).toBe(true);
    expect(await sendAndExpectCut(at, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(true);
    await honest();
  });

  it('cuts malformed WebSocket frames and a first message that is not a HELLO', async () => {
    for (const [what, frame] of Object.entries(BAD_FRAMES)) {
      const s = await upgraded(relay.endpoint);
      s.write(frame);
      expect(await closedWithin(s, 10_000), what).toBe(true);
    }
    const s = await upgraded(relay.endpoint);
    s.write(wsFrame(2, Buffer.from('not a hello at all')));
    expect(await closedWithin(s, 10_000)).toBe(true);
    await honest();
  });

  it('cuts a connection that is never admitted, and holds only so many pending', async () => {
    const silent = await Promise.all(Array.from({ length: 12 }, () => rawSocket(relay.endpoint)));
    const closed = await Promise.all(silent.map((s) => closedWithin(s, 10_000)));
    expect(closed.every(Boolean)).toBe(true);
    expect(sink.records.some((r) => /ERR_TOO_MANY_PENDING/.test(r.text))).toBe(true);
    expect(sink.records.some((r) => /ERR_HANDSHAKE_TIMEOUT/.test(r.text))).toBe(true);
    await honest();
  });
});

describe('admission', () => {
  const refusal = async (p: RelayPass) => {
    const c = relayClient(p);
    await until(() => c.status().failure !== undefined, 10_000, 'a refusal');
    return c.status().failure?.code;
  };

  it('refuses a forged pass, an unknown site and an unknown tenant with the same code', async () => {
    expect(await refusal(await pass('acme', 'lab', 'forger', true))).toBe('ERR_WAN_NOT_ADMITTED');
    expect(await refusal(await pass('acme', 'nowhere', 'x'))).toBe('ERR_WAN_NOT_ADMITTED');
    expect(await refusal(await pass('nobody', 'lab', 'x'))).toBe('ERR_WAN_NOT_ADMITTED');
  });

  it("does not carry a circuit to another tenant's peer: it is not there", async () => {
    const theirs = relayClient(await pass('umbrella', 'lab', 'their-peer'));
    const ours = relayClient(await pass('acme', 'lab', 'our-peer'));
    await until(() => theirs.status().state === 'open' && ours.status().state === 'open');
    await expect(
      ours.dial('relay:their-peer', { context, timeoutMs: 8000, maxFrameBytes: 1 << 20 }),
    ).rejects.toMatchObject({
      code: 'ERR_NOT_AVAILABLE',
    });
  });

  it('cuts the sessions of a site revoked while the relay runs', async () => {
    await folder.invite('acme', 'temp', relay.urls);
    await until(() => relay.status().some((t) => t.name === 'acme' && t.sites.includes('temp')));
    const c = relayClient(await pass('acme', 'temp', 'temp-peer'));
    await until(() => c.status().state === 'open', 10_000, 'the session');
    await folder.revoke('acme', 'temp');
    await until(() => c.status().failure?.code === 'ERR_WAN_NOT_ADMITTED', 10_000, 'the cut');
  });
});
