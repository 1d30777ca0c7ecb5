import { appendFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CallsignError, isCallsignError } from '../src/errors.ts';
import { parseEndpoint } from '../src/index.ts';
import type { LogLevel } from '../src/runtime/log.ts';
import {
  createExclusively,
  daemonEnv,
  endDaemon,
  readDaemonRecord,
  spawnDaemon,
  waitForDaemon,
} from './daemon.ts';
import { writeJsonAtomic } from './files.ts';
import {
  acceptsConnections,
  type HostIo,
  hostPaths,
  networkCommand,
  type RealmChoice,
  type RealmSource,
} from './host.ts';
import { orchestratorLine } from './logs.ts';
import { ownProgram } from './package-files.ts';
import { processIdentity, signalProcess, waitUntilGone } from './pids.ts';
import type { CommandOutput } from './run.ts';
import { formatDuration } from './table.ts';
import { joinedAccess } from './wan/joined.ts';

/** The program of the LAN directory. */
export const LAN_DIRECTORY_PROGRAM = ownProgram('scopes/lan/directory');

/** The environment variable that moves `lan.json` and `lan.log` elsewhere (tests). */
export const LAN_STATE_DIR_ENV = 'CALLSIGN_LAN_STATE_DIR';

/** How long the LAN directory may take to listen and announce itself. */
export const LAN_READY_MS = 15_000;

/** How long the LAN directory is given to stop after SIGTERM, before SIGKILL. */
export const LAN_STOP_MS = 5_000;

/** The level the LAN directory logs at by default: its start, and refused connections. */
export const LAN_DEBUG_LEVEL: LogLevel = 'CONSOLE';

/** Where the LAN directory listens unless told: all interfaces, any free port. */
export const LAN_DEFAULT_ENDPOINT = '0.0.0.0:0';

/** Where the LAN directory's files are. */
export interface LanPaths {
  dir: string;
  stateFile: string;
  logFile: string;
  /** Written by the directory once it listens and is announced. */
  readyFile: string;
}

/** What `lan.json` holds: the LAN directory that `callsign lan start` started. */
export interface LanRecord {
  kind: 'callsign-lan';
  version: 1;
  pid: number;
  /** Tells the process apart from a later one with its pid (see pids.ts). */
  identity: string | null;
  /** Where it listens (`0.0.0.0:<port>`); null until it is ready. */
  endpoint: string | null;
  port: number | null;
  /** Its id, which orders it among the LAN directories of its realm (lowest is used). */
  id: string | null;
  /** The DNS-SD instance it announces, `callsign-lan-<id>`. */
  name: string | null;
  /** The realm fingerprint it announces. */
  fingerprint: string | null;
  realmFile: string;
  realmFrom: RealmSource;
  startedAt: string;
}

/** What `callsign lan status --json` prints. */
export interface LanStatus {
  running: boolean;
  pid: number | null;
  endpoint: string | null;
  port: number | null;
  id: string | null;
  name: string | null;
  fingerprint: string | null;
  /** Whether it accepts connections on its port (from this host) now. */
  accepting: boolean;
  realmFile: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  log: string;
}

/**
 * Runs a `lan` command as {@link networkCommand} runs the others:
 * `ERR_LAN_RUNNING` and `ERR_LAN_NOT_RUNNING` are misuse (exit 2), like their
 * host twins.
 */
export async function lanCommand(io: CommandOutput, run: () => Promise<number>) {
  try {
    return await run();
  } catch (err) {
    if (isCallsignError(err, 'ERR_LAN_RUNNING') || isCallsignError(err, 'ERR_LAN_NOT_RUNNING'))
      throw err;
    return networkCommand(io, () => Promise.reject(err));
  }
}

/** The LAN directory's files, for this environment. */
export function lanPaths(env: NodeJS.ProcessEnv): LanPaths {
  const explicit = env[LAN_STATE_DIR_ENV];
  const dir = explicit ? explicit : hostPaths(env).dir;
  return {
    dir,
    stateFile: join(dir, 'lan.json'),
    logFile: join(dir, 'lan.log'),
    readyFile: join(dir, 'lan.ready.json'),
  };
}

