import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { CallsignError, ERROR_CODES, type ErrorCode, isCallsignError } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import type { LogLevel } from '../src/runtime/log.ts';
import { assertSocketPath } from './group-directory.ts';
import {
  cleanUpDeadGroup,
  describeOwner,
  readGroupOwner,
  refuseIfRunning,
  releaseGroup,
} from './group-lock.ts';
import { HOME_ENV, type Home, SUPERVISOR_NAME } from './home.ts';
import { lastRunOfLog, orchestratorLine } from './logs.ts';
import { CALLSIGN_BIN } from './package-files.ts';
import { signalProcess, waitUntilGone } from './pids.ts';
import { DEFAULT_RESTART_POLICY } from './restart-policy.ts';
import { acquireGroupWithRestarts } from './restart-requests.ts';
import { selectRoles } from './roles.ts';
import type { CommandOutput } from './run.ts';
import { onStopSignals, whenAborted } from './signals.ts';
import { readGroupState } from './state.ts';
import { Supervisor } from './supervisor.ts';

/** How long `start` waits for the supervisor to have started the group. */
export const START_READY_MS = 30_000;

/** Options of {@link startGroup} and {@link superviseGroup}. */
export interface StartInit {
  /** The roles to run; all when empty. */
  roles: readonly string[];
  debugLevel?: LogLevel;
  stopSeconds: number;
}

/**
 * `callsign start`: starts a detached supervisor (`callsign supervise`) that
 * runs the group in the background, and waits until it has started the group
 * directory and every role. The supervisor's own messages go to
 * `logs/_supervisor.log`.
 *
 * @throws CallsignError `ERR_GROUP_RUNNING`; `ERR_GROUP_DIRECTORY_FAILED` and
 *   the like from the supervisor; `ERR_SUPERVISOR_FAILED` when it fails
 *   otherwise or does not get ready in time.
 */
