/**
 * Durable streams against JetStream, in one run: acknowledged appends of
 * 256 B (one in flight, and pipelined), consume-and-acknowledge, replay from
 * the earliest, append → consumer latency, the same appends with `flush`
 * durability, and the scale of one store (many streams; many retained
 * messages). JetStream runs on a nats-server of the benchmark's own (`-js`,
 * file storage, a free loopback port); callsign's stream host (lmdb) in a
 * process of its own, found by name through a host directory.
 *
 *   npm run bench:streams [-- --quick] [--only=callsign|jetstream|scale]
 *
 * Prints a table and, as its last line, one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { directoryService } from '../src/internal.ts';
import {
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
  serializeRealmForTests,
} from './discovery/imports.ts';
import { natsServerVersion, startNatsServer } from './lib/nats-server.ts';
import { median, ratio, round } from './lib/stats.ts';
import { formatTable } from './lib/table.ts';
import { measureCallsign } from './streams/callsign.ts';
import { measureJetStream } from './streams/jetstream.ts';
import { measureNatsDriver, type NatsDriverFigures } from './streams/nats-driver.ts';
import type { StreamBenchSizes, StreamFigures } from './streams/shapes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
/** `--only=callsign`, `--only=jetstream` or `--only=scale`: one part (ratios are then null). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const RUNS = quick ? 1 : 3;
const sizes: StreamBenchSizes = quick
  ? { one: 1000, pipelined: 50_000, window: 1024, latency: 300, latencyWarmUp: 2000, size: 256 }
  : { one: 5000, pipelined: 300_000, window: 1024, latency: 2000, latencyWarmUp: 2000, size: 256 };
const MANY_STREAMS = quick ? 100_000 : 1_000_000;
const RETAINED = quick ? 500_000 : 10_000_000;

const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-streams-'));
const children: ReturnType<typeof spawn>[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

function child(script: string, args: string[]) {
  const c = spawn(
    process.execPath,
    // A profiled run (`node --cpu-prof ... bench/streams.ts`) profiles the children too.
    ['--expose-gc', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))].concat([
      '--import',
      'tsx',
      join(here, script),
      ...args,
    ]),
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(c);
  const lines = createInterface({ input: c.stdout as NodeJS.ReadableStream });
  return { process: c, lines: lines[Symbol.asyncIterator]() };
}

async function measureOurs(): Promise<StreamFigures[]> {
  const realm = createRealm('bench');
  const realmFile = join(dir, 'realm.json');
  serializeRealmForTests(realm, realmFile);
  const endpoint = `unix:${join(dir, 'host.sock')}`;
  const directory = new Node({ name: 'host-directory' });
  configureTransport(directory, { realm, keys: generateNodeKeys() });
  await new Promise<string>((resolve) => {
    directory.spawn(directoryService, { level: 'host', endpoint, onListening: resolve });
  });
  const host = child('streams/host.ts', [join(dir, 'callsign'), endpoint, realmFile]);
  const ready = await host.lines.next();
  if (ready.value !== 'ready') throw new Error('the stream host did not start');
  const node = new Node({ name: 'bench-client' });
  configureTransport(node, { realm, keys: generateNodeKeys() });
  configureDirectory(node, { parent: endpoint });
  const runs: StreamFigures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measureCallsign(node, sizes, host.process.pid));
  await node.stop();
  const exited = new Promise((resolve) => host.process.once('exit', resolve));
  host.process.kill('SIGTERM');
  await exited;
  await directory.stop();
  return runs;
}

/** The nats driver's runs, beside JetStream's (in {@link measureTheirs}). */
const natsDriver: NatsDriverFigures[] = [];

async function measureTheirs(): Promise<StreamFigures[] | undefined> {
  if (!(await natsServerVersion())) return undefined;
  const server = await startNatsServer({ jetStreamDir: join(dir, 'jetstream') });
  try {
    const runs: StreamFigures[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await measureJetStream(server.url, sizes, server.pid));
      // callsign's nats driver on the same server, run for run beside the raw client.
      natsDriver.push(await measureNatsDriver(server.url, sizes, i));
    }
    return runs;
  } finally {
    await server.close();
  }
}

