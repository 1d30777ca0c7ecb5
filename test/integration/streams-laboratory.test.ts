// The networked laboratory with its stream: strain gauges push readings, the
// recorder appends each one to the stream `strain-readings` it hosts, and the
// report consumer summarises them from the earliest; run again, the report
// continues after what it acknowledged.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject } from '../helpers/cli.ts';
import { ROOT } from '../helpers/processes.ts';

const EXAMPLE = join(ROOT, 'examples/networked-laboratory');

interface Report {
  devices: Record<string, { readings: number; lowest: number; highest: number; mean: number }>;
  partitions: Record<string, { from: number; to: number }>;
}

describe('the networked laboratory records its strain readings in a stream', () => {
  it('reports per device from the earliest reading, and after a restart goes on where it acknowledged', async () => {
    const project = cliProject();
    expect((await project.run(['create'])).code).toBe(0);
    for (const [program, role, extra] of [
      ['strain-device.ts', 'strain', ['--count', '2']],
      ['recorder.ts', 'recorder', []],
      ['report.ts', 'report', []],
    ] as const) {
      const added = await project.run(['add', join(EXAMPLE, program), role, ...extra]);
      expect(added.code, added.stderr).toBe(0);
    }
    for (const role of ['strain-0', 'strain-1']) {
      expect((await project.run(['update', role, '--interval=0.05'])).code).toBe(0);
    }
    expect((await project.run(['update', 'report', '--readings=30'])).code).toBe(0);

    const first = await project.run(['run', '--main-role=report']);
    expect(first.code, first.stderr).toBe(0);
    const one = JSON.parse(first.stdout) as Report;
    expect(Object.values(one.devices).reduce((n, d) => n + d.readings, 0)).toBe(30);
    for (const [name, d] of Object.entries(one.devices)) {
      expect(name).toMatch(/^strain-[01]$/);
      expect(d.lowest, name).toBeLessThanOrEqual(d.highest);
    }
    // From the earliest reading: sequence 1 of each partition that had any.
    for (const p of Object.values(one.partitions)) expect(p.from).toBe(1);

    const second = await project.run(['run', '--main-role=report']);
    expect(second.code, second.stderr).toBe(0);
    const two = JSON.parse(second.stdout) as Report;
    expect(Object.values(two.devices).reduce((n, d) => n + d.readings, 0)).toBe(30);
    for (const [p, range] of Object.entries(two.partitions)) {
      const before = one.partitions[p];
      if (before) expect(range.from, `partition ${p}`).toBe(before.to + 1);
    }
  }, 90_000);
});