export async function startGroup(home: Home, init: StartInit, out: CommandOutput): Promise<number> {
  await refuseIfRunning(home);
  const roles = await selectRoles(home, init.roles);
  assertSocketPath(home);
  const owner = await readGroupOwner(home);
  if (owner) await cleanUpDeadGroup(home, owner);
  const logFile = home.logFile(SUPERVISOR_NAME);
  mkdirSync(home.logsDir, { recursive: true, mode: 0o700 });
  appendFileSync(
    logFile,
    orchestratorLine(`started the supervisor of ${roles.map((r) => r.name).join(', ')}`),
    { mode: 0o600 },
  );
  const log = openSync(logFile, 'a', 0o600);
  const args = [
    CALLSIGN_BIN,
    'supervise',
    `--home=${home.dir}`,
    `--stop-seconds=${init.stopSeconds}`,
    ...(init.debugLevel === undefined ? [] : [`--debug-level=${init.debugLevel}`]),
    ...init.roles, // role names never start with '-'
  ];
  const child = spawn(process.execPath, args, {
    cwd: home.parent,
    env: { ...process.env, [HOME_ENV]: home.dir },
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
  const deadline = Date.now() + START_READY_MS;
  for (;;) {
    const state = await readGroupState(home).catch(() => undefined);
    if (state?.ready && state.supervisor.pid === child.pid) break;
    if (exited) throw await supervisorFailure(logFile);
    if (Date.now() >= deadline) {
      if (child.pid !== undefined) signalProcess(child.pid, 'SIGTERM');
      throw new CallsignError(
        'ERR_SUPERVISOR_FAILED',
        `the supervisor did not start the group within ${START_READY_MS / 1000} s; see ${logFile}`,
      );
    }
    await sleep(100);
  }
  child.unref();
  out.stdout(
    `started ${roles.map((r) => r.name).join(', ')} (supervisor pid ${child.pid}); see \`callsign status\`\n`,
  );
  return 0;
}

/**
 * `callsign supervise` (internal; what `start` runs): runs the group until
 * SIGTERM/SIGINT, restarting roles that fail under
 * {@link DEFAULT_RESTART_POLICY}, then stops it, removes its state and exits.
 */
export async function superviseGroup(
  home: Home,
  init: StartInit,
  out: CommandOutput,
): Promise<number> {
  const roles = await selectRoles(home, init.roles);
  const report = (line: string) => out.stderr(orchestratorLine(line));
  const supervisor = new Supervisor({
    home,
    roles,
    mode: 'background',
    debugLevel: init.debugLevel,
    restart: DEFAULT_RESTART_POLICY,
    stopMs: init.stopSeconds * 1000,
    report,
  });
  const { record, stopRestarts } = await acquireGroupWithRestarts(home, {
    mode: 'background',
    stopSeconds: init.stopSeconds,
    restart: (role) => {
      report(`restart of ${role} requested`);
      if (!supervisor.restart(role)) report(`${role} cannot be restarted now`);
    },
  });
  report(`supervisor running (pid ${process.pid})`);
  const stopRequested = new AbortController();
  const unsubscribe = onStopSignals(
    (signal) => {
      report(`${signal}: stopping the group`);
      stopRequested.abort();
    },
    (signal) => {
      report(`${signal} again: killing the group`);
      supervisor.kill();
    },
  );
  try {
    try {
      await supervisor.startDirectory(stopRequested.signal);
      if (!stopRequested.signal.aborted) await supervisor.startRoles();
    } catch (err) {
      if (!isCallsignError(err, 'ERR_ABORTED')) throw err;
    }
    await whenAborted(stopRequested.signal);
    await supervisor.stop();
    report('group stopped');
    return 0;
  } finally {
    unsubscribe();
    stopRestarts();
    await supervisor.stop();
    await supervisor.discardState();
    await releaseGroup(home, record);
  }
}

/**
 * `callsign stop`: asks whoever runs the group (the background supervisor, or
 * a `callsign run`) to stop it with SIGTERM and waits until it has. Cleans up
 * after a supervisor that died.
 *
 * @throws CallsignError `ERR_GROUP_NOT_RUNNING`; `ERR_TIMEOUT`.
 */
export async function stopGroup(home: Home, out: CommandOutput): Promise<number> {
  const owner = await readGroupOwner(home);
  if (owner === undefined) {
    throw new CallsignError('ERR_GROUP_NOT_RUNNING', `no group is running in ${home.dir}`);
  }
  if (!owner.alive) {
    await cleanUpDeadGroup(home, owner);
    out.stderr(
      `callsign: ${describeOwner(owner)} had died; stopped what it left running and removed its state\n`,
    );
    return 0;
  }
  const identity = owner.identity ?? undefined;
  signalProcess(owner.pid, 'SIGTERM', identity);
  // Roles get stopSeconds, then are killed; then the directory the same.
  const ms = owner.stopSeconds * 2000 + 10_000;
  if (!(await waitUntilGone(owner.pid, identity, ms))) {
    throw new CallsignError(
      'ERR_TIMEOUT',
      `the group did not stop within ${ms / 1000} s (${describeOwner(owner)})`,
    );
  }
  const left = await readGroupOwner(home);
  if (left !== undefined && left.pid === owner.pid) await cleanUpDeadGroup(home, owner);
  out.stdout('stopped\n');
  return 0;
}

/** The error a supervisor that exited during start reported, from its log. */
async function supervisorFailure(logFile: string): Promise<CallsignError> {
  const said = await lastRunOfLog(logFile, 40).catch(() => '');
  const m = /callsign: ([\s\S]*) \((ERR_[A-Z_]+)\)\s*$/.exec(said);
  const code = m?.[2];
  if (m && isErrorCode(code)) return new CallsignError(code, m[1] ?? '');
  return new CallsignError(
    'ERR_SUPERVISOR_FAILED',
    `the supervisor exited before the group started${said ? `:\n${said}` : ''}`,
  );
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}