/** The record of the LAN directory started here, and whether it still runs. */
export async function readLanRecord(
  paths: LanPaths,
): Promise<(LanRecord & { alive: boolean }) | undefined> {
  return readDaemonRecord<LanRecord>(paths.stateFile, 'callsign-lan');
}

/**
 * `callsign lan start`: starts the LAN directory detached, in the realm of
 * `realm`, and waits until it listens and is announced.
 *
 * @throws CallsignError `ERR_LAN_RUNNING` when one started here runs
 *   already; `ERR_INVALID_ENDPOINT` for a bad `endpoint`;
 *   `ERR_LISTEN_FAILED` (or the code it reported) when it exits first;
 *   `ERR_TIMEOUT` when it is not ready within {@link LAN_READY_MS}.
 */
export async function startLan(
  init: { realm: RealmChoice; endpoint?: string | undefined; debugLevel?: LogLevel | undefined },
  io: HostIo,
): Promise<number> {
  const endpoint = init.endpoint || LAN_DEFAULT_ENDPOINT;
  const parsed = parseEndpoint(endpoint);
  if (parsed.kind !== 'tcp') {
    throw new CallsignError(
      'ERR_INVALID_ENDPOINT',
      `the LAN directory listens on TCP (host:port), not ${endpoint}`,
    );
  }
  const paths = lanPaths(io.env);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const before = await readLanRecord(paths);
  if (before?.alive) {
    throw new CallsignError(
      'ERR_LAN_RUNNING',
      `a LAN directory is already running here${before.endpoint ? ` at ${before.endpoint}` : ''} (pid ${before.pid})`,
    );
  }
  if (before) await rm(paths.stateFile, { force: true });
  await rm(paths.readyFile, { force: true });

  const { realm } = init;
  const wan = await joinedAccess(realm.home?.dir, io.env);
  const daemon = await spawnDaemon({
    program: LAN_DIRECTORY_PROGRAM,
    args: [
      `--endpoint=${endpoint}`,
      ...(wan ? [`--wan=${wan}`] : []),
      `--ready-file=${paths.readyFile}`,
      `--debug-level=${init.debugLevel ?? LAN_DEBUG_LEVEL}`,
    ],
    cwd: paths.dir,
    env: daemonEnv(io.env, realm),
    logFile: paths.logFile,
    starting: `starting the LAN directory on ${endpoint}, realm ${realm.file} (${realm.from})`,
  });
  const pid = daemon.pid;
  const fail = async (err: unknown): Promise<never> => {
    if (pid !== undefined) {
      signalProcess(pid, 'SIGKILL');
      await waitUntilGone(pid, undefined, 2000);
    }
    const current = await readLanRecord(paths);
    if (current?.pid === pid) await rm(paths.stateFile, { force: true });
    await rm(paths.readyFile, { force: true });
    throw err;
  };
  if (pid === undefined) {
    return fail(new CallsignError('ERR_LISTEN_FAILED', `cannot run ${process.execPath}`));
  }
  const record: LanRecord = {
    kind: 'callsign-lan',
    version: 1,
    pid,
    identity: processIdentity(pid) ?? null,
    endpoint: null,
    port: null,
    id: null,
    name: null,
    fingerprint: null,
    realmFile: realm.file,
    realmFrom: realm.from,
    startedAt: new Date().toISOString(),
  };
  if (!(await createExclusively(paths.stateFile, record))) {
    const other = await readLanRecord(paths);
    return fail(
      new CallsignError(
        'ERR_LAN_RUNNING',
        `another \`callsign lan start\` got there first${other ? ` (pid ${other.pid})` : ''}`,
      ),
    );
  }

  let ready: Record<string, unknown>;
  try {
    ready = await waitForDaemon(daemon, {
      ready: () => readReady(paths.readyFile, pid),
      identity: record.identity ?? undefined,
      ms: LAN_READY_MS,
      logFile: paths.logFile,
      exitedBefore: 'was announced',
      didNot: 'listen and announce itself',
      name: 'the LAN directory',
      stderr: io.stderr,
    });
  } catch (err) {
    return fail(err);
  }
  const done: LanRecord = {
    ...record,
    endpoint: typeof ready.endpoint === 'string' ? ready.endpoint : null,
    port: typeof ready.port === 'number' ? ready.port : null,
    id: typeof ready.id === 'string' ? ready.id : null,
    name: typeof ready.name === 'string' ? ready.name : null,
    fingerprint: typeof ready.fingerprint === 'string' ? ready.fingerprint : null,
  };
  await writeJsonAtomic(paths.stateFile, done);
  await rm(paths.readyFile, { force: true });
  daemon.child.unref();
  io.stdout(
    `started the LAN directory (pid ${pid}) at ${done.endpoint}, announced as ${done.name}\n` +
      `realm ${realm.file} (${realm.from}), fingerprint ${done.fingerprint}; log ${paths.logFile}\n` +
      (wan ? `above it: the WAN directory of the relay in ${wan}\n` : ''),
  );
  return 0;
}

