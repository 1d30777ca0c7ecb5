/**
 * The WAN scope in a simulated internet (test/helpers/wan-netns.ts): two
 * sites behind NAT routers and a public relay. Sites connect out only; a
 * name published at one is found from the other through the relay, which
 * never sees a message's plaintext; a public host is reached directly;
 * tenants do not see each other; relay loss and an uplink cut end in
 * Dropped and heal by themselves; 5 % loss on the public network still
 * converges.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { CALLSIGN_BIN } from '../helpers/cli.ts';
import type { LanProgram } from '../helpers/netns.ts';
import { PUBLIC_ADDRESS, startWan, type Wan } from '../helpers/wan-netns.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';
const RELAY_URL = `ws://${PUBLIC_ADDRESS.relay}:7600/`;

const callsign = (args: string[], cwd: string) =>
  promisify(execFile)(process.execPath, [CALLSIGN_BIN, ...args], { cwd });

function count(p: LanProgram, pattern: RegExp): number {
  return p.stderr.split('\n').filter((l) => pattern.test(l)).length;
}

/** Waits until `p` has logged `pattern` `n` times. */
async function waitForCount(p: LanProgram, pattern: RegExp, n: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (count(p, pattern) < n) {
    if (Date.now() > deadline) {
      // What happened to the sessions, without the steady stream of welcomes.
      const events = p.stderr.split('\n').filter((l) => !/ - welcome from /.test(l));
      throw new Error(
        `${pattern} ${n} times in ${p.host}: only ${count(p, pattern)}\n${events.slice(-40).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let wan: Wan;
let dir: string;
let realm: string;
let relay: LanProgram;

const startRelay = () => {
  relay = wan.startLasting('relay', 'bin/callsign.js', [
    'wan',
    'serve',
    '--dir',
    join(dir, 'relay'),
    '--listen',
    `${PUBLIC_ADDRESS.relay}:7600`,
    '--record',
    join(dir, 'record.bin'),
  ]);
  return relay.waitFor(/relay listening at/, 20_000);
};

/** A site: a host directory under the WAN directory, on `host`, with `access`. */
const site = (host: string, name: string, access: string, realmFile = realm) => {
  mkdirSync(join(dir, name), { recursive: true });
  const env = {
    CALLSIGN_REALM: realmFile,
    CALLSIGN_HOST: `unix:${join(dir, name, 'host.sock')}`,
  };
  const directory = wan.startLasting(host, HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
    ...env,
    CALLSIGN_WAN: join(dir, access),
  });
  const start = (file: string, args: string[]) =>
    wan.lan.startProgram(host, file, ['--debug-level=CONSOLE', ...args], env);
  const startLasting = (file: string, args: string[]) =>
    wan.startLasting(host, file, ['--debug-level=CONSOLE', ...args], env);
  return { directory, start, startLasting };
};

beforeAll(async () => {
  wan = await startWan();
  dir = mkdtempSync(join(tmpdir(), 'callsign-wan-'));
  realm = join(dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('weather')), { mode: 0o600 });
  const d = ['--dir', join(dir, 'relay')];
  await callsign(['wan', 'tenant', 'add', 'acme', ...d], dir);
  await callsign(['wan', 'tenant', 'add', 'umbrella', ...d], dir);
  for (const [tenant, s] of [
    ['acme', 'a'],
    ['acme', 'b'],
    ['acme', 'pub'],
    ['umbrella', 'u'],
  ] as const) {
    await callsign(
      [
        'wan',
        'invite',
        tenant,
        '--site',
        s,
        '--url',
        RELAY_URL,
        '--out',
        `${tenant}-${s}.json`,
        ...d,
      ],
      dir,
    );
  }
  await startRelay();
}, 60_000);

afterAll(async () => {
  await wan?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the WAN scope across two NATed sites and a public relay', () => {
  let a: ReturnType<typeof site>;
  let b: ReturnType<typeof site>;
  let watch: LanProgram;
  let pub: ReturnType<typeof site>;
  let pubStation: LanProgram;

  // Started outside any test, so that they live through all of them.
  beforeAll(async () => {
    a = site('a1', 'a', 'acme-a.json');
    b = site('b1', 'b', 'acme-b.json');
    await a.directory.waitFor(/connected to the directory above/, 20_000);
    await b.directory.waitFor(/connected to the directory above/, 20_000);
    await a
      .startLasting(PUBLISHER, ['--name=station-a', '--scope=wan'])
      .waitFor(/published station-a/);
    watch = b.startLasting(WATCH, ['--search=/station-.*/', '--scope=wan', '--hello']);
    pub = site('pub', 'pub', 'acme-pub.json');
    pubStation = pub.startLasting(PUBLISHER, ['--name=station-p', '--scope=wan']);
  }, 60_000);

  it('finds a station at site A from site B by a regular expression through the relay, and talks to it', async () => {
    await watch.waitFor(/- available station-a wan/, 20_000);
    await waitForCount(watch, /welcome from a1/, 3);
    // The site hosts are behind NAT: nothing on the public network reaches them.
    const probe = await wan.lan.run('relay', [
      process.execPath,
      '-e',
      "require('net').connect(22,'10.81.0.2').on('error',e=>{console.log(e.code);process.exit(0)}).on('connect',()=>{console.log('reached');process.exit(0)})",
    ]);
    expect(probe.stdout.trim()).not.toBe('reached');
  });

  it('forwards only sealed bytes: none of the messages or names appear in what the relay read', async () => {
    await waitForCount(watch, /welcome from a1/, 6);
    const status = JSON.parse(readFileSync(join(dir, 'relay', 'status.json'), 'utf8'));
    expect(status.forwardedBytes).toBeGreaterThan(0);
    const seen = readFileSync(join(dir, 'record.bin'));
    expect(seen.length).toBeGreaterThan(status.forwardedBytes / 2);
    for (const plain of ['welcome lab', 'station-a', 'weather']) {
      expect(seen.includes(Buffer.from(plain))).toBe(false);
    }
  });

  it('reaches a host with a public address directly, not through the relay', async () => {
    await pub.directory.waitFor(/other sites may connect directly to 198\.51\.100\.3/, 20_000);
    await pubStation.waitFor(/published station-p/);
    await watch.waitFor(/- available station-p wan/, 20_000);
    await waitForCount(watch, /welcome from pub/, 3);
    // One circuit only (to station-a): the session with station-p is direct.
    const after = Date.now();
    let status: { at: string; tenants: { name: string; circuits: number }[] };
    do {
      await new Promise((r) => setTimeout(r, 200));
      status = JSON.parse(readFileSync(join(dir, 'relay', 'status.json'), 'utf8'));
    } while (Date.parse(status.at) < after + 100);
    expect(status.tenants.find((t) => t.name === 'acme')?.circuits).toBe(1);
  });

  it('keeps tenants apart: the same name in another tenant is neither seen nor refused', async () => {
    const u = site('a1', 'u', 'umbrella-u.json');
    await u.directory.waitFor(/connected to the directory above/, 20_000);
    await u.start(PUBLISHER, ['--name=station-a', '--scope=wan']).waitFor(/published station-a/);
    const uwatch = u.start(WATCH, ['--search=/station-.*/', '--scope=wan']);
    await uwatch.waitFor(/- available station-a/, 20_000);
    // A new watcher of acme sees acme's two stations; then neither side saw more.
    const acme = b.start(WATCH, ['--search=/station-.*/', '--scope=wan']);
    await waitForCount(acme, /- available station-/, 2);
    await waitForCount(watch, /welcome from a1/, count(watch, /welcome from a1/) + 2);
    expect(count(uwatch, /- available /)).toBe(1);
    expect(count(acme, /- available station-a/)).toBe(1);
    expect(count(watch, /- available station-a/)).toBe(1);
    u.directory.child.kill('SIGKILL');
  });

  it('ends relayed sessions in Dropped when the relay is killed, keeps the direct one, and heals when it returns', async () => {
    const before = count(watch, /- available station-a/);
    relay.child.kill('SIGKILL');
    await watch.waitFor(/dropped station-a/, 10_000);
    const welcomes = count(watch, /welcome from pub/);
    await startRelay();
    await waitForCount(watch, /- available station-a/, before + 1, 30_000);
    await waitForCount(watch, /welcome from pub/, welcomes + 3);
    expect(count(watch, /dropped station-p/)).toBe(0);
  });

  it("ends the session in Dropped when site A's uplink is cut, and heals when it is restored", async () => {
    const before = count(watch, /- available station-a/);
    const dropped = count(watch, /dropped station-a/);
    await wan.uplink('a', 'down');
    await waitForCount(watch, /dropped station-a/, dropped + 1, 15_000);
    await wan.uplink('a', 'up');
    await waitForCount(watch, /- available station-a/, before + 1, 40_000);
  });

  it('still converges with 5 % loss on the public network', async () => {
    await wan.loss(5);
    try {
      const late = b.start(WATCH, ['--search=/station-.*/', '--scope=wan', '--hello']);
      await waitForCount(late, /- available station-/, 2, 40_000);
      await waitForCount(late, /welcome from a1/, 3, 30_000);
    } finally {
      await wan.loss(0);
    }
  });
});