async function measureScale(): Promise<Record<string, unknown>> {
  const many = child('streams/many.ts', [
    join(dir, 'many'),
    String(MANY_STREAMS),
    String(RETAINED),
  ]);
  const line = await many.lines.next();
  return JSON.parse(String(line.value)) as Record<string, unknown>;
}

/** The figures that are one number each. */
type Figure = Exclude<keyof StreamFigures, 'cpu'>;
const medianOf = (runs: readonly StreamFigures[] | undefined, key: Figure) =>
  runs ? median(runs.map((r) => r[key])) : null;
type Phase = keyof StreamFigures['cpu'];
/** Median CPU µs per message of one phase and side; null when not measured. */
const cpuOf = (
  runs: readonly StreamFigures[] | undefined,
  phase: Phase,
  side: 'server_us' | 'client_us',
) => {
  const xs = (runs ?? []).map((r) => r.cpu[phase][side]).filter((x): x is number => x !== null);
  return xs.length > 0 ? round(median(xs), 2) : null;
};

const note = (text: string) => process.stderr.write(`bench:streams: ${text}\n`);
const wanted = (part: string) => only === undefined || only === part;
note('callsign (lmdb) ...');
const ours = wanted('callsign') ? await measureOurs() : undefined;
note('JetStream ...');
const theirs = wanted('jetstream') ? await measureTheirs() : undefined;
note(`one store: ${MANY_STREAMS} streams, ${RETAINED} retained messages ...`);
const scale: Record<string, unknown> = wanted('scale')
  ? await measureScale()
  : { retained_rss: [] };
const natsVersion = await natsServerVersion();

const keys: [Figure, string, 'higher' | 'lower'][] = [
  ['append_one_per_s', 'acknowledged appends/s, one in flight', 'higher'],
  ['append_per_s', `acknowledged appends/s, ${sizes.window} in flight`, 'higher'],
  ['consume_ack_per_s', 'consumed and acknowledged msg/s', 'higher'],
  ['replay_per_s', 'replay from earliest msg/s', 'higher'],
  ['latency_p50_us', 'append → consumer latency p50 µs', 'lower'],
  ['latency_p99_us', 'append → consumer latency p99 µs', 'lower'],
  [
    'flush_append_one_per_s',
    'flush durability appends/s, one in flight (JetStream: its default)',
    'higher',
  ],
  [
    'flush_append_per_s',
    `flush durability appends/s, ${sizes.window} in flight (JetStream: its default)`,
    'higher',
  ],
];
const rows = keys.map(([key, label]) => {
  const a = medianOf(ours, key);
  const b = medianOf(theirs, key);
  const r = ratio(a, b);
  return [label, String(a ?? '-'), String(b ?? '-'), r === null ? '-' : `${round(r, 2)}×`];
});
process.stdout.write(
  `bench:streams ${quick ? '(quick) ' : ''}${sizes.size} B, ${RUNS} run${RUNS === 1 ? '' : 's'} (medians); JetStream: nats-server ${natsVersion ?? 'missing'} -js, file storage\n\n`,
);
process.stdout.write(
  `${formatTable(['measure', 'callsign (lmdb)', 'JetStream', 'callsign / JetStream'], rows)}\n\n`,
);
const phases: [Phase, string][] = [
  ['consume_ack', 'consume and acknowledge'],
  ['replay', 'replay from earliest'],
  ['latency', 'one append → its delivery'],
];
const both = (runs: readonly StreamFigures[] | undefined, phase: Phase) => {
  const server = cpuOf(runs, phase, 'server_us');
  const client = cpuOf(runs, phase, 'client_us');
  return server === null || client === null ? null : round(server + client, 2);
};
process.stdout.write(
  `CPU µs per message (server = stream host or nats-server, client = this process; steadier than the rates on a busy machine):\n\n${formatTable(
    ['phase', 'callsign server + client', 'JetStream server + client', 'callsign / JetStream'],
    phases.map(([phase, label]) => {
      const x = ratio(both(ours, phase), both(theirs, phase));
      return [
        label,
        `${cpuOf(ours, phase, 'server_us') ?? '-'} + ${cpuOf(ours, phase, 'client_us') ?? '-'}`,
        `${cpuOf(theirs, phase, 'server_us') ?? '-'} + ${cpuOf(theirs, phase, 'client_us') ?? '-'}`,
        x === null ? '-' : `${round(x, 2)}×`,
      ];
    }),
  )}\n\n`,
);
const driverMedian = (key: keyof NatsDriverFigures) =>
  natsDriver.length > 0 ? median(natsDriver.map((f) => f[key])) : null;
