import { CallsignError, isCallsignError } from '../src/errors.ts';
import type { LogLevel } from '../src/runtime/log.ts';
import { refuseIfRunning, releaseGroup } from './group-lock.ts';
import type { GroupProcess } from './group-process.ts';
import { DIRECTORY_NAME, type Home } from './home.ts';
import { lastRunOfLog } from './logs.ts';
import { exitStatus } from './pids.ts';
import { acquireGroupWithRestarts } from './restart-requests.ts';
import { selectRoles } from './roles.ts';
import { onStopSignals, whenAborted } from './signals.ts';
import { Supervisor } from './supervisor.ts';

/** Where a command writes. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Options of {@link runGroup}. */
export interface RunInit {
  /** The roles to run; all when empty. */
  roles: readonly string[];
  /** The role whose end ends the group and whose output and exit code are the command's. */
  mainRole?: string;
  /** Passed to every process; their stderr is then also copied to ours, prefixed by role. */
  debugLevel?: LogLevel;
  /** How long roles are given to stop before they are killed. */
  stopSeconds: number;
}

/** The exit code of `callsign run` interrupted before its roles started. */
export const EXIT_INTERRUPTED = 130;

/**
 * `callsign run`: runs the group in the foreground. Starts the group
 * directory and the roles; ends the group when the main role ends (or, with
 * no main role, when every role has ended), or on the first SIGINT/SIGTERM
 * (SIGTERM to every role, SIGKILL after `stopSeconds` or on a second signal).
 * Prints the main role's output as it is, or `{ "<role>": <output>, ... }`;
 * gives the main role's exit code, or the first failed role's, or 0.
 *
 * @throws CallsignError `ERR_GROUP_RUNNING`, `ERR_UNKNOWN_ROLE`, `ERR_NO_ROLES`,
 *   `ERR_PROGRAM_NOT_FOUND`, `ERR_GROUP_DIRECTORY_FAILED`.
 */
export async function runGroup(home: Home, init: RunInit, out: CommandOutput): Promise<number> {
  await refuseIfRunning(home);
  const roles = await selectRoles(home, init.roles, init.mainRole);
  const verbose = init.debugLevel !== undefined;
  const supervisor = new Supervisor({
    home,
    roles,
    mode: 'foreground',
    debugLevel: init.debugLevel,
    echo: verbose ? out.stderr : undefined,
    restart: false,
    stopMs: init.stopSeconds * 1000,
    report: verbose ? (line) => out.stderr(`callsign: ${line}\n`) : undefined,
  });
  const { record, stopRestarts } = await acquireGroupWithRestarts(home, {
    mode: 'foreground',
    stopSeconds: init.stopSeconds,
    restart: (role) => {
      if (!supervisor.restart(role)) out.stderr(`callsign: ${role} cannot be restarted now\n`);
    },
  });
  const interrupted = new AbortController();
  const unsubscribe = onStopSignals(
    (signal) => {
      out.stderr(`callsign: ${signal}: stopping the group (once more to kill it)\n`);
      interrupted.abort();
    },
    (signal) => {
      out.stderr(`callsign: ${signal} again: killing the group\n`);
      supervisor.kill();
    },
  );
  try {
    let started = false;
    try {
      await supervisor.startDirectory(interrupted.signal);
      if (!interrupted.signal.aborted) {
        await supervisor.startRoles();
        started = true;
      }
    } catch (err) {
      if (!isCallsignError(err, 'ERR_ABORTED')) throw err;
    }
    if (!started) {
      // Interrupted before the roles were started: there is no output.
      await supervisor.stop();
      return EXIT_INTERRUPTED;
    }
    const outcome = await Promise.race([
      supervisor
        .whenEnded(init.mainRole === undefined ? undefined : [init.mainRole])
        .then(() => 'ended' as const),
      whenAborted(interrupted.signal).then(() => 'interrupted' as const),
      supervisor.whenDirectoryLost().then(() => 'lost' as const),
    ]);
    await supervisor.stop();
    if (outcome === 'lost') {
      const said = await lastRunOfLog(home.logFile(DIRECTORY_NAME)).catch(() => '');
      throw new CallsignError(
        'ERR_GROUP_DIRECTORY_FAILED',
        `the group directory ended while the group ran; the group was stopped${said ? `:\n${said}` : ''}`,
      );
    }
    return printOutcome(supervisor.roles, init.mainRole, out);
  } finally {
    unsubscribe();
    stopRestarts();
    await supervisor.stop();
    await supervisor.discardState();
    await releaseGroup(home, record);
  }
}

function printOutcome(
  roles: readonly GroupProcess[],
  mainRole: string | undefined,
  out: CommandOutput,
): number {
  if (mainRole !== undefined) {
    const main = roles.find((r) => r.name === mainRole);
    if (main === undefined || main.exit === undefined) return 1;
    out.stdout(main.stdout);
    return exitStatus(main.exit.code, main.exit.signal);
  }
  const outputs: Record<string, unknown> = {};
  let code = 0;
  for (const role of roles) {
    outputs[role.name] = parseOutput(role.stdout);
    const status = role.exit === undefined ? 1 : exitStatus(role.exit.code, role.exit.signal);
    if (code === 0 && status !== 0) code = status;
  }
  out.stdout(`${JSON.stringify(outputs)}\n`);
  return code;
}

/** A node's output: its one JSON document, the text itself if it is not JSON, null if none. */
function parseOutput(stdout: string): unknown {
  if (stdout.trim() === '') return null;
  try {
    return JSON.parse(stdout);
  } catch {
    return stdout;
  }
}
