import { rm } from 'node:fs/promises';
import { readJsonObject, writeJsonAtomic } from './files.ts';
import type { Home } from './home.ts';

/**
 * The state of a process of a group: `starting` (not started yet); `running`; `restarting` (failed, waiting
 * out its backoff); `completed` (exited 0, not restarted); `failed` (exited
 * non-zero or by a signal, and not restarted); `stopping` / `stopped` (asked
 * to stop with the group).
 */
export type ProcessState =
  | 'starting'
  | 'running'
  | 'restarting'
  | 'completed'
  | 'failed'
  | 'stopping'
  | 'stopped';

/** One process of a group, as `run/state.json` records it. */
export interface ProcessStatus {
  /** The role, or `_group` for the group directory. */
  name: string;
  state: ProcessState;
  /** While it runs. */
  pid: number | null;
  /** Tells this process from a later one with the same pid (see pids.ts). */
  identity: string | null;
  /** How many times it was restarted. */
  restarts: number;
  /** When it was last started (ISO). */
  startedAt: string | null;
  /** How its last run ended. */
  exitCode: number | null;
  signal: string | null;
}

/** Who runs the group: a `callsign run` in the foreground or a background supervisor. */
export type GroupMode = 'foreground' | 'background';

/** What `run/state.json` holds. */
export interface GroupState {
  kind: 'callsign-group-state';
  version: 1;
  supervisor: { pid: number; mode: GroupMode; startedAt: string };
  /** True once the directory and every role have been started. */
  ready: boolean;
  directory: ProcessStatus;
  roles: ProcessStatus[];
  updatedAt: string;
}

/** Writes the group's state atomically. */
export async function writeGroupState(home: Home, state: GroupState): Promise<void> {
  await writeJsonAtomic(home.stateFile, state);
}

/** Reads the group's state, if there is one. */
export async function readGroupState(home: Home): Promise<GroupState | undefined> {
  const file = await readJsonObject(home.stateFile);
  if (file?.kind !== 'callsign-group-state' || file.version !== 1) return undefined;
  return file as unknown as GroupState;
}

/** Removes the group's state. */
export async function removeGroupState(home: Home): Promise<void> {
  await rm(home.stateFile, { force: true });
}
