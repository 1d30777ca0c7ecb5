import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { CallsignError, ERROR_CODES, type ErrorCode } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import { REALM_ENV } from '../src/internal.ts';
import { errnoOf, readJsonObject } from './files.ts';
import { HOME_ENV } from './home.ts';
import { orchestratorLine } from './logs.ts';
import { isRunning, signalProcess, waitUntilGone } from './pids.ts';
import { ownProgramArguments } from './program.ts';

/**
 * What the background daemons (`callsign host`, `callsign lan`) share: their
 * state file, environment, start, readiness and end.
 */

/**
 * Creates `path` with `value` as JSON, atomically and only if there is no
 * file there: written in full under another name, then linked into place.
 */
export async function createExclusively(path: string, value: unknown): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The size of `path`, 0 when it does not exist. */
export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 0;
    throw err;
  }
}

/** The last 20 lines of `path` from byte `offset` on (what a daemon logged since). */
export async function readFrom(path: string, offset: number): Promise<string> {
  try {
    const lines = (await readFile(path)).subarray(offset).toString('utf8').trimEnd().split('\n');
    return `${lines.length > 20 ? '...\n' : ''}${lines.slice(-20).join('\n')}`;
  } catch {
    return '';
  }
}

/** The last error code a log names, if it is one of ours. */
export function codeIn(text: string): ErrorCode | undefined {
  const codes = [...text.matchAll(/\((ERR_[A-Z_]+)\)/g)].map((m) => m[1]);
  const last = codes[codes.length - 1];
  return (ERROR_CODES as readonly string[]).includes(last ?? '') ? (last as ErrorCode) : undefined;
}

/** What every daemon's state file records. */
export interface DaemonRecord {
  kind: string;
  pid: number;
  /** The process's identity (pids.ts), so a reused pid is never taken for it. */
  identity: string | null;
}

/** The record in `stateFile` if it is of `kind`, and whether its process still runs. */
export async function readDaemonRecord<R extends DaemonRecord>(
  stateFile: string,
  kind: R['kind'],
): Promise<(R & { alive: boolean }) | undefined> {
  let file: Record<string, unknown> | undefined;
  try {
    file = await readJsonObject(stateFile);
  } catch (err) {
    if (err instanceof CallsignError) return undefined; // not JSON: as if absent
    throw err;
  }
  if (file?.kind !== kind || typeof file.pid !== 'number') return undefined;
  const record = file as unknown as R;
  return { ...record, alive: isRunning(record.pid, record.identity ?? undefined) };
}

/**
 * The environment of a daemon: the caller's, less a role's variables (a
 * daemon is nobody's role), with the realm file unless it is the default.
 */
export function daemonEnv(
  env: NodeJS.ProcessEnv,
  realm: { file: string; from: string },
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, ...extra };
  for (const name of [
    HOME_ENV,
    'CALLSIGN_GROUP',
    'CALLSIGN_ROLE',
    'CALLSIGN_NODE_KEYS',
    REALM_ENV,
  ]) {
    delete out[name];
  }
  if (realm.from !== 'default') out[REALM_ENV] = realm.file;
  return out;
}

/** A daemon just started: its process and where its log began. */
export interface SpawnedDaemon {
  child: ChildProcess;
  pid: number | undefined;
  /** The log's size before this start: what the daemon says comes after. */
  logOffset: number;
  /** True once the process has exited (or could not be started). */
  readonly exited: boolean;
}

/**
 * Starts `program` detached, its stdout and stderr appended to `logFile`
 * after a line saying `starting`.
 */
export async function spawnDaemon(init: {
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  starting: string;
}): Promise<SpawnedDaemon> {
  const logOffset = await sizeOf(init.logFile);
  appendFileSync(init.logFile, orchestratorLine(init.starting), { mode: 0o600 });
  const log = openSync(init.logFile, 'a', 0o600);
  const child = spawn(process.execPath, ownProgramArguments(init.program, init.args), {
    cwd: init.cwd,
    env: init.env,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  return {
    child,
    pid: child.pid,
    logOffset,
    get exited() {
      return exited;
    },
  };
}

/**
 * Waits until `ready()` answers, polling every 50 ms. When the daemon exits
 * first, prints what it logged and throws the code its log names (else
 * `ERR_LISTEN_FAILED`); after `ms`, throws `ERR_TIMEOUT`.
 */
export async function waitForDaemon<T>(
  daemon: SpawnedDaemon,
  init: {
    ready: () => Promise<T | undefined>;
    identity: string | undefined;
    ms: number;
    logFile: string;
    /** For the messages: `… exited before it <exitedBefore>`, e.g. `accepted connections at …`. */
    exitedBefore: string;
    /** For the messages: `… did not <didNot> within …`, e.g. `accept connections at …`. */
    didNot: string;
    /** The daemon's name, e.g. `the host directory`. */
    name: string;
    stderr: (text: string) => void;
  },
): Promise<T> {
  const deadline = Date.now() + init.ms;
  for (;;) {
    const ready = await init.ready();
    if (ready !== undefined) return ready;
    if (daemon.exited || daemon.pid === undefined || !isRunning(daemon.pid, init.identity)) {
      const said = await readFrom(init.logFile, daemon.logOffset);
      init.stderr(`${said.replace(/^/gm, '  | ')}\n`);
      throw new CallsignError(
        codeIn(said) ?? 'ERR_LISTEN_FAILED',
        `${init.name} exited before it ${init.exitedBefore} (its log, ${init.logFile}, ends as above)`,
      );
    }
    if (Date.now() >= deadline) {
      throw new CallsignError(
        'ERR_TIMEOUT',
        `${init.name} did not ${init.didNot} within ${init.ms / 1000} s; see ${init.logFile}`,
      );
    }
    await sleep(50);
  }
}

/**
 * Ends a daemon: SIGTERM, then SIGKILL after `stopMs`. Returns how it went
 * (`stopped`, or `killed (...)`).
 *
 * @throws CallsignError `ERR_TIMEOUT` when it does not go even after SIGKILL.
 */
export async function endDaemon(
  record: DaemonRecord,
  stopMs: number,
  name: string,
): Promise<string> {
  const identity = record.identity ?? undefined;
  signalProcess(record.pid, 'SIGTERM', identity);
  if (await waitUntilGone(record.pid, identity, stopMs)) return 'stopped';
  signalProcess(record.pid, 'SIGKILL', identity);
  if (!(await waitUntilGone(record.pid, identity, 2000))) {
    throw new CallsignError(
      'ERR_TIMEOUT',
      `${name} (pid ${record.pid}) did not end even after SIGKILL`,
    );
  }
  return `killed (it did not stop within ${stopMs / 1000} s of SIGTERM)`;
}
