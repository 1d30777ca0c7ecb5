import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject } from '../helpers/cli.ts';
import { ROOT } from '../helpers/processes.ts';

const EXAMPLE = join(ROOT, 'examples/networked-laboratory');

interface Summary {
  devices: Record<string, { kind: string; readings: number; last: number | null }>;
  available: number;
  dropped: number;
}

describe('the networked laboratory, run as a user would', () => {
  it('watches three strain gauges that push and three thermometers it polls, each its own process', async () => {
    const project = cliProject();
    expect((await project.run(['create'])).code).toBe(0);
    for (const [program, role] of [
      ['strain-device.ts', 'strain'],
      ['temperature-device.ts', 'temperature'],
    ] as const) {
      const added = await project.run(['add', join(EXAMPLE, program), role, '--count', '3']);
      expect(added.code, added.stderr).toBe(0);
    }
    const added = await project.run(['add', join(EXAMPLE, 'monitor.ts'), 'monitor']);
    expect(added.code, added.stderr).toBe(0);
    const updated = await project.run(['update', 'monitor', '--seconds=4']);
    expect(updated.code, updated.stderr).toBe(0);

    const run = await project.run(['run', '--main-role=monitor']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(Object.keys(summary.devices).sort()).toEqual([
      'strain-0',
      'strain-1',
      'strain-2',
      'temperature-0',
      'temperature-1',
      'temperature-2',
    ]);
    for (const [name, device] of Object.entries(summary.devices)) {
      const pushed = name.startsWith('strain-');
      expect(device.kind, name).toBe(pushed ? 'strain' : 'temperature');
      // Strain gauges push every half second; thermometers answer the monitor's polls.
      if (pushed) expect(device.readings, name).toBeGreaterThan(1);
      else expect(device.readings, name).toBeGreaterThanOrEqual(1);
      expect(typeof device.last, name).toBe('number');
    }
    expect(summary.available).toBe(6);
    expect(summary.dropped).toBe(0);
  }, 45_000);
});
