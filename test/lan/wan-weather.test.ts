/**
 * The remote weather stations example, as its README runs it: one command
 * in the simulated internet; the observatory, at a third site behind its own
 * NAT, finds the four stations at two NATed sites across the WAN and marks
 * the one stopped halfway as dropped.
 */
import { describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/processes.ts';

describe('examples/remote-weather-stations', () => {
  it('shows every station of both sites, with readings, and marks the stopped one dropped', async () => {
    const r = await runProgram('examples/remote-weather-stations/simulate.ts', ['--seconds=8']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const { stations } = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(Object.keys(stations).sort()).toEqual([
      'station-north-1',
      'station-north-2',
      'station-south-1',
      'station-south-2',
    ]);
    for (const [name, s] of Object.entries(
      stations as Record<
        string,
        { state: string; readings: number; values: { celsius: { min: number; max: number } } }
      >,
    )) {
      expect(s.readings, name).toBeGreaterThan(0);
      expect(s.values.celsius.min).toBeLessThanOrEqual(s.values.celsius.max);
      expect(s.state, name).toBe(name === 'station-south-2' ? 'dropped' : 'available');
    }
    expect(r.stderr).toMatch(/DROPPED/);
  }, 90_000);
});
