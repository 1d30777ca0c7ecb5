/**
 * Relays as members of a NATS cluster, as a user runs them: a three-server
 * JetStream cluster on loopback, two `callsign wan serve --nats` sharing one
 * relay folder, site a on relay 1 and site b on relay 2. They find each
 * other by name and talk (the circuit's frames cross from relay to relay on
 * NATS, sealed); the directory's state is in the tenant's KV bucket; relay 1
 * is killed and site a moves to relay 2 and is available again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RELAY_FRAME } from '../../src/internal.ts';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { cliProject } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { startProgram } from '../helpers/processes.ts';
import { eventually, type NatsServers, startNatsCluster } from '../streams/nats-servers.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';

let cluster: NatsServers | undefined;
let observer: NatsConnection | undefined;

beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await observer?.close();
  await cluster?.close();
});

/** Runs `steps`; a failure says what the programs said. */
async function failover(outputs: () => string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${outputs()}`);
  }
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

it('two relays over a NATS cluster: sites on different relays find each other and talk through NATS, sealed; relay 1 killed, site a moves to relay 2 and is available again', async () => {
  const c = cluster;
  if (!c) throw new Error('the NATS cluster did not start');
  const p = cliProject();
  const dir = ['--dir', join(p.dir, 'relay')];
  expect((await p.run(['wan', 'tenant', 'add', 'acme', ...dir])).code).toBe(0);

  // Everything the relays say to each other on their subjects, as NATS carries it.
  observer = await connect({ servers: [...c.urls] });
  const frames: Uint8Array[] = [];
  observer.subscribe('callsign.wan.>', {
    callback: (_e, m) => {
      frames.push(m.data);
    },
  });
  await observer.flush();

  const [port1, port2] = [await freePort(), await freePort()];
  const url1 = `ws://127.0.0.1:${port1}/`;
  const url2 = `ws://127.0.0.1:${port2}/`;
  const relay1 = p.start([
    'wan',
    'serve',
    '--listen',
    `127.0.0.1:${port1}`,
    '--url',
    url1,
    '--url',
    url2,
    '--nats',
    c.urls.join(','),
    ...dir,
  ]);
  await relay1.waitFor(/reached at ws:/, 30_000);
  expect(relay1.stderr).toMatch(/a member of the NATS cluster/);
  // The servers are listed once: the second relay takes them from the folder.
  const relay2 = p.start([
    'wan',
    'serve',
    '--listen',
    `127.0.0.1:${port2}`,
    '--url',
    url2,
    '--url',
    url1,
    '--nats',
    ...dir,
  ]);
  await relay2.waitFor(/reached at ws:/, 30_000);
  // Each site lists both relays, its own first.
  for (const [s, urls] of [
    ['a', [url1, url2]],
    ['b', [url2, url1]],
  ] as const) {
    const r = await p.run([
      'wan',
      'invite',
      'acme',
      '--site',
      s,
      '--out',
      `${s}.json`,
      ...urls.flatMap((u) => ['--url', u]),
      ...dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
  const realm = join(p.dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('wan-nats')), { mode: 0o600 });
  const env = (s: string) => {
    mkdirSync(join(p.dir, s), { recursive: true });
    return {
      CALLSIGN_REALM: realm,
      CALLSIGN_HOST: `unix:${join(p.dir, s, 'host.sock')}`,
      CALLSIGN_PUBLIC_ADDRESS: 'none',
    };
  };
  const siteA = startProgram(HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
    ...env('a'),
    CALLSIGN_WAN: join(p.dir, 'a.json'),
  });
  await relay1.waitFor(/site a of acme joined/, 30_000);
  const siteB = startProgram(HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
    ...env('b'),
    CALLSIGN_WAN: join(p.dir, 'b.json'),
  });
  await relay2.waitFor(/site b of acme joined/, 30_000);
  await siteA.waitFor(/connected to the directory above/, 20_000);
  await siteB.waitFor(/connected to the directory above/, 20_000);

  const station = startProgram(
    PUBLISHER,
    ['--debug-level=CONSOLE', '--name=station-1', '--scope=wan'],
    env('a'),
  );
  await station.waitFor(/published station-1/, 20_000);
  const watch = startProgram(
    WATCH,
    ['--debug-level=CONSOLE', '--search=/station-.*/', '--scope=wan', '--hello'],
    env('b'),
  );
  await watch.waitFor(/available station-1 wan/, 30_000);
  await watch.waitFor(/welcome from/, 30_000);

  // `network` at site b shows both sites connected, each with its relay.
  const network = await eventually('both sites connected in network at site b', async () => {
    const r = await p.run(['network'], { ...env('b'), CALLSIGN_NO_HOST: '0' });
    return (
      /\n {4}a {2}connected since \S+ to ws:\/\/127\.0\.0\.1:(\d+)\//.test(r.stdout) && r.stdout
    );
  });
  expect(network).toMatch(
    new RegExp(` {4}a {2}connected since \\S+ to ${url1.replace(/\./g, '\\.')}`),
  );
  expect(network).toMatch(
    new RegExp(` {4}b {2}connected since \\S+ to ${url2.replace(/\./g, '\\.')}`),
  );

  // The directory's state is in the tenant's bucket: both sites' entries.
  const kvm = new Kvm(observer);
  let bucket = '';
  for await (const b of await kvm.list())
    if (b.bucket.startsWith('callsign-wan-acme-')) bucket = b.bucket;
  const kv = await kvm.open(bucket);
  const keys = await eventually('both sites in the bucket', async () => {
    const ks: string[] = [];
    for await (const k of await kv.keys()) ks.push(k);
    return ks.some((k) => k.startsWith('a.l.')) && ks.some((k) => k.startsWith('b.s.')) && ks;
  });
  expect(keys.length).toBeGreaterThanOrEqual(2);

  // The circuit crossed from relay to relay on NATS: OPEN and DATA frames, none in clear.
  await eventually('DATA frames between the relays', async () =>
    frames.some((f) => f[0] === RELAY_FRAME.data),
  );
  expect(frames.some((f) => f[0] === RELAY_FRAME.open)).toBe(true);
  const carried = Buffer.concat(frames.map((f) => Buffer.from(f)));
  for (const clear of ['welcome', 'Welcome', 'hello from', 'wan-nats'])
    expect(carried.includes(Buffer.from(clear))).toBe(false);

  // Relay 1 dies: site a moves to relay 2, and b sees station-1 dropped, then available again.
  const availableBefore = count(watch.stdout + watch.stderr, /available station-1 wan/g);
  relay1.child.kill('SIGKILL');
  const outputs = () =>
    [
      ['site b watch', watch],
      ['site a station', station],
      ['site a directory', siteA],
      ['relay 2', relay2],
    ]
      .map(
        ([name, o]) =>
          `--- ${name}:\n${(o as { stderr: string; stdout: string }).stderr.slice(-2500)}${(o as { stdout: string }).stdout.slice(-1500)}`,
      )
      .join('\n');
  await failover(outputs, async () => {
    await relay2.waitFor(/site a of acme joined/, 30_000);
    await watch.waitFor(/dropped station-1/, 30_000);
    await eventually(
      'station-1 available again at site b',
      async () => count(watch.stdout + watch.stderr, /available station-1 wan/g) > availableBefore,
      30_000,
    );
    const welcomes = count(watch.stdout + watch.stderr, /welcome from/g);
    await eventually(
      'station-1 answers again, through relay 2',
      async () => count(watch.stdout + watch.stderr, /welcome from/g) > welcomes,
      30_000,
    );
  });
  relay2.child.kill('SIGTERM');
  await relay2.done;
}, 180_000);
