import { describeOwner, readGroupOwner } from './group-lock.ts';
import type { Home } from './home.ts';
import { type GroupMode, type ProcessState, type ProcessStatus, readGroupState } from './state.ts';
import { formatDuration, formatTable } from './table.ts';

/** One process in a {@link StatusReport}. */
export interface ProcessReport {
  /** The role, or `_group` for the group directory. */
  role: string;
  state: ProcessState;
  pid: number | null;
  restarts: number;
  startedAt: string | null;
  /** Seconds since it was started, while it runs. */
  uptimeSeconds: number | null;
  exitCode: number | null;
  signal: string | null;
}

/** What `callsign status --json` prints. */
export interface StatusReport {
  /** True while a live supervisor runs the group. */
  running: boolean;
  home: string;
  supervisor: { pid: number; mode: GroupMode; startedAt: string; alive: boolean } | null;
  directory: ProcessReport | null;
  roles: ProcessReport[];
}

/** Reads the state of the home's group. */
export async function readStatus(home: Home, now: number = Date.now()): Promise<StatusReport> {
  const owner = await readGroupOwner(home);
  const state = owner === undefined ? undefined : await readGroupState(home).catch(() => undefined);
  const current = state !== undefined && state.supervisor.pid === owner?.pid ? state : undefined;
  return {
    running: owner?.alive === true,
    home: home.dir,
    supervisor:
      owner === undefined
        ? null
        : { pid: owner.pid, mode: owner.mode, startedAt: owner.startedAt, alive: owner.alive },
    directory: current === undefined ? null : reportOf(current.directory, now),
    roles: current === undefined ? [] : current.roles.map((p) => reportOf(p, now)),
  };
}

/** The status as a table for people. */
export function formatStatus(report: StatusReport, now: number = Date.now()): string {
  const { supervisor } = report;
  if (supervisor === null) return `not running (${report.home})\n`;
  const who = describeOwner(supervisor);
  const up = formatDuration(now - Date.parse(supervisor.startedAt));
  const head = supervisor.alive
    ? `running in ${report.home} (${who}, up ${up})\n`
    : `not running: ${who} died; its last known state (${report.home}):\n`;
  const rows = [
    ['ROLE', 'STATE', 'PID', 'RESTARTS', 'UPTIME'],
    ...[...(report.directory ? [report.directory] : []), ...report.roles].map((p) => [
      p.role,
      p.state,
      p.pid === null ? '-' : String(p.pid),
      String(p.restarts),
      p.uptimeSeconds === null ? '-' : formatDuration(p.uptimeSeconds * 1000),
    ]),
  ];
  return head + formatTable(rows);
}

function reportOf(p: ProcessStatus, now: number): ProcessReport {
  const live = p.pid !== null && (p.state === 'running' || p.state === 'stopping');
  return {
    role: p.name,
    state: p.state,
    pid: p.pid,
    restarts: p.restarts,
    startedAt: p.startedAt,
    uptimeSeconds:
      live && p.startedAt !== null
        ? Math.max(0, Math.floor((now - Date.parse(p.startedAt)) / 1000))
        : null,
    exitCode: p.exitCode,
    signal: p.signal,
  };
}