const vsRaw = (key: keyof NatsDriverFigures) => {
  const x = ratio(driverMedian(key), medianOf(theirs, key));
  return x === null ? null : round(x, 3);
};
process.stdout.write(
  `${formatTable(
    [
      'measure',
      'callsign nats driver',
      'raw JetStream',
      'driver / raw (goal ≥ 0.83: at most 1.2× the cost)',
    ],
    (['append_per_s', 'consume_ack_per_s'] as const).map((key) => [
      key === 'append_per_s'
        ? `acknowledged appends/s, ${sizes.window} in flight`
        : 'consumed and acknowledged msg/s',
      String(driverMedian(key) ?? '-'),
      String(medianOf(theirs, key) ?? '-'),
      vsRaw(key) === null ? '-' : `${vsRaw(key)}×`,
    ]),
  )}\n\n`,
);
process.stdout.write(
  `one lmdb store: ${scale.streams} streams made at ${scale.create_per_s}/s, RSS ${scale.rss_streams_mib} MiB (from ${scale.rss_before_mib}); append to a random one p50 ${scale.append_random_p50_us} µs, p99 ${scale.append_random_p99_us} µs\n`,
);
process.stdout.write(
  `${scale.retained} messages retained in one stream: RSS ${JSON.stringify(scale.retained_rss)}\n\n`,
);

const r = (key: Figure) => {
  const x = ratio(medianOf(ours, key), medianOf(theirs, key));
  return x === null ? null : round(x, 3);
};
const retainedRss = scale.retained_rss as { rss_mib: number }[];
process.stdout.write(
  `${JSON.stringify({
    bench: 'streams',
    quick,
    size: sizes.size,
    runs: RUNS,
    nats_server: natsVersion ?? null,
    append_one_per_s: medianOf(ours, 'append_one_per_s'),
    append_per_s: medianOf(ours, 'append_per_s'),
    append_vs_jetstream: r('append_per_s'),
    append_one_vs_jetstream: r('append_one_per_s'),
    consume_ack_per_s: medianOf(ours, 'consume_ack_per_s'),
    consume_ack_vs_jetstream: r('consume_ack_per_s'),
    replay_per_s: medianOf(ours, 'replay_per_s'),
    replay_vs_jetstream: r('replay_per_s'),
    latency_p50_us: medianOf(ours, 'latency_p50_us'),
    latency_p50_vs_jetstream: r('latency_p50_us'),
    flush_append_one_per_s: medianOf(ours, 'flush_append_one_per_s'),
    flush_append_per_s: medianOf(ours, 'flush_append_per_s'),
    flush_append_vs_jetstream_default: r('flush_append_per_s'),
    nats_driver_append_per_s: driverMedian('append_per_s'),
    nats_driver_append_vs_raw: vsRaw('append_per_s'),
    nats_driver_consume_ack_per_s: driverMedian('consume_ack_per_s'),
    nats_driver_consume_vs_raw: vsRaw('consume_ack_per_s'),
    cpu_us_per_msg: Object.fromEntries(
      phases.map(([phase]) => [
        phase,
        {
          callsign: {
            server: cpuOf(ours, phase, 'server_us'),
            client: cpuOf(ours, phase, 'client_us'),
          },
          jetstream: {
            server: cpuOf(theirs, phase, 'server_us'),
            client: cpuOf(theirs, phase, 'client_us'),
          },
        },
      ]),
    ),
    jetstream: theirs ? Object.fromEntries(keys.map(([k]) => [k, medianOf(theirs, k)])) : null,
    streams_many: scale.streams,
    [`streams_${quick ? '100k' : '1M'}_rss_mib`]: scale.rss_streams_mib,
    streams_1M_rss_mib: quick ? null : scale.rss_streams_mib,
    streams_append_random_p50_us: scale.append_random_p50_us,
    retained_messages: scale.retained,
    retained_rss_first_mib: retainedRss[0]?.rss_mib ?? null,
    retained_rss_last_mib: retainedRss.at(-1)?.rss_mib ?? null,
  })}\n`,
);
process.exit(0);
