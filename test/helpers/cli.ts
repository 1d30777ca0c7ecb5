import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { onTestFinished } from 'vitest';
import { ROOT } from './processes.ts';

/** The `callsign` command, as package.json declares it. */
export const CALLSIGN_BIN = join(ROOT, 'bin/callsign.js');

/** The role programs of the CLI tests. */
export const PROGRAMS = join(ROOT, 'test/integration/programs');

/** How a `callsign` command ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A `callsign` command still running. */
export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stdout or stderr has matched `pattern`; rejects if the command ends first or time runs out. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves when the command has ended and all its output has arrived. */
  done: Promise<CliResult>;
}

/** A temporary project folder to run `callsign` in, as a user would. */
export interface CliProject {
  /** The folder (the cwd of every command). */
  dir: string;
  /** Its home, `<dir>/.callsign`. */
  home: string;
  /** Runs `callsign <args>` in the folder to its end. */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Starts `callsign <args>` in the folder. */
  start(args: readonly string[], env?: NodeJS.ProcessEnv): CliProcess;
}

/** The environment of commands: ours, without any callsign variables, and no host directory. */
function cliEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CALLSIGN_')) env[k] = v;
  }
  // Tests never announce or look for anything on the machine's real network.
  return { ...env, CALLSIGN_NO_HOST: '1', CALLSIGN_NO_LAN: '1', ...extra };
}

/**
 * Makes a temporary project folder. When the test finishes, a group still
 * running in its home is stopped (`callsign stop`, then SIGKILL to what it
 * recorded) and the folder removed.
 */
export function cliProject(): CliProject {
  // A short path: the group socket must fit in 107 bytes.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cs-')));
  const home = join(dir, '.callsign');
  const running = new Set<CliProcess>();
  onTestFinished(async () => {
    for (const p of running) {
      p.child.kill('SIGKILL');
      await p.done;
    }
    stopLeftovers(dir, home);
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess => {
    const p = startCli(dir, args, cliEnv(env));
    running.add(p);
    void p.done.then(() => running.delete(p));
    return p;
  };
  return {
    dir,
    home,
    start,
    run: (args, env) => start(args, env).done,
  };
}

function startCli(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CALLSIGN_BIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let ended = false;
  const watchers = new Set<() => void>();
  const wake = () => {
    for (const w of watchers) w();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    wake();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal, stdout, stderr });
      wake();
    });
  });
  const what = `callsign ${args.join(' ')}`;
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${what} printed no ${pattern} within ${ms} ms\n${stdout}\n${stderr}`));
        }, ms);
        const finish = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        const check = () => {
          const m = stdout.match(pattern) ?? stderr.match(pattern);
          if (m) {
            finish();
            resolve(m);
          } else if (ended) {
            finish();
            reject(new Error(`${what} ended before printing ${pattern}\n${stdout}\n${stderr}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/**
 * Stops a group a test left running in `home` (`callsign stop`); if that
 * fails, kills what it recorded, by pid, each checked to belong to this home.
 */
function stopLeftovers(dir: string, home: string): void {
  const supervisorFile = join(home, 'run/supervisor.json');
  const supervisor = readJson(supervisorFile) as { pid?: number } | undefined;
  if (supervisor === undefined) return;
  const state = readJson(join(home, 'run/state.json')) as
    | { roles?: { pid: number | null }[]; directory?: { pid: number | null } }
    | undefined;
  spawnSync(process.execPath, [CALLSIGN_BIN, 'stop'], {
    cwd: dir,
    env: cliEnv({}),
    timeout: 20_000,
    stdio: 'ignore',
  });
  if (readJson(supervisorFile) === undefined) return;
  const pids = [supervisor.pid, state?.directory?.pid, ...(state?.roles ?? []).map((r) => r.pid)];
  for (const pid of pids) {
    if (typeof pid === 'number' && belongsTo(pid, home)) process.kill(pid, 'SIGKILL');
  }
}

/** True when process `pid` runs with CALLSIGN_HOME set to `home` (as the group's processes do). */
function belongsTo(pid: number, home: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes(`CALLSIGN_HOME=${home}`);
  } catch {
    return false;
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Waits until `check` gives a value (not undefined), polling; rejects after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True while process `pid` runs (a zombie, ended but not yet reaped, does not count). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Makes a project with a home (`callsign create`) and the roles given, written
 * straight into `roles/<role>.json` as docs/cli.md describes it (quicker than
 * `callsign add` for tests that are about running roles).
 */
export async function cliProjectWithRoles(
  roles: Record<string, { program: string; settings?: Record<string, unknown> }>,
): Promise<CliProject> {
  const p = cliProject();
  const created = await p.run(['create']);
  if (created.code !== 0) throw new Error(`callsign create failed: ${created.stderr}`);
  for (const [role, { program, settings = {} }] of Object.entries(roles)) {
    const file = { program: relative(p.dir, program), settings };
    writeFileSync(join(p.home, 'roles', `${role}.json`), JSON.stringify(file));
  }
  return p;
}
