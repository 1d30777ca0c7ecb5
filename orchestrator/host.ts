import { appendFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { hostEndpoint } from '../scopes/host/well-known.ts';
import { CallsignError, type ErrorCode, isCallsignError } from '../src/errors.ts';
import { parseEndpoint } from '../src/index.ts';
import {
  loadOrCreateRealm,
  parseRealm,
  REALM_ENV,
  realmFingerprint,
  resolveRealmPath,
} from '../src/internal.ts';
import type { LogLevel } from '../src/runtime/log.ts';
import {
  createExclusively,
  daemonEnv,
  endDaemon,
  readDaemonRecord,
  spawnDaemon,
  waitForDaemon,
} from './daemon.ts';
import { type Home, openHome, resolveHomeDir } from './home.ts';
import { orchestratorLine } from './logs.ts';
import { ownProgram } from './package-files.ts';
import { processIdentity, signalProcess, waitUntilGone } from './pids.ts';
import type { CommandOutput } from './run.ts';
import { formatDuration } from './table.ts';
import { joinedAccess } from './wan/joined.ts';

/** The program of the host directory. */
export const HOST_DIRECTORY_PROGRAM = ownProgram('scopes/host/directory');

/** How long the host directory may take to accept connections. */
export const HOST_READY_MS = 15_000;

/** How long the host directory is given to stop after SIGTERM, before SIGKILL. */
export const HOST_STOP_MS = 5_000;

/** The level the host directory logs at by default: its start, and refused connections. */
export const HOST_DEBUG_LEVEL: LogLevel = 'CONSOLE';

/** Where the command line reads and writes (as in cli.ts). */
export interface HostIo extends CommandOutput {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** What `host.json` holds: the host directory that `callsign host start` started. */
export interface HostRecord {
  kind: 'callsign-host';
  version: 1;
  pid: number;
  /** Tells the process apart from a later one with its pid (see pids.ts). */
  identity: string | null;
  endpoint: string;
  /** The realm file it was started with (the user's default when `realmFrom` is `default`). */
  realmFile: string;
  realmFrom: RealmSource;
  startedAt: string;
}

/** Where the realm of a command comes from. */
export type RealmSource = 'home' | 'CALLSIGN_REALM' | 'default';

/** The realm file a command uses, and the home it was found in if any. */
export interface RealmChoice {
  file: string;
  from: RealmSource;
  home: Home | undefined;
}

/** The host directory's endpoint and the files kept beside it. */
export interface HostPaths {
  endpoint: string;
  /** The folder of the socket (for a TCP endpoint, the user's callsign folder in tmpdir). */
  dir: string;
  stateFile: string;
  logFile: string;
}

/** What `callsign host status --json` prints. */
export interface HostStatus {
  running: boolean;
  endpoint: string;
  /** Whether something accepts connections at the endpoint now. */
  accepting: boolean;
  pid: number | null;
  realmFile: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  log: string;
}

/** Codes that are misuse (exit 2) for the network commands; any other code is a failure (exit 1). */
const MISUSE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_USAGE',
  'ERR_NO_HOME',
  'ERR_INVALID_ENDPOINT',
  'ERR_HOST_RUNNING',
  'ERR_HOST_NOT_RUNNING',
]);

/**
 * Runs a network command: a CallsignError that is not misuse is printed as
 * `callsign: <what> (<CODE>)` and gives exit code 1; misuse is thrown on (the
 * command line prints it and exits 2).
 */
