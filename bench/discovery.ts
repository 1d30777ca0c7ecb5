/**
 * Discovery on one host: how long from publish to Available (on a node that
 * runs already, on a new node, and in a process that has just started), and
 * from SIGKILL of a publisher process to Dropped at its subscriber, through a
 * host directory; then the directory's scale (bench/discovery-scale.ts).
 *
 *   npm run bench:discovery [-- --quick]
 *
 * Prints a table and, as its last line, one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directoryService } from '../src/internal.ts';
import {
  type ActorContext,
  Available,
  configureDirectory,
  configureTransport,
  createRealm,
  Dropped,
  generateNodeKeys,
  Node,
  Published,
  publish,
  Stop,
  serializeRealmForTests,
  subscribe,
} from './discovery/imports.ts';
import { percentile } from './lib/stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const AVAILABLE_RUNS = quick ? 30 : 200;
const KILL_RUNS = quick ? 5 : 20;
const FIRST_RUNS = quick ? 10 : 30;

const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-'));
const realm = createRealm('bench');
const realmFile = join(dir, 'realm.json');
serializeRealmForTests(realm, realmFile);
const endpoint = `unix:${join(dir, 'host.sock')}`;

function makeNode(name: string): Node {
  const node = new Node({ name });
  configureTransport(node, { realm, keys: generateNodeKeys() });
  configureDirectory(node, { parent: endpoint });
  return node;
}

const directory = new Node({ name: 'host-directory' });
configureTransport(directory, { realm, keys: generateNodeKeys() });
await new Promise<string>((resolve) => {
  directory.spawn(directoryService, { level: 'host', endpoint, onListening: resolve });
});

/** A subscriber actor on its own node that reports each Available and Dropped with its time. */
const events: { kind: 'available' | 'dropped'; name: string; at: number; epoch: number }[] = [];
const subscriberNode = makeNode('subscriber');
subscriberNode.spawn(async (self: ActorContext) => {
  subscribe(self, /bench-.*/);
  for (;;) {
    const m = await self.select(Available, Dropped, Stop);
    if (m instanceof Stop) return;
    events.push({
      kind: m instanceof Available ? 'available' : 'dropped',
      name: m.name,
      at: performance.now(),
      epoch: performance.timeOrigin + performance.now(),
    });
  }
});

/**
 * Waits for `what`, looking every millisecond. Every time measured is taken
 * where the event happens (the subscriber actor, the child's main), never
 * here, so the step does not enter the figures; a loop of setImmediate would
 * keep one of the machine's cores busy while a child process starts.
 */
async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!what()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * publish → Available, for a publisher on a node that runs already (connected
 * to its directory, as a service that starts publishing is) and on a node
 * that starts with the publish (a new process: its directory connection and
 * the subscriber's connection to it are both made on the way).
 */
async function publishToAvailable(warm: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < AVAILABLE_RUNS; i++) {
    const name = `bench-${warm ? 'w' : 'c'}-${i}`;
    const node = makeNode(`publisher-${i}`);
    if (warm) {
      // Connected to the directory, listening for sessions: publish something else first.
      await new Promise<void>((resolve) => {
        node.spawn(async (self: ActorContext) => {
          publish(self, `warm-up-${name}`);
          await self.select(Published);
          resolve();
          await self.select(Stop);
        });
      });
    }
    const t0 = performance.now();
    node.spawn(async (self: ActorContext) => {
      publish(self, name);
      await self.select(Published);
      await self.select(Stop);
    });
    await until(() => events.some((e) => e.kind === 'available' && e.name === name));
    const at = events.find((e) => e.kind === 'available' && e.name === name)?.at as number;
    samples.push(at - t0);
    await node.stop();
  }
  return samples;
}
const availableMs = await publishToAvailable(true);
const coldMs = await publishToAvailable(false);

