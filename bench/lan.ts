/**
 * callsign across a simulated LAN (network namespaces; needs root): how long
 * from a host joining to its first Available, from SIGKILL of a publisher and
 * from a pulled cable to Dropped, and request/reply between two hosts against
 * raw ws between the same two namespaces, in the same run (100 bytes each
 * way; both servers echo what they receive).
 *
 *   npm run bench:lan [-- --quick]
 *
 * Times come from the processes' own log lines (ISO timestamps, one clock:
 * every namespace shares the machine's). Last line: one JSON object.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRealm, serializeRealm } from '../src/wire/realm.ts';
import { type Lan, type LanProgram, startLan } from '../test/helpers/netns.ts';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 8;
const RTT_COUNT = quick ? 1000 : 5000;
/**
 * Round trips before the timed ones, as bench:transport makes: until V8 has
 * optimised the path, callsign's round trip (far more code than raw ws's)
 * costs several times its later figure, and a p50 over the first thousand
 * measures the compiler instead of the transport (bench/README.md).
 */
const RTT_WARMUP = 2000;

const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-lan-'));
const realm = join(dir, 'realm.json');
writeFileSync(realm, serializeRealm(createRealm('bench-lan')), { mode: 0o600 });
const env = (host: string) => {
  mkdirSync(join(dir, host), { recursive: true });
  return { CALLSIGN_REALM: realm, CALLSIGN_HOST: `unix:${join(dir, host, 'host.sock')}` };
};

/** The time of the first log line matching `pattern` (ms since the epoch). */
async function loggedAt(p: LanProgram, pattern: RegExp, ms = 30_000): Promise<number> {
  await p.waitFor(pattern, ms);
  const line = p.stderr.split('\n').find((l) => pattern.test(l)) as string;
  return Date.parse(line.slice(0, 24));
}

function linesMatching(p: LanProgram, pattern: RegExp): string[] {
  return p.stderr.split('\n').filter((l) => pattern.test(l));
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const lan: Lan = await startLan({ hosts: 3, name: 'bench' });
try {
  const start = (host: string, file: string, args: string[] = []) =>
    lan.startProgram(host, file, ['--debug-level=CONSOLE', ...args], env(host));
  await start('h3', 'scopes/lan/directory.ts').waitFor(/lan directory listening on/);
  await start('h1', 'scopes/host/directory.ts').waitFor(/host directory listening on/);
  let publisher = start('h1', 'test/lan/programs/lan-publisher.ts');
  await publisher.waitFor(/published/);

  // A host joins: its host directory starts while a subscriber of the host
  // already runs and waits for it. `join` counts from the host directory's
  // first log line (the process is up and looking for the LAN directory);
  // `joinSpawn` also counts starting the directory's Node. The subscriber
  // starts first, so that its own module loading is not counted: callsign's
  // directories run compiled, a user's program through tsx loads for about a
  // second longer. Its reconnect backoff to the new directory is counted.
  const join: number[] = [];
  const joinSpawn: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const watch = start('h2', 'test/lan/programs/lan-watch.ts');
    await watch.waitFor(/searching lab-service/);
    const t0 = Date.now();
    const host = start('h2', 'scopes/host/directory.ts');
    const available = await loggedAt(watch, /available lab-service/);
    const up = Date.parse((host.stderr.split('\n')[0] as string).slice(0, 24));
    join.push(available - up);
    joinSpawn.push(available - t0);
    watch.child.kill('SIGKILL');
    host.child.kill('SIGKILL');
    await Promise.all([watch.exited, host.exited]);
  }

  // Unclean loss: SIGKILL of the publisher, then a pulled cable.
  await start('h2', 'scopes/host/directory.ts').waitFor(/host directory listening on/);
  const killed: number[] = [];
  const cable: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const watch = start('h2', 'test/lan/programs/lan-watch.ts');
    await watch.waitFor(/available lab-service/, 30_000);
    const t0 = Date.now();
    publisher.child.kill('SIGKILL');
    killed.push((await loggedAt(watch, /dropped lab-service/)) - t0);
    publisher = start('h1', 'test/lan/programs/lan-publisher.ts');
    await publisher.waitFor(/published/);
    await until(() => linesMatching(watch, /available lab-service/).length >= 2, 30_000);
    const droppedBefore = linesMatching(watch, /dropped lab-service/).length;
    const t1 = Date.now();
    await lan.cable('h1', 'down');
    await until(() => linesMatching(watch, /dropped lab-service/).length > droppedBefore, 15_000);
    const dropped = Date.parse(
      (linesMatching(watch, /dropped lab-service/).at(-1) as string).slice(0, 24),
    );
    cable.push(dropped - t1);
    await lan.cable('h1', 'up');
    watch.child.kill('SIGKILL');
    await watch.exited;
  }

  // Request/reply between h2 and h1: callsign, then raw ws, same namespaces,
  // each echoing 100 bytes.
  await start('h1', 'bench/lan/rtt-echo.ts').waitFor(/published lab-echo/);
  const rttCallsign = start('h2', 'bench/lan/rtt-callsign.ts', [
    `--count=${RTT_COUNT}`,
    `--warmup=${RTT_WARMUP}`,
  ]);
  const cs = (await rttCallsign.output()) as { p50_us: number };
  const wsServer = lan.startProgram('h1', 'bench/lan/rtt-ws.ts', ['server', '--port=7070']);
  await wsServer.waitFor(/listening/);
  const wsClient = lan.startProgram('h2', 'bench/lan/rtt-ws.ts', [
    'client',
    `--host=${lan.address('h1')}`,
    '--port=7070',
    `--count=${RTT_COUNT}`,
    `--warmup=${RTT_WARMUP}`,
  ]);
  const ws = (await wsClient.output()) as { p50_us: number };

  const result = {
    profile: quick ? 'quick' : 'full',
    runs: RUNS,
    join_to_available_ms: median(join),
    join_to_available_from_spawn_ms: median(joinSpawn),
    unclean_loss_to_dropped_ms: median(killed),
    cable_pull_to_dropped_ms: median(cable),
    rtt_p50_us: Math.round(cs.p50_us),
    ws_rtt_p50_us: Math.round(ws.p50_us),
    rtt_p50_vs_ws: Number((cs.p50_us / ws.p50_us).toFixed(2)),
  };
  console.log('\ncallsign across a simulated LAN (3 hosts; medians)\n');
  console.log('| measure | median | goal |');
  console.log('|:--|--:|:--|');
  console.log(`| host joins → first Available | ${result.join_to_available_ms} ms | < 1000 ms |`);
  console.log(
    `| … counting process start-up too | ${result.join_to_available_from_spawn_ms} ms | |`,
  );
  console.log(
    `| SIGKILL of publisher → Dropped | ${result.unclean_loss_to_dropped_ms} ms | < 3000 ms |`,
  );
  console.log(`| cable pulled → Dropped | ${result.cable_pull_to_dropped_ms} ms | < 3000 ms |`);
  console.log(
    `| request/reply p50, h2 → h1 | ${result.rtt_p50_us} µs (raw ws ${result.ws_rtt_p50_us} µs) | |`,
  );
  console.log(JSON.stringify(result));
} finally {
  await lan.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
