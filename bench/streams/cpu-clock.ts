/**
 * CPU time spent by each side of a measured phase of bench:streams: the
 * server (the stream host or nats-server, another process, read from
 * /proc) and the client (this process). On a shared machine wall-clock
 * rates move with the load by 1.5-3×, while the CPU a message costs each
 * side moves much less; the two sides' sum bounds what two free cores
 * could do (2 cores / CPU per message, with the sides working in parallel).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

/** CPU µs per message of one phase, each side; null where the server's time is unknown. */
export interface PhaseCpu {
  server_us: number | null;
  client_us: number;
}

/** CPU seconds used so far by process `pid` (from /proc), or undefined when unknown. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Starts counting; the function returned gives the CPU per message of `count` messages since. */
export function cpuClock(serverPid: number | undefined): (count: number) => PhaseCpu {
  const server = processCpuSeconds(serverPid);
  const client = process.cpuUsage();
  return (count) => {
    const used = process.cpuUsage(client);
    const now = processCpuSeconds(serverPid);
    const n = Math.max(count, 1);
    return {
      server_us:
        server === undefined || now === undefined
          ? null
          : Math.round(((now - server) * 1e6 * 100) / n) / 100,
      client_us: Math.round(((used.user + used.system) * 100) / n) / 100,
    };
  };
}
