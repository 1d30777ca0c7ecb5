/**
 * How busy the machine is before measuring. Other processes on a small
 * machine (a test run, say) move the figures by a factor of several; the
 * harness reports this so that a noisy run can be recognised as such.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Busy and total jiffies of all CPUs from the first line of `/proc/stat`. */
async function cpuTimes(): Promise<{ busy: number; total: number } | undefined> {
  try {
    const [line] = (await readFile('/proc/stat', 'utf8')).split('\n', 1);
    const fields = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    if (fields.length < 5 || fields.some(Number.isNaN)) return undefined;
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Share of all CPU time (0–100) spent busy, including steal time, over
 * `sampleMs`; `null` where `/proc/stat` is not available.
 */
export async function cpuBusyPercent(sampleMs = 500): Promise<number | null> {
  const before = await cpuTimes();
  await sleep(sampleMs);
  const after = await cpuTimes();
  if (!before || !after || after.total <= before.total) return null;
  return (100 * (after.busy - before.busy)) / (after.total - before.total);
}
