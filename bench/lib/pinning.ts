/**
 * Pinning benchmark processes to CPU cores with `taskset`.
 *
 * Latency on a small machine depends on which cores the processes land on;
 * pinning the server and the client to two different cores makes runs
 * comparable.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the two processes of a stack run. */
export type Pinning =
  | {
      readonly enabled: true;
      /** Core of the server (receiving) process. */
      readonly serverCpu: number;
      /** Core of the client (sending, measuring) process. */
      readonly clientCpu: number;
      /** One line for the output, e.g. `taskset: server on CPU 0, client on CPU 1`. */
      readonly summary: string;
    }
  | {
      readonly enabled: false;
      /** One line for the output saying why nothing is pinned. */
      readonly summary: string;
    };

/**
 * Parses a `taskset` CPU list such as `0,1` or `0-3,6`.
 *
 * @example
 * ```ts
 * parseCpuList('0-2,5'); // [0, 1, 2, 5]
 * ```
 */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) continue;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let cpu = from; cpu <= to && cpus.length < 4096; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * Decides how to pin: with `taskset` available and at least two cores allowed
 * for this process, the server goes on the first allowed core and the client
 * on the second.
 *
 * @param wanted - `false` to measure unpinned on purpose (`--no-pin`)
 */
export async function detectPinning(wanted = true): Promise<Pinning> {
  if (!wanted) return { enabled: false, summary: 'not pinned (--no-pin)' };
  let stdout: string;
  try {
    ({ stdout } = await run('taskset', ['-pc', String(process.pid)], { timeout: 5_000 }));
  } catch {
    return { enabled: false, summary: 'not pinned (taskset not found)' };
  }
  const cpus = parseCpuList(stdout.slice(stdout.lastIndexOf(':') + 1));
  const [serverCpu, clientCpu] = cpus;
  if (serverCpu === undefined || clientCpu === undefined) {
    return { enabled: false, summary: `not pinned (only CPU ${cpus.join(',')} allowed)` };
  }
  return {
    enabled: true,
    serverCpu,
    clientCpu,
    summary: `pinned with taskset: server on CPU ${serverCpu}, client on CPU ${clientCpu}`,
  };
}

/**
 * The command line that runs `command args` on `cpu`, or unchanged when `cpu`
 * is undefined.
 */
export function pinnedCommand(
  command: string,
  args: readonly string[],
  cpu: number | undefined,
): { command: string; args: string[] } {
  if (cpu === undefined) return { command, args: [...args] };
  return { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}