/**
 * `callsign lan stop`: SIGTERM to the LAN directory started here (it says
 * goodbye on mDNS, so hosts move on at once), SIGKILL after
 * {@link LAN_STOP_MS}; removes its state.
 *
 * @throws CallsignError `ERR_LAN_NOT_RUNNING`; `ERR_TIMEOUT` when it does
 *   not go even after SIGKILL.
 */
export async function stopLan(io: HostIo): Promise<number> {
  const paths = lanPaths(io.env);
  const record = await readLanRecord(paths);
  if (!record?.alive) {
    let died = '';
    if (record) {
      await rm(paths.stateFile, { force: true });
      died = ` (the one started at ${record.startedAt}, pid ${record.pid}, had died)`;
    }
    throw new CallsignError(
      'ERR_LAN_NOT_RUNNING',
      `no LAN directory started by \`callsign lan start\` is running here${died}`,
    );
  }
  const how = await endDaemon(record, LAN_STOP_MS, 'the LAN directory');
  const current = await readLanRecord(paths);
  if (current?.pid === record.pid) await rm(paths.stateFile, { force: true });
  appendFileSync(paths.logFile, orchestratorLine(`LAN directory pid ${record.pid} ${how}`), {
    mode: 0o600,
  });
  io.stdout(`${how}: the LAN directory (pid ${record.pid}) at ${record.endpoint ?? '?'}\n`);
  return 0;
}

/** `callsign lan status`: the LAN directory started here, if it runs. */
export async function readLanStatus(
  io: Pick<HostIo, 'env'>,
  now: number = Date.now(),
): Promise<LanStatus> {
  const paths = lanPaths(io.env);
  const record = await readLanRecord(paths);
  const running = record?.alive === true;
  const r = running ? record : undefined;
  const accepting =
    r?.port !== undefined && r.port !== null
      ? await acceptsConnections(`127.0.0.1:${r.port}`)
      : false;
  return {
    running,
    pid: r?.pid ?? null,
    endpoint: r?.endpoint ?? null,
    port: r?.port ?? null,
    id: r?.id ?? null,
    name: r?.name ?? null,
    fingerprint: r?.fingerprint ?? null,
    accepting,
    realmFile: r?.realmFile ?? null,
    startedAt: r?.startedAt ?? null,
    uptimeSeconds: r ? Math.max(0, Math.floor((now - Date.parse(r.startedAt)) / 1000)) : null,
    log: paths.logFile,
  };
}

/** The LAN status as people read it. */
export function formatLanStatus(status: LanStatus): string {
  if (!status.running) return 'not running\n';
  const rows = [
    ['pid', String(status.pid)],
    ['endpoint', status.endpoint ?? '- (starting)'],
    ['announced', status.name ?? '-'],
    ['realm file', status.realmFile ?? '-'],
    ['fingerprint', status.fingerprint ?? '-'],
    ['uptime', formatDuration((status.uptimeSeconds ?? 0) * 1000)],
    ['accepting', status.accepting ? 'yes' : 'no (starting, or not answering)'],
    ['log', status.log],
  ];
  return `LAN directory running\n${rows.map(([k, v]) => `  ${(k ?? '').padEnd(12)}${v}\n`).join('')}`;
}

/** What the directory wrote once ready, if it was this process that wrote it. */
async function readReady(path: string, pid: number): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const ready = value as Record<string, unknown>;
    return ready.pid === pid ? ready : undefined;
  } catch {
    return undefined; // not there yet
  }
}
