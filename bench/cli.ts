/**
 * `npm run bench:cli [-- --runs 30] [-- --quick]`
 *
 * How long the `callsign` command takes to start and answer, as whole
 * processes, against Node's own start in the same run:
 *
 * - `node -e 0`: Node starting and ending, nothing else (the floor).
 * - `callsign --help` and `callsign status` (in a home, no group running):
 *   `node bin/callsign.js ...`, the compiled command line (dist/callsign-front.cjs
 *   and the modules it loads), as installed.
 * - `callsign --help, from sources`: the same command line run from its
 *   TypeScript sources through tsx, as `bin/callsign.js` did before the
 *   package was compiled.
 * - `npx callsign --help`: through npm, as the README's commands run it.
 *
 * The commands run in turn, round after round (after a warm-up round), so
 * that a machine getting busier or quieter affects them alike. Printed:
 * min / median / max wall time in ms, and each median as a multiple of
 * `node -e 0`'s. The goal for `--help` and `status` is a median under
 * 150 ms on a small (2 vCPU) machine.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuBusyPercent } from './lib/machine-load.ts';
import { median, ratio, round } from './lib/stats.ts';
import { formatRatio, formatTable } from './lib/table.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/callsign.js');
const GOAL_MS = 150;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    quick: { type: 'boolean', default: false },
  },
});
const RUNS = args.quick ? 5 : Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 200) {
  throw new Error('--runs must be a whole number from 1 to 200');
}

interface Subject {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Whether it has a goal of GOAL_MS. */
  goal: boolean;
}

/** Runs one subject once; gives its wall time in ms. */
function time(subject: Subject, env: NodeJS.ProcessEnv): number {
  const startedAt = performance.now();
  const r = spawnSync(subject.command, subject.args, {
    cwd: subject.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = performance.now() - startedAt;
  if (r.status !== 0) {
    throw new Error(`${subject.name} exited ${r.status ?? r.signal}: ${r.stderr}`);
  }
  return ms;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/callsign-front.cjs'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm run bench:cli does)');
  }
  const project = mkdtempSync(join(tmpdir(), 'cs-bench-'));
  const env: NodeJS.ProcessEnv = { ...process.env, CALLSIGN_NO_HOST: '1', CALLSIGN_NO_LAN: '1' };
  delete env.CALLSIGN_HOME;
  // npx must find callsign here, never ask the registry.
  env.npm_config_offline = 'true';
  env.npm_config_update_notifier = 'false';
  try {
    const home = join(project, '.callsign');
    time(
      {
        name: 'create',
        command: process.execPath,
        args: [BIN, 'create'],
        cwd: project,
        goal: false,
      },
      env,
    );
    const fromSources = `const { main } = await import(${JSON.stringify(join(ROOT, 'orchestrator/cli.ts'))}); await main(['--help']);`;
    const subjects: Subject[] = [
      {
        name: 'node -e 0',
        command: process.execPath,
        args: ['-e', '0'],
        cwd: project,
        goal: false,
      },
      {
        name: 'callsign --help',
        command: process.execPath,
        args: [BIN, '--help'],
        cwd: project,
        goal: true,
      },
      {
        name: 'callsign status',
        command: process.execPath,
        args: [BIN, 'status'],
        cwd: project,
        goal: true,
      },
      {
        name: 'callsign --help, from sources (tsx)',
        command: process.execPath,
        args: ['--import', 'tsx', '--input-type=module', '-e', fromSources],
        cwd: ROOT,
        goal: false,
      },
      {
        name: 'npx callsign --help',
        command: 'npx',
        args: ['callsign', '--help', `--home=${home}`],
        cwd: ROOT,
        goal: false,
      },
    ];

    const busy = await cpuBusyPercent();
    console.log(
      `machine load before the run: ${busy === null ? 'unknown' : `${busy.toFixed(0)} % busy`}${busy !== null && busy > 10 ? ' (figures will be noisy)' : ''}`,
    );
    for (const s of subjects) time(s, env); // warm-up: disk caches, npm's own caches
    const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
    for (let round = 0; round < RUNS; round++) {
      for (const s of subjects) times.get(s.name)?.push(time(s, env));
    }

    const floor = median(times.get('node -e 0') ?? []);
    const rows = subjects.map((s) => {
      const all = times.get(s.name) ?? [];
      const m = median(all);
      const verdict = !s.goal || m === null ? '' : m < GOAL_MS ? 'yes' : 'no';
      return [
        s.name,
        String(round(Math.min(...all), 0)),
        String(round(m, 0)),
        String(round(Math.max(...all), 0)),
        formatRatio(ratio(m, floor)),
        verdict,
      ];
    });
    console.log(`${RUNS} runs each, interleaved; wall time of the whole process\n`);
    console.log(
      formatTable(
        ['command', 'min ms', 'median ms', 'max ms', 'x node -e 0', `< ${GOAL_MS} ms`],
        rows,
      ),
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

await main();