// SIGKILL → Dropped: a real publisher process, killed.
const droppedMs: number[] = [];
for (let i = 0; i < KILL_RUNS; i++) {
  const name = `bench-k-${i}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'discovery/publisher.ts'), `--name=${name}`],
    {
      env: { ...process.env, CALLSIGN_REALM: realmFile, CALLSIGN_GROUP: endpoint },
      stdio: 'ignore',
    },
  );
  try {
    await until(() => events.some((e) => e.kind === 'available' && e.name === name), 20_000);
    const t0 = performance.now();
    child.kill('SIGKILL');
    await until(() => events.some((e) => e.kind === 'dropped' && e.name === name));
    droppedMs.push(
      (events.find((e) => e.kind === 'dropped' && e.name === name)?.at as number) - t0,
    );
  } finally {
    child.kill('SIGKILL');
  }
}
// The first publish of a process that has just started: publish() → Available at the
// subscriber that waits already. Both clocks are epoch milliseconds at high resolution.
const firstMs: number[] = [];
/** The same Available, from the start of the publisher's process (node start, imports included). */
const fromStartMs: number[] = [];
for (let i = 0; i < FIRST_RUNS; i++) {
  const name = `bench-f-${i}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'discovery/first-publisher.ts'), `--name=${name}`],
    {
      env: { ...process.env, CALLSIGN_REALM: realmFile, CALLSIGN_HOST: endpoint },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    await until(() => events.some((e) => e.kind === 'available' && e.name === name), 20_000);
    const line = /publish-at (\S+) started (\S+)\n/;
    await until(() => line.test(out));
    const [, at, started] = (line.exec(out) as RegExpExecArray).map(Number) as number[];
    const available = events.find((e) => e.kind === 'available' && e.name === name);
    firstMs.push((available?.epoch as number) - (at as number));
    fromStartMs.push((available?.epoch as number) - (started as number));
  } finally {
    child.kill('SIGKILL');
  }
}

await subscriberNode.stop();
await directory.stop();
rmSync(dir, { recursive: true, force: true });

// Scale: its own process, so its memory is measured alone.
const scale = await new Promise<Record<string, number>>((resolve, reject) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--expose-gc',
      join(here, 'discovery-scale.ts'),
      ...(quick ? ['--quick'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  child.on('exit', (code) => {
    const last = out.trim().split('\n').at(-1) ?? '';
    try {
      resolve(JSON.parse(last) as Record<string, number>);
    } catch {
      reject(new Error(`discovery-scale exited ${code} without a JSON line`));
    }
  });
});

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const a = sorted(availableMs);
const d = sorted(droppedMs);
const c = sorted(coldMs);
const f = sorted(firstMs);
const s = sorted(fromStartMs);
const fmt = (v: number) => v.toFixed(2);
console.log('\nDiscovery on one host (ms; lower is better)\n');
console.log('| measure | runs | p50 | p90 | max | goal |');
console.log('|:--|--:|--:|--:|--:|:--|');
console.log(
  `| publish → Available, running node | ${a.length} | ${fmt(percentile(a, 50))} | ${fmt(percentile(a, 90))} | ${fmt(a.at(-1) as number)} | p50 < 10 |`,
);
console.log(
  `| publish → Available, new node | ${c.length} | ${fmt(percentile(c, 50))} | ${fmt(percentile(c, 90))} | ${fmt(c.at(-1) as number)} | |`,
);
console.log(
  `| publish → Available, first publish of a new process | ${f.length} | ${fmt(percentile(f, 50))} | ${fmt(percentile(f, 90))} | ${fmt(f.at(-1) as number)} | p50 < 15 |`,
);
console.log(
  `| process start → that Available | ${s.length} | ${fmt(percentile(s, 50))} | ${fmt(percentile(s, 90))} | ${fmt(s.at(-1) as number)} | |`,
);
console.log(
  `| SIGKILL → Dropped | ${d.length} | ${fmt(percentile(d, 50))} | ${fmt(percentile(d, 90))} | ${fmt(d.at(-1) as number)} | p50 < 100 |`,
);
console.log(
  JSON.stringify({
    profile: quick ? 'quick' : 'full',
    available_p50_ms: Number(fmt(percentile(a, 50))),
    available_new_node_p50_ms: Number(fmt(percentile(c, 50))),
    first_publish_available_p50_ms: Number(fmt(percentile(f, 50))),
    first_publish_from_process_start_p50_ms: Number(fmt(percentile(s, 50))),
    dropped_after_kill_p50_ms: Number(fmt(percentile(d, 50))),
    listings: scale.listings,
    listings_1M_rss_mib: scale.listings === 1_000_000 ? scale.listings_rss_mib : null,
    listings_rss_mib: scale.listings_rss_mib,
    match_us_10k_searches: scale.match_us_10k_searches,
    match_us_10k_regex: scale.match_us_10k_regex,
    new_regex_search_ms: scale.new_regex_search_ms,
  }),
);
process.exit(0);
