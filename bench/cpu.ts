/**
 * `npm run bench:cpu [-- --only callsign,ws] [--scale N]`
 *
 * CPU time per operation, a measure that holds on a busy machine where
 * wall-clock figures do not: each stack of `stacks/registry.ts` runs its
 * server and its client **in this one process** (over loopback TCP, as in
 * `bench:transport`), so that `process.cpuUsage()` around a fixed number of
 * operations counts both ends. For NATS the CPU of `nats-server` (read from
 * /proc) is added, since it does a third of the work.
 *
 * Per stack and payload size (100 B and 16 KiB) it gives:
 * - CPU µs per round trip (one request in flight), and per message one way
 *   (the stack's first throughput variant);
 * - garbage collections per 1000 operations, minor (scavenge) and major
 *   (mark-compact), from `PerformanceObserver`.
 *
 * In one process the wall time of a round trip is close to its CPU time, and
 * that is also what a round trip costs when the two processes share the
 * cores unpinned (`bench:lan`). Last line: one JSON object.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Stack, StackClient, StackFixture } from './lib/stack.ts';
import { formatTable } from './lib/table.ts';
import { loadStack, STACK_NAMES } from './stacks/registry.ts';

/** Per payload size, operations per measurement at scale 1: round trips, then one-way messages. */
const PLANS = [
  { size: 100, rtt: 20_000, push: 400_000 },
  { size: 16 * 1024, rtt: 5_000, push: 40_000 },
] as const;
const WARMUP_FRACTION = 0.2;
const PUSH_TIMEOUT_S = 120;
/** Linux reports process times in clock ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

/** What one measured loop cost. */
interface Cost {
  readonly operations: number;
  /** CPU µs per operation, this process (user + system), plus any helper process of the stack. */
  readonly cpu_us: number;
  /** Wall µs per operation. */
  readonly wall_us: number;
  readonly minor_gc_per_1k: number;
  readonly major_gc_per_1k: number;
}

let minorGcs = 0;
let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
  }
}).observe({ entryTypes: ['gc'] });

/** CPU seconds used so far by process `pid` (from /proc), or 0 when unknown. */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Lets pending GC entries reach the observer before they are counted. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

async function measured(
  operations: number,
  helperPids: readonly number[],
  run: () => Promise<void>,
): Promise<Cost> {
  await settle();
  const helperBefore = helperPids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
  const gcBefore = [minorGcs, majorGcs];
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e3;
  const cpu = process.cpuUsage(cpuBefore);
  await settle();
  const helper = helperPids.reduce((s, pid) => s + processCpuSeconds(pid), 0) - helperBefore;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    operations,
    cpu_us: round((cpu.user + cpu.system + helper * 1e6) / operations),
    wall_us: round(wall / operations),
    minor_gc_per_1k: round(((minorGcs - (gcBefore[0] as number)) * 1000) / operations),
    major_gc_per_1k: round(((majorGcs - (gcBefore[1] as number)) * 1000) / operations),
  };
}

async function roundTrips(client: StackClient, payload: Uint8Array, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const reply = await client.request(payload);
    if (reply.byteLength !== payload.byteLength) throw new Error('reply of the wrong size');
  }
}

async function push(
  client: StackClient,
  variant: string,
  payload: Uint8Array,
  count: number,
): Promise<void> {
  const signal = AbortSignal.timeout(PUSH_TIMEOUT_S * 1e3);
  const confirmed = await client.push(payload, count, { variant, signal });
  if (confirmed !== count) throw new Error(`receiver confirmed ${confirmed} of ${count}`);
}

/** Every measurement of one stack, server and client in this process. */
async function measureStack(
  stack: Stack,
  scale: number,
): Promise<Record<string, Cost> & { fixture?: string }> {
  const fixture: StackFixture | undefined = await stack.setup?.();
  const params = fixture?.params ?? {};
  const helpers = fixture?.pids ?? [];
  const server = await stack.serve(params);
  const client = await stack.connect(server.endpoint, params);
  const variant = (stack.variants[0] as { id: string }).id;
  const out: Record<string, Cost> = {};
  try {
    for (const plan of PLANS) {
      const { size } = plan;
      const payload = new Uint8Array(randomBytes(size));
      const rtt = Math.max(100, Math.round(plan.rtt * scale));
      await roundTrips(client, payload, Math.round(rtt * WARMUP_FRACTION));
      out[`rtt_${size}`] = await measured(rtt, helpers, () => roundTrips(client, payload, rtt));
      const count = Math.max(1000, Math.round(plan.push * scale));
      await push(client, variant, payload, Math.round(count * WARMUP_FRACTION));
      out[`push_${size}`] = await measured(count, helpers, () =>
        push(client, variant, payload, count),
      );
    }
  } finally {
    await client.close();
    await server.close();
    await fixture?.close();
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, scale: { type: 'string' } },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(scale > 0 && scale <= 10)) throw new Error('--scale must be above 0 and at most 10');
  const results: Record<string, Record<string, Cost> | string> = {};
  for (const name of STACK_NAMES.filter((n) => only?.includes(n) ?? true)) {
    const loaded = await loadStack(name);
    if ('missing' in loaded) {
      results[name] = loaded.missing;
      continue;
    }
    const available = await loaded.stack.available();
    if (available !== true) {
      results[name] = available;
      continue;
    }
    process.stderr.write(`${name}...\n`);
    results[name] = await measureStack(loaded.stack, scale);
  }

  const headers = ['stack', 'measure', 'CPU µs/op', 'wall µs/op', 'minor GC/1k', 'major GC/1k'];
  const rows: string[][] = [];
  for (const [name, r] of Object.entries(results)) {
    if (typeof r === 'string') {
      rows.push([name, `skipped: ${r}`, '', '', '', '']);
      continue;
    }
    for (const [key, c] of Object.entries(r)) {
      const [kind, size] = key.split('_');
      const label = `${kind === 'rtt' ? 'round trip' : 'one way'} ${size === '100' ? '100 B' : '16 KiB'}`;
      rows.push([name, label, c.cpu_us.toFixed(2), c.wall_us.toFixed(2)]);
      rows[rows.length - 1]?.push(c.minor_gc_per_1k.toFixed(1), c.major_gc_per_1k.toFixed(2));
    }
  }
  console.log('\nCPU per operation, server and client in one process (lower is better)\n');
  console.log(formatTable(headers, rows));
  console.log(`\n${JSON.stringify({ node: process.version, scale, results })}`);
  process.exit(0);
}

await main();
