import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * What tells a process apart from a later one that got the same pid: its
 * start time in clock ticks since boot (`/proc/<pid>/stat`, field 22). Gives
 * undefined where there is no /proc, or when the process is gone.
 */
export function processIdentity(pid: number): string | undefined {
  const stat = readStat(pid);
  return stat?.startTime;
}

/**
 * True when process `pid` runs (not a zombie) and, where that can be checked,
 * is the one recorded with `identity` rather than a later one with its pid.
 */
export function isRunning(pid: number, identity?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EPERM') return false;
  }
  const stat = readStat(pid);
  if (stat === undefined) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return identity === undefined || stat.startTime === identity;
}

/** Sends `signal` to `pid` if it is still the process recorded; true if sent. */
export function signalProcess(pid: number, signal: NodeJS.Signals, identity?: string): boolean {
  if (!isRunning(pid, identity)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone, for at most `ms`; true if it went. */
export async function waitUntilGone(pid: number, identity: string | undefined, ms: number) {
  const deadline = Date.now() + ms;
  while (isRunning(pid, identity)) {
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
  return true;
}

/**
 * Stops a process recorded by pid (one of ours that another process
 * started): SIGTERM, then SIGKILL after `graceMs`. True when it is gone.
 */
export async function terminateProcess(
  pid: number,
  identity: string | undefined,
  graceMs: number,
): Promise<boolean> {
  if (!signalProcess(pid, 'SIGTERM', identity)) return true;
  if (await waitUntilGone(pid, identity, graceMs)) return true;
  signalProcess(pid, 'SIGKILL', identity);
  return waitUntilGone(pid, identity, 2000);
}

/** A process's exit as a shell reports it: its code, or 128 + the signal's number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal];
  return n === undefined ? 1 : 128 + n;
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime };
}
