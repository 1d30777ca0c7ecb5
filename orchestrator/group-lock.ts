import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { CallsignError } from '../src/errors.ts';
import { errnoOf, randomSuffix, readJsonObject } from './files.ts';
import type { Home } from './home.ts';
import { isRunning, processIdentity, terminateProcess } from './pids.ts';
import { type GroupMode, readGroupState, removeGroupState } from './state.ts';

/**
 * What `run/supervisor.json` holds: the process that runs the group of a home
 * (a `callsign run` in the foreground, or the background supervisor). At most
 * one runs per home.
 */
export interface SupervisorRecord {
  kind: 'callsign-supervisor';
  version: 1;
  pid: number;
  identity: string | null;
  mode: GroupMode;
  startedAt: string;
  /** How long roles are given to stop, in seconds. */
  stopSeconds: number;
}

/** A {@link SupervisorRecord} and whether its process still runs. */
export interface GroupOwner extends SupervisorRecord {
  alive: boolean;
}

/** Reads who runs the home's group, if anyone has. */
export async function readGroupOwner(home: Home): Promise<GroupOwner | undefined> {
  let file: Record<string, unknown> | undefined;
  try {
    file = await readJsonObject(home.supervisorFile);
  } catch (err) {
    if (err instanceof CallsignError) return undefined;
    throw err;
  }
  if (file?.kind !== 'callsign-supervisor' || typeof file.pid !== 'number') return undefined;
  const record = file as unknown as SupervisorRecord;
  return { ...record, alive: isRunning(record.pid, record.identity ?? undefined) };
}

/** How a group's supervisor is described in messages. */
export function describeOwner(owner: Pick<SupervisorRecord, 'mode' | 'pid'>): string {
  return owner.mode === 'background'
    ? `the background supervisor, pid ${owner.pid}`
    : `callsign run, pid ${owner.pid}`;
}

/**
 * Refuses to start a group while one runs in `home`: checked before
 * anything else, so that it is what a second `run` or `start` says.
 *
 * @throws CallsignError `ERR_GROUP_RUNNING`.
 */
export async function refuseIfRunning(home: Home): Promise<void> {
  const owner = await readGroupOwner(home);
  if (owner?.alive) {
    throw new CallsignError(
      'ERR_GROUP_RUNNING',
      `a group is already running in ${home.dir} (${describeOwner(owner)})`,
    );
  }
}

/**
 * Makes this process the one that runs the home's group. A record left by a
 * process that died is cleaned up first (see {@link cleanUpDeadGroup}).
 *
 * @throws CallsignError `ERR_GROUP_RUNNING` when a live process runs it.
 */
export async function acquireGroup(
  home: Home,
  mode: GroupMode,
  stopSeconds: number,
): Promise<SupervisorRecord> {
  const record: SupervisorRecord = {
    kind: 'callsign-supervisor',
    version: 1,
    pid: process.pid,
    identity: processIdentity(process.pid) ?? null,
    mode,
    startedAt: new Date().toISOString(),
    stopSeconds,
  };
  await mkdir(home.runDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written in full under another name, then linked into place: the link
    // fails if the file is there, and a reader never sees half of it.
    const temporary = `${home.supervisorFile}.${process.pid}.${await randomSuffix()}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      await link(temporary, home.supervisorFile);
      return record;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    } finally {
      await rm(temporary, { force: true });
    }
    const owner = await readGroupOwner(home);
    if (owner?.alive) {
      throw new CallsignError(
        'ERR_GROUP_RUNNING',
        `a group is already running in ${home.dir} (${describeOwner(owner)})`,
      );
    }
    if (owner) await cleanUpDeadGroup(home, owner);
    else await rm(home.supervisorFile, { force: true });
  }
  throw new CallsignError(
    'ERR_GROUP_RUNNING',
    `another process is starting a group in ${home.dir}`,
  );
}

/** Gives up running the home's group (if this record still is the one in place). */
export async function releaseGroup(home: Home, record: SupervisorRecord): Promise<void> {
  const owner = await readGroupOwner(home);
  if (owner?.pid === record.pid && owner.startedAt === record.startedAt) {
    await rm(home.supervisorFile, { force: true });
  }
}

/**
 * Cleans up after a supervisor that died: stops the processes it recorded in
 * `run/state.json` that still run (SIGTERM, then SIGKILL; each checked to be
 * the very process recorded), and removes its state, pid file and socket.
 */
export async function cleanUpDeadGroup(home: Home, owner: SupervisorRecord): Promise<void> {
  const state = await readGroupState(home).catch(() => undefined);
  if (state !== undefined && state.supervisor.pid === owner.pid) {
    const leftovers = [...state.roles, state.directory].filter((p) => p.pid !== null);
    await Promise.all(
      leftovers.map((p) =>
        terminateProcess(p.pid as number, p.identity ?? undefined, owner.stopSeconds * 1000),
      ),
    );
  }
  await removeGroupState(home);
  await rm(home.groupSocket, { force: true });
  const current = await readGroupOwner(home);
  if (current === undefined || current.pid === owner.pid) {
    await rm(home.supervisorFile, { force: true });
  }
}