export async function networkCommand(io: CommandOutput, run: () => Promise<number>) {
  try {
    return await run();
  } catch (err) {
    if (isCallsignError(err) && !MISUSE_CODES.has(err.code)) {
      io.stderr(`callsign: ${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}

/** The host directory's endpoint and files, for this environment. */
export function hostPaths(env: NodeJS.ProcessEnv): HostPaths {
  const endpoint = hostEndpoint(env);
  const parsed = parseEndpoint(endpoint); // ERR_INVALID_ENDPOINT for a bad CALLSIGN_HOST
  const dir =
    parsed.kind === 'unix'
      ? dirname(resolve(parsed.path))
      : join(tmpdir(), `callsign-${process.getuid?.() ?? 'user'}`);
  return {
    endpoint,
    dir,
    stateFile: join(dir, 'host.json'),
    logFile: join(dir, 'host.log'),
  };
}

/**
 * The home of a command, if one is found: at `--home` (then it must be
 * there: ERR_NO_HOME), else at `CALLSIGN_HOME` or `./.callsign` if there is
 * one.
 */
export async function findHome(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Home | undefined> {
  const dir = resolveHomeDir(option, env, cwd);
  if (option !== undefined && option !== '') return openHome(dir);
  try {
    return await openHome(dir);
  } catch (err) {
    if (isCallsignError(err, 'ERR_NO_HOME')) return undefined;
    throw err;
  }
}

/**
 * The realm file of a command: the home's if a home is found, else
 * `CALLSIGN_REALM` if set, else the user's default
 * (`~/.config/callsign/realm.json`).
 */
export async function chooseRealm(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<RealmChoice> {
  const home = await findHome(option, env, cwd);
  if (home) return { file: home.realmFile, from: 'home', home };
  const explicit = env[REALM_ENV];
  if (explicit !== undefined && explicit !== '') {
    return { file: resolve(cwd, explicit), from: 'CALLSIGN_REALM', home: undefined };
  }
  return {
    file: resolveRealmPath({ ...env, [REALM_ENV]: undefined }),
    from: 'default',
    home: undefined,
  };
}

/** True when a connection to `endpoint` succeeds within `ms`. */
export function acceptsConnections(endpoint: string, ms = 1000): Promise<boolean> {
  let parsed: ReturnType<typeof parseEndpoint>;
  try {
    parsed = parseEndpoint(endpoint);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolvePromise) => {
    const socket =
      parsed.kind === 'unix'
        ? netConnect(parsed.path)
        : netConnect({ host: parsed.host, port: parsed.port });
    const timer = setTimeout(() => done(false), ms);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The record of the host directory started here, and whether it still runs. */
export async function readHostRecord(
  paths: HostPaths,
): Promise<(HostRecord & { alive: boolean }) | undefined> {
  return readDaemonRecord<HostRecord>(paths.stateFile, 'callsign-host');
}

/**
 * `callsign host start`: starts the host directory detached, in the realm of
 * `realm`, and waits until it accepts connections.
 *
 * @throws CallsignError `ERR_HOST_RUNNING` when one runs already (started
 *   here, or anything accepting connections at the endpoint);
 *   `ERR_LISTEN_FAILED` (or the code it reported) when it exits first;
 *   `ERR_TIMEOUT` when it is not ready within {@link HOST_READY_MS}.
 */
export async function startHost(
  init: { realm: RealmChoice; debugLevel?: LogLevel },
  io: HostIo,
): Promise<number> {
  const paths = hostPaths(io.env);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const before = await readHostRecord(paths);
  if (before?.alive) {
    throw new CallsignError(
      'ERR_HOST_RUNNING',
      `a host directory is already running at ${before.endpoint} (pid ${before.pid})`,
    );
  }
  if (before) await rm(paths.stateFile, { force: true });
  if (await acceptsConnections(paths.endpoint)) {
    throw new CallsignError(
      'ERR_HOST_RUNNING',
      `something already accepts connections at ${paths.endpoint} (not started by \`callsign host start\`)`,
    );
  }

  const { realm } = init;
  // With no LAN directory at this site, the host directory is its top one.
  const wan =
    io.env.CALLSIGN_NO_LAN === '1' ? await joinedAccess(realm.home?.dir, io.env) : undefined;
  const daemon = await spawnDaemon({
    program: HOST_DIRECTORY_PROGRAM,
    args: [`--endpoint=${paths.endpoint}`, `--debug-level=${init.debugLevel ?? HOST_DEBUG_LEVEL}`],
    cwd: paths.dir,
    env: daemonEnv(io.env, realm, {
      CALLSIGN_HOST: paths.endpoint,
      ...(wan ? { CALLSIGN_WAN: wan } : {}),
    }),
    logFile: paths.logFile,
    starting: `starting the host directory at ${paths.endpoint}, realm ${realm.file} (${realm.from})`,
  });
  const pid = daemon.pid;
  const fail = async (err: unknown): Promise<never> => {
    if (pid !== undefined) {
      signalProcess(pid, 'SIGKILL');
      await waitUntilGone(pid, undefined, 2000);
    }
    const current = await readHostRecord(paths);
    if (current?.pid === pid) await rm(paths.stateFile, { force: true });
    throw err;
  };
  if (pid === undefined) {
    return fail(new CallsignError('ERR_LISTEN_FAILED', `cannot run ${process.execPath}`));
  }
  const record: HostRecord = {
    kind: 'callsign-host',
    version: 1,
    pid,
    identity: processIdentity(pid) ?? null,
    endpoint: paths.endpoint,
    realmFile: realm.file,
    realmFrom: realm.from,
    startedAt: new Date().toISOString(),
  };
  if (!(await createExclusively(paths.stateFile, record))) {
    const other = await readHostRecord(paths);
    return fail(
      new CallsignError(
        'ERR_HOST_RUNNING',
        `another \`callsign host start\` got there first${other ? ` (pid ${other.pid})` : ''}`,
      ),
    );
  }

  try {
    await waitForDaemon(daemon, {
      ready: async () => ((await acceptsConnections(paths.endpoint)) ? true : undefined),
      identity: record.identity ?? undefined,
      ms: HOST_READY_MS,
      logFile: paths.logFile,
      exitedBefore: `accepted connections at ${paths.endpoint}`,
      didNot: `accept connections at ${paths.endpoint}`,
      name: 'the host directory',
      stderr: io.stderr,
    });
  } catch (err) {
    return fail(err);
  }
  daemon.child.unref();
  io.stdout(
    `started the host directory (pid ${pid}) at ${paths.endpoint}\n${await describeRealm(realm)}\n${wan ? `above it: the WAN directory of the relay in ${wan}\n` : ''}log ${paths.logFile}\n`,
  );
  return 0;
}

/**
 * `callsign host stop`: SIGTERM to the host directory started here, SIGKILL
 * after {@link HOST_STOP_MS}; removes its state.
 *
 * @throws CallsignError `ERR_HOST_NOT_RUNNING`; `ERR_TIMEOUT` when it does
 *   not go even after SIGKILL.
 */
export async function stopHost(io: HostIo): Promise<number> {
  const paths = hostPaths(io.env);
  const record = await readHostRecord(paths);
  if (!record?.alive) {
    const accepting = await acceptsConnections(paths.endpoint);
    let died = '';
    if (record) {
      // It had died: forget it, and the socket it left.
      await rm(paths.stateFile, { force: true });
      await removeDeadSocket(paths.endpoint, accepting);
      died = ` (the one started at ${record.startedAt}, pid ${record.pid}, had died)`;
    }
    const other = accepting
      ? `; something not started by \`callsign host start\` accepts connections there`
      : '';
    throw new CallsignError(
      'ERR_HOST_NOT_RUNNING',
      `no host directory started by \`callsign host start\` is running at ${paths.endpoint}${died}${other}`,
    );
  }
  const how = await endDaemon(record, HOST_STOP_MS, 'the host directory');
  const current = await readHostRecord(paths);
  if (current?.pid === record.pid) await rm(paths.stateFile, { force: true });
  await removeDeadSocket(paths.endpoint, await acceptsConnections(paths.endpoint));
  appendFileSync(paths.logFile, orchestratorLine(`host directory pid ${record.pid} ${how}`), {
    mode: 0o600,
  });
  io.stdout(`${how}: the host directory (pid ${record.pid}) at ${record.endpoint}\n`);
  return 0;
}

/** `callsign host status`: the host directory started here, if it runs. */
export async function readHostStatus(
  io: Pick<HostIo, 'env'>,
  now: number = Date.now(),
): Promise<HostStatus> {
  const paths = hostPaths(io.env);
  const record = await readHostRecord(paths);
  const accepting = await acceptsConnections(paths.endpoint);
  const running = record?.alive === true;
  return {
    running,
    endpoint: paths.endpoint,
    accepting,
    pid: running ? (record?.pid ?? null) : null,
    realmFile: running ? (record?.realmFile ?? null) : null,
    startedAt: running ? (record?.startedAt ?? null) : null,
    uptimeSeconds:
      running && record
        ? Math.max(0, Math.floor((now - Date.parse(record.startedAt)) / 1000))
        : null,
    log: paths.logFile,
  };
}

/** The host status as people read it. */
export function formatHostStatus(status: HostStatus): string {
  if (!status.running) {
    const other = status.accepting
      ? ` (something not started by \`callsign host start\` accepts connections at ${status.endpoint})`
      : '';
    return `not running${other}\n`;
  }
  const rows = [
    ['pid', String(status.pid)],
    ['endpoint', status.endpoint],
    ['realm file', status.realmFile ?? '-'],
    ['uptime', formatDuration((status.uptimeSeconds ?? 0) * 1000)],
    ['accepting', status.accepting ? 'yes' : 'no (starting, or not answering)'],
    ['log', status.log],
  ];
  return `host directory running\n${rows.map(([k, v]) => `  ${(k ?? '').padEnd(11)}${v}\n`).join('')}`;
}

/**
 * Which realm a directory serves, and from where, as `host start` says it:
 * only nodes of that realm file meet there, so a home's realm comes with
 * what programs outside the home need to use it.
 */
export async function describeRealm(realm: RealmChoice): Promise<string> {
  let named = '';
  try {
    const r =
      realm.from === 'default'
        ? await loadOrCreateRealm(realm.file)
        : parseRealm(await readFile(realm.file, 'utf8'));
    named = ` ${r.name} (fingerprint ${realmFingerprint(r)})`;
  } catch {
    // The directory reports a bad realm file itself.
  }
  const from =
    realm.from === 'home'
      ? `the home at ${realm.home?.dir ?? dirname(realm.file)}`
      : realm.from === 'CALLSIGN_REALM'
        ? 'CALLSIGN_REALM'
        : "this user's default";
  const line = `realm${named}: ${realm.file} (${from})`;
  if (realm.from === 'default') return line;
  return `${line}\nonly nodes of this realm meet here: start programs outside it with CALLSIGN_REALM=${realm.file}`;
}

/** A killed directory leaves its socket behind: removed when nobody answers there. */
async function removeDeadSocket(endpoint: string, accepting: boolean): Promise<void> {
  const parsed = parseEndpoint(endpoint);
  if (parsed.kind === 'unix' && !accepting) await rm(parsed.path, { force: true });
}
