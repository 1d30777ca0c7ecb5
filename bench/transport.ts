/**
 * `npm run bench:transport [-- --quick] [--no-pin] [--only ws,nats] [--reps N]`
 *
 * Measures every stack in `stacks/registry.ts` in the same run: round-trip
 * latency (one request in flight) and one-way throughput, for 100 B and
 * 16 KiB payloads, each stack as a server and a client process pinned to two
 * different cores. Prints a table, the ratios, and as the last line one JSON
 * object (see README.md).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ReportingChild } from './lib/child.ts';
import { cpuBusyPercent } from './lib/machine-load.ts';
import { detectPinning, type Pinning } from './lib/pinning.ts';
import {
  type ClientPlan,
  PAYLOAD_SIZES,
  type RoundTripMessage,
  sizeLabel,
  type ThroughputMessage,
} from './lib/protocol.ts';
import {
  aggregate,
  LARGE,
  type RunResult,
  rttP50,
  SMALL,
  type StackReport,
  sizeKey,
  skippedReport,
  summary,
  throughputOf,
} from './lib/results.ts';
import type { Stack, StackFixture } from './lib/stack.ts';
import { ratio } from './lib/stats.ts';
import {
  formatMegabytes,
  formatMicros,
  formatRate,
  formatRatio,
  formatTable,
  MISSING,
} from './lib/table.ts';
import { loadStack, STACK_NAMES } from './stacks/registry.ts';

/** How much to measure: a full run takes a few minutes at most, a quick one well under one. */
interface Profile {
  readonly name: 'full' | 'quick';
  readonly repetitions: number;
  readonly plan: Omit<ClientPlan, 'variants'>;
}

const FULL: Profile = {
  name: 'full',
  repetitions: 3,
  plan: {
    sizes: PAYLOAD_SIZES,
    roundTrip: { warmup: 2_000, iterations: 20_000, maxSeconds: 2 },
    throughput: {
      warmupBytes: 8e6,
      targetSeconds: 1,
      minCount: 2_000,
      maxBytes: 2e9,
      timeoutSeconds: 30,
    },
  },
};

const QUICK: Profile = {
  name: 'quick',
  repetitions: 1,
  plan: {
    sizes: PAYLOAD_SIZES,
    roundTrip: { warmup: 2_000, iterations: 5_000, maxSeconds: 1 },
    throughput: {
      warmupBytes: 2e6,
      targetSeconds: 0.3,
      minCount: 1_000,
      maxBytes: 5e8,
      timeoutSeconds: 15,
    },
  },
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
/** Above this much CPU use by others before the run, the output warns that figures will be noisy. */
const BUSY_WARNING_PERCENT = 10;
/** Upper bound on the lines one client child reports, so the reading loop is bounded. */
const MAX_REPORTS = 1_000;

/** A stack that can run, with what its setup started. */
interface Runnable {
  readonly stack: Stack;
  readonly file: string;
  readonly fixture: StackFixture | undefined;
}

const USAGE = `usage: npm run bench:transport -- [--quick] [--no-pin] [--only NAME,...] [--reps N]
  --quick     fewer iterations, one repetition (under a minute)
  --no-pin    do not pin server and client to cores with taskset
  --only      measure only these stacks (of ${STACK_NAMES.join(', ')})
  --reps N    repetitions per stack (default 3, or 1 with --quick)`;

function parseCommandLine(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      only: { type: 'string' },
      reps: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const profile = values.quick ? QUICK : FULL;
  const repetitions = values.reps === undefined ? profile.repetitions : Number(values.reps);
  if (!Number.isInteger(repetitions) || repetitions < 1 || repetitions > 20) {
    throw new Error('--reps must be an integer from 1 to 20');
  }
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !(STACK_NAMES as readonly string[]).includes(name));
  if (unknown?.length) throw new Error(`unknown stack: ${unknown.join(', ')}`);
  return { help: values.help, profile, repetitions, pin: !values['no-pin'], only };
}

/** Messages go to stderr while measuring, so stdout holds only the results. */
function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * One run of a stack: starts its server child, then its client child, and
 * collects the client's reports until it is done. Both children are stopped
 * whatever happens; a failure ends the run with what was measured so far.
 */
