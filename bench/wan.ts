/**
 * callsign across a simulated internet (network namespaces; needs root):
 * two sites behind their own NAT routers and a public host running the
 * relay (`callsign wan serve`) and a `nats-server`. In one run:
 *
 * - round trip and one-way throughput (100 B, 16 KiB) from site B to a
 *   publisher at site A through the relay, against NATS request/reply and
 *   pub/sub through the nats-server on the same public host, with its
 *   clients at the same two sites (bench/stacks/nats.ts: nats.js at its
 *   best);
 * - the same round trip once site A forwards its ports (a direct path);
 * - a site joining → the first `Available` at the other site;
 * - SIGKILL of the relay → `Dropped` at the subscriber.
 *
 *   npm run bench:wan [-- --quick]
 *
 * Times of events come from the processes' own log lines (ISO timestamps,
 * one clock: every namespace shares the machine's). Last line: one JSON
 * object.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeAccess } from '../scopes/wan/access.ts';
import { RelayFolder } from '../scopes/wan/registry.ts';
import { createRealm, serializeRealm } from '../src/wire/realm.ts';
import type { LanProgram } from '../test/helpers/netns.ts';
import { PUBLIC_ADDRESS, startWan } from '../test/helpers/wan-netns.ts';
import type { ClientPlan } from './lib/protocol.ts';
import {
  type Measured,
  measuredFrom,
  ratio,
  relayedVsNats,
  rttOf,
  wanPlan,
} from './wan/figures.ts';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 2 : 5;
const RELAY_PORT = 7600;
const NATS_PORT = 4222;
const RELAY_URL = `ws://${PUBLIC_ADDRESS.relay}:${RELAY_PORT}/`;

const PLAN = wanPlan(quick);

const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-wan-'));
const realm = join(dir, 'realm.json');
writeFileSync(realm, serializeRealm(createRealm('bench-wan')), { mode: 0o600 });
const relayDir = join(dir, 'relay');
const folder = new RelayFolder(relayDir);
await folder.addTenant('bench');
for (const site of ['a', 'b', 'j']) {
  const access = await folder.invite('bench', site, [RELAY_URL]);
  writeFileSync(join(dir, `${site}.json`), serializeAccess(access), { mode: 0o600 });
}

/** The environment of a program at `site` (its host directory's socket, the realm). */
const siteEnv = (site: string) => {
  mkdirSync(join(dir, site), { recursive: true });
  return { CALLSIGN_REALM: realm, CALLSIGN_HOST: `unix:${join(dir, site, 'host.sock')}` };
};

function linesMatching(p: LanProgram, pattern: RegExp): string[] {
  return p.stderr.split('\n').filter((l) => pattern.test(l));
}

