/** One process of a group (a role, or the group directory) as its supervisor keeps it. */
import type { ChildProcess } from 'node:child_process';
import type { ProcessExit, RestartPolicy } from './restart-policy.ts';
import type { ProcessState, ProcessStatus } from './state.ts';

/** One process of the group: a role or the group directory. */
export interface GroupProcess {
  readonly name: string;
  /** How its stderr lines are prefixed on the terminal. */
  readonly label: string;
  readonly program: string;
  readonly args: readonly string[];
  state: ProcessState;
  restarts: number;
  /** How its last run ended. */
  exit: ProcessExit | undefined;
  /** The stdout of its last run: the node's output. */
  stdout: string;
}

/** A process of the group as the supervisor keeps it. */
export interface Managed extends GroupProcess {
  /** True for callsign's own program (the group directory), false for a role's. */
  readonly own: boolean;
  readonly policy: RestartPolicy | undefined;
  child: ChildProcess | undefined;
  identity: string | undefined;
  startedAt: Date | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set by {@link Supervisor.restart} while the run is stopped to be started again. */
  restarting: boolean;
  /** Settles when the current run has ended and been recorded. */
  ended: Promise<void>;
}

/** A process of the group not started yet. */
export function managed(
  name: string,
  label: string,
  program: string,
  args: string[],
  policy: RestartPolicy | undefined,
  own: boolean,
): Managed {
  return {
    own,
    name,
    label,
    program,
    args,
    policy,
    state: 'starting',
    restarts: 0,
    exit: undefined,
    stdout: '',
    child: undefined,
    identity: undefined,
    startedAt: undefined,
    timer: undefined,
    restarting: false,
    ended: Promise.resolve(),
  };
}

/** A process as `run/state.json` records it. */
export function statusOf(m: Managed): ProcessStatus {
  const pid = m.child?.pid;
  return {
    name: m.name,
    state: m.state,
    pid: pid ?? null,
    identity: pid === undefined ? null : (m.identity ?? null),
    restarts: m.restarts,
    startedAt: m.startedAt?.toISOString() ?? null,
    exitCode: m.exit?.code ?? null,
    signal: m.exit?.signal ?? null,
  };
}