async function runOnce(runnable: Runnable, plan: ClientPlan, pinning: Pinning): Promise<RunResult> {
  const { stack, file } = runnable;
  const params = JSON.stringify(runnable.fixture?.params ?? {});
  const rtt: RoundTripMessage[] = [];
  const throughput: ThroughputMessage[] = [];
  const server = new ReportingChild({
    label: `${stack.name} server`,
    command: process.execPath,
    args: ['--import', 'tsx', file, 'server', '--params', params],
    cpu: pinning.enabled ? pinning.serverCpu : undefined,
    cwd: ROOT,
  });
  let client: ReportingChild | undefined;
  try {
    const { endpoint } = await server.expect('ready', READY_TIMEOUT_MS);
    client = new ReportingChild({
      label: `${stack.name} client`,
      command: process.execPath,
      args: [
        ...['--import', 'tsx', file, 'client', '--endpoint', endpoint, '--params', params],
        ...['--plan', JSON.stringify(plan)],
      ],
      cpu: pinning.enabled ? pinning.clientCpu : undefined,
      cwd: ROOT,
    });
    // Each report comes within one measurement: three pushes, each bounded by the timeout.
    const reportTimeoutMs = (3 * plan.throughput.timeoutSeconds + READY_TIMEOUT_MS / 1e3) * 1e3;
    for (let i = 0; i < MAX_REPORTS; i++) {
      const message = await client.next(reportTimeoutMs);
      switch (message.type) {
        case 'rtt':
          rtt.push(message);
          break;
        case 'throughput':
          throughput.push(message);
          break;
        case 'error':
          throw new Error(`${stack.name} client: ${message.message}`);
        case 'done':
          return { rtt, throughput };
      }
    }
    throw new Error(`${stack.name} client sent more than ${MAX_REPORTS} reports`);
  } catch (error) {
    return { rtt, throughput, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await Promise.all([client?.stop(), server.stop()]);
  }
}

/** One line of progress for a finished run. */
function describeRun(result: RunResult): string {
  const parts = result.rtt
    .filter((m) => m.size === SMALL)
    .map((m) => `rtt p50 ${formatMicros(m.p50_us)} µs`);
  if (result.error !== undefined) parts.push(`FAILED: ${result.error.split('\n')[0]}`);
  return parts.join(', ');
}

function printTables(
  order: readonly string[],
  reports: ReadonlyMap<string, StackReport>,
  sizes: readonly number[],
): void {
  const ran = order.filter((name) => {
    const status = reports.get(name)?.status;
    return status !== undefined && status !== 'skipped';
  });
  console.log('\nRound trip, one request in flight (µs; lower is better)\n');
  const rttHeaders = ['stack'];
  for (const size of sizes) {
    for (const p of ['p50', 'p90', 'p99']) rttHeaders.push(`${sizeLabel(size)} ${p}`);
  }
  const rttRows = ran.map((name) => {
    const row = [name];
    for (const size of sizes) {
      const f = reports.get(name)?.rtt_us[sizeKey(size)] ?? null;
      row.push(formatMicros(f?.p50_us ?? null), formatMicros(f?.p90_us ?? null));
      row.push(formatMicros(f?.p99_us ?? null));
    }
    return row;
  });
  console.log(formatTable(rttHeaders, rttRows));

  console.log('\nOne-way throughput, receiver confirms all (higher is better; MB = 10^6 B)\n');
  const tputHeaders = ['stack', 'sender'];
  for (const size of sizes) tputHeaders.push(`${sizeLabel(size)} msg/s`, `${sizeLabel(size)} MB/s`);
  const tputRows: string[][] = [];
  for (const name of ran) {
    for (const [, variant] of Object.entries(reports.get(name)?.throughput ?? {})) {
      const row = [name, variant.label];
      for (const size of sizes) {
        const f = variant.sizes[sizeKey(size)] ?? null;
        row.push(formatRate(f?.msgs_per_s ?? null), formatMegabytes(f?.mb_per_s ?? null));
      }
      tputRows.push(row);
    }
  }
  console.log(formatTable(tputHeaders, tputRows, ['left', 'left']));
}

function printRatios(reports: ReadonlyMap<string, StackReport>): void {
  console.log(
    '\nRatios (rtt: below 1 is faster; throughput: above 1 is faster; first sender of each stack)\n',
  );
  const pairs = [
    ['callsign', 'ws'],
    ['callsign', 'nats'],
    ['ws', 'nats'],
  ] as const;
  const rows = pairs.map(([a, b]) => {
    const ra = reports.get(a);
    const rb = reports.get(b);
    return [
      `${a} / ${b}`,
      formatRatio(ratio(rttP50(ra, SMALL), rttP50(rb, SMALL))),
      formatRatio(ratio(rttP50(ra, LARGE), rttP50(rb, LARGE))),
      formatRatio(
        ratio(
          throughputOf(ra, SMALL)?.msgs_per_s ?? null,
          throughputOf(rb, SMALL)?.msgs_per_s ?? null,
        ),
      ),
      formatRatio(
        ratio(throughputOf(ra, LARGE)?.mb_per_s ?? null, throughputOf(rb, LARGE)?.mb_per_s ?? null),
      ),
    ];
  });
  console.log(
    formatTable(['ratio', 'rtt p50 100 B', 'rtt p50 16 KiB', 'msg/s 100 B', 'MB/s 16 KiB'], rows),
  );
  const missing = ['callsign', 'ws', 'nats'].filter((name) => {
    const status = reports.get(name)?.status;
    return status === undefined || status === 'skipped' || status === 'failed';
  });
  if (missing.length > 0) console.log(`\n${MISSING} : ${missing.join(', ')} not measured`);
}

async function main(): Promise<void> {
  const options = parseCommandLine(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  // Children (and nats-server) are killed by the exit hook of lib/child.ts.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      process.exit(code);
    });
  }

  const { profile, repetitions } = options;
  const pinning = await detectPinning(options.pin);
  console.log(
    `callsign transport benchmark: ${profile.name} run, ${repetitions} repetition(s), median reported`,
  );
  console.log(`node ${process.version}; ${pinning.summary}`);
  const busy = await cpuBusyPercent();
  console.log(
    busy === null
      ? 'machine load before the run: unknown'
      : `machine load before the run: ${busy.toFixed(0)}% of all CPUs busy${busy >= BUSY_WARNING_PERCENT ? ' (WARNING: other processes are running; figures will be noisy)' : ''}`,
  );

  const order = STACK_NAMES.filter((name) => options.only?.includes(name) ?? true);
  const reports = new Map<string, StackReport>();
  const runnables: Runnable[] = [];
  const runs = new Map<string, RunResult[]>();
  try {
    for (const name of order) {
      const loaded = await loadStack(name);
      if ('missing' in loaded) {
        console.log(`${name}: skipped (${loaded.missing})`);
        reports.set(name, skippedReport(loaded.missing));
        continue;
      }
      const { stack } = loaded;
      const available = await stack.available();
      if (available !== true) {
        console.log(`${name}: skipped (${available})`);
        reports.set(name, skippedReport(available, stack.description));
        continue;
      }
      let fixture: StackFixture | undefined;
      try {
        fixture = await stack.setup?.();
      } catch (error) {
        const reason = `setup failed: ${error instanceof Error ? error.message : String(error)}`;
        console.log(`${name}: skipped (${reason})`);
        reports.set(name, skippedReport(reason, stack.description));
        continue;
      }
      console.log(`${name}: ${stack.description}${fixture?.summary ? `; ${fixture.summary}` : ''}`);
      runnables.push({ stack, file: loaded.file, fixture });
      runs.set(name, []);
    }

    // Round-robin over the stacks, starting one further each repetition, so
    // that drift during the run does not favour any stack.
    for (let rep = 0; rep < repetitions; rep++) {
      for (let k = 0; k < runnables.length; k++) {
        const runnable = runnables[(rep + k) % runnables.length] as Runnable;
        const { stack } = runnable;
        const started = Date.now();
        const plan: ClientPlan = { ...profile.plan, variants: stack.variants.map((v) => v.id) };
        const result = await runOnce(runnable, plan, pinning);
        runs.get(stack.name)?.push(result);
        const seconds = ((Date.now() - started) / 1e3).toFixed(1);
        progress(
          `  [${rep + 1}/${repetitions}] ${stack.name}: ${describeRun(result)} (${seconds} s)`,
        );
      }
    }
  } finally {
    await Promise.all(runnables.map((r) => r.fixture?.close()));
  }

  for (const { stack, fixture } of runnables) {
    reports.set(
      stack.name,
      aggregate(runs.get(stack.name) ?? [], {
        sizes: profile.plan.sizes,
        variants: stack.variants,
        description: stack.description,
        setup: fixture?.summary,
      }),
    );
  }
  printTables(order, reports, profile.plan.sizes);
  printRatios(reports);
  for (const [name, report] of reports) {
    if (report.status === 'failed' || report.status === 'incomplete') {
      console.log(`\n${name} ${report.status}: ${report.reason}`);
    }
  }
  const ordered = new Map(
    order.flatMap((name) => {
      const report = reports.get(name);
      return report ? [[name, report] as const] : [];
    }),
  );
  const json = summary(ordered, {
    profile: profile.name,
    repetitions,
    pinning: pinning.summary,
    pinned: pinning.enabled,
    cpu_busy_before_pct: busy === null ? null : Math.round(busy),
    node: process.version,
  });
  console.log(`\n${JSON.stringify(json)}`);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exitCode = 1;
}