/** The time of the `n`-th log line matching `pattern` (ms since the epoch), once there is one. */
async function loggedAt(p: LanProgram, pattern: RegExp, n = 1, ms = 30_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (linesMatching(p, pattern).length < n) {
    if (Date.now() > deadline) {
      throw new Error(`${p.host}: no ${pattern} (${n}) within ${ms} ms\n${p.stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.parse((linesMatching(p, pattern)[n - 1] as string).slice(0, 24));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const wan = await startWan();
const started: LanProgram[] = [];
const keep = (p: LanProgram) => {
  started.push(p);
  return p;
};
try {
  const startRelay = async () => {
    const relay = keep(
      wan.startLasting('relay', 'bench/wan/cli.ts', [
        'wan',
        'serve',
        '--dir',
        relayDir,
        '--listen',
        `${PUBLIC_ADDRESS.relay}:${RELAY_PORT}`,
      ]),
    );
    await relay.waitFor(/relay listening at/, 30_000);
    return relay;
  };
  /** A site's host directory under the WAN directory, on `host`. */
  const startSite = async (host: string, site: string, env: NodeJS.ProcessEnv = {}) => {
    const d = keep(
      wan.startLasting(host, 'scopes/host/directory.ts', ['--debug-level=CONSOLE'], {
        ...siteEnv(site),
        CALLSIGN_WAN: join(dir, `${site}.json`),
        CALLSIGN_PUBLIC_ADDRESS: 'none',
        ...env,
      }),
    );
    await d.waitFor(/connected to the directory above/, 30_000);
    return d;
  };
  const start = (host: string, site: string, file: string, args: string[]) =>
    keep(wan.startLasting(host, file, ['--debug-level=CONSOLE', ...args], siteEnv(site)));

  /** A stack's server at site A and its client at site B (bench/lib/stack-process.ts). */
  const pair = async (
    file: string,
    params: Record<string, string>,
    plan: ClientPlan,
  ): Promise<Measured> => {
    const p = JSON.stringify(params);
    const server = keep(wan.startLasting('a1', file, ['server', '--params', p], siteEnv('a')));
    await server.waitFor(/"type":"ready"/, 30_000);
    const endpoint = (JSON.parse(server.stdout.split('\n')[0] as string) as { endpoint: string })
      .endpoint;
    const client = keep(
      wan.startLasting(
        'b1',
        file,
        ['client', '--endpoint', endpoint, '--params', p, '--plan', JSON.stringify(plan)],
        siteEnv('b'),
      ),
    );
    await client.exited;
    server.child.kill('SIGTERM');
    await server.exited;
    return measuredFrom(file, client.stdout, client.stderr);
  };

  let relay = await startRelay();
  await keep(
    wan.lan.spawn('relay', [
      'nats-server',
      '--addr',
      PUBLIC_ADDRESS.relay,
      '--port',
      String(NATS_PORT),
    ]),
  ).waitFor(/Server is ready/, 20_000);
  let siteA = await startSite('a1', 'a');
  await startSite('b1', 'b');

  // Through the relay, then NATS through the same public host.
  const relayed = await pair('bench/wan/callsign-wan.ts', {}, PLAN);
  const nats = await pair(
    'bench/stacks/nats.ts',
    { url: `nats://${PUBLIC_ADDRESS.relay}:${NATS_PORT}` },
    PLAN,
  );

  // A site joins: its host directory starts while a publisher of the site
  // already runs and waits for it; a subscriber at site B waits. Counted from
  // the directory's first log line. The publisher is started first and has
  // published on its own node before the directory starts, so that the figure
  // is the join and not the publisher's module loading (a user's program run
  // through tsx loads for about a second longer than the compiled directory).
  const joinWatch = start('b1', 'b', 'test/lan/programs/lan-watch.ts', [
    '--search=bench-join',
    '--scope=wan',
  ]);
  const join_: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const publisher = start('a1', 'j', 'test/lan/programs/lan-publisher.ts', [
      '--name=bench-join',
      '--scope=wan',
    ]);
    await loggedAt(publisher, /published bench-join/);
    const d = keep(
      wan.startLasting('a1', 'scopes/host/directory.ts', ['--debug-level=CONSOLE'], {
        ...siteEnv('j'),
        CALLSIGN_WAN: join(dir, 'j.json'),
        CALLSIGN_PUBLIC_ADDRESS: 'none',
      }),
    );
    const available = await loggedAt(joinWatch, /- available bench-join/, i + 1);
    await d.waitFor(/./);
    join_.push(available - Date.parse((d.stderr.split('\n')[0] as string).slice(0, 24)));
    publisher.child.kill('SIGKILL');
    d.child.kill('SIGKILL');
    await Promise.all([publisher.exited, d.exited]);
    await loggedAt(joinWatch, /dropped bench-join/, i + 1);
  }

  // SIGKILL of the relay: a relayed session ends in Dropped.
  const killed = start('a1', 'a', 'test/lan/programs/lan-publisher.ts', [
    '--name=bench-kill',
    '--scope=wan',
  ]);
  const killWatch = start('b1', 'b', 'test/lan/programs/lan-watch.ts', [
    '--search=bench-kill',
    '--scope=wan',
  ]);
  const dropped: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await loggedAt(killWatch, /- available bench-kill/, i + 1);
    const t0 = Date.now();
    relay.child.kill('SIGKILL');
    dropped.push((await loggedAt(killWatch, /dropped bench-kill/, i + 1)) - t0);
    await relay.exited;
    relay = await startRelay();
  }

  // A direct path: site A forwards its ports and says its public address.
  // The relay's circuits are sampled meanwhile: none means the path was direct.
  killWatch.child.kill('SIGKILL');
  killed.child.kill('SIGKILL');
  await wan.forwardPorts('a');
  siteA.child.kill('SIGTERM');
  await siteA.exited;
  siteA = await startSite('a1', 'a', { CALLSIGN_PUBLIC_ADDRESS: PUBLIC_ADDRESS.ra });
  let circuitsSeen = 0;
  const sampler = setInterval(() => {
    try {
      const status = JSON.parse(readFileSync(join(relayDir, 'status.json'), 'utf8')) as {
        tenants: { name: string; circuits: number }[];
      };
      const n = status.tenants.find((t) => t.name === 'bench')?.circuits ?? 0;
      circuitsSeen = Math.max(circuitsSeen, n);
    } catch {
      // Being rewritten: the next sample reads it.
    }
  }, 100);
  const direct = await pair('bench/wan/callsign-wan.ts', {}, { ...PLAN, sizes: [100] });
  clearInterval(sampler);

  const rtt = rttOf;
  const result = {
    profile: quick ? 'quick' : 'full',
    runs: RUNS,
    ...relayedVsNats(relayed, nats),
    direct_rtt_p50_us: Math.round(rtt(direct, 100).p50_us),
    direct_rtt_vs_relay: ratio(rtt(direct, 100).p50_us, rtt(relayed, 100).p50_us),
    direct_relay_circuits: circuitsSeen,
    join_to_available_ms: median(join_),
    relay_loss_to_dropped_ms: median(dropped),
  };
  const row = (what: string, value: string, goal = '') =>
    console.log(`| ${what} | ${value} | ${goal} |`);
  console.log('\ncallsign across a simulated internet (two NATed sites, a public relay)\n');
  console.log('| measure | value | goal |');
  console.log('|:--|--:|:--|');
  row(
    'round trip p50, B → relay → A (100 B)',
    `${result.relay_rtt_p50_us} µs (NATS ${result.nats_rtt_p50_us} µs): ${result.relay_rtt_vs_nats}×`,
    '≤ 1.0× NATS',
  );
  row(
    'one way 100 B through the relay',
    `${result.relay_msgs_100B_per_s} msg/s (NATS ${result.nats_msgs_100B_per_s}): ${result.relay_msgs_100B_vs_nats}×`,
    '≥ 1.5× NATS',
  );
  row(
    'one way 16 KiB through the relay',
    `${result.relay_mb_16KiB_per_s} MB/s (NATS ${result.nats_mb_16KiB_per_s}): ${result.relay_mb_16KiB_vs_nats}×`,
    '≥ 1.5× NATS',
  );
  row(
    'round trip p50, B → A direct (port forward)',
    `${result.direct_rtt_p50_us} µs (${result.direct_rtt_vs_relay}× relayed; relay circuits ${result.direct_relay_circuits})`,
  );
  row('site joins → first Available (median)', `${result.join_to_available_ms} ms`, '< 1000 ms');
  row('relay SIGKILL → Dropped (median)', `${result.relay_loss_to_dropped_ms} ms`, '< 3000 ms');
  console.log(JSON.stringify(result));
} finally {
  for (const p of started.reverse()) p.child.kill('SIGKILL');
  await wan.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
