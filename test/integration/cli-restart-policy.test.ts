import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, RestartPolicy } from '../../orchestrator/restart-policy.ts';

const failure = { code: 1, signal: null } as const;
const killed = { code: null, signal: 'SIGKILL' } as const;
const success = { code: 0, signal: null } as const;

describe('the restart policy of `callsign start`', () => {
  it('completes a process that exits 0, and restarts one that fails or is killed', () => {
    const policy = new RestartPolicy({ random: () => 0 });
    expect(policy.onExit(success, 0)).toEqual({ kind: 'completed' });
    expect(policy.onExit(failure, 0)).toEqual({ kind: 'restart', delayMs: 500, failures: 1 });
    expect(policy.onExit(killed, 1000)).toEqual({ kind: 'restart', delayMs: 1000, failures: 2 });
  });

  it('backs off exponentially with jitter, from 0.5 s up to 30 s', () => {
    const low = new RestartPolicy({ random: () => 1, maxFailures: 100 });
    const high = new RestartPolicy({ random: () => 0, maxFailures: 100 });
    const delays = (p: RestartPolicy) =>
      Array.from({ length: 9 }, (_, i) => {
        const d = p.onExit(failure, i);
        return d.kind === 'restart' ? d.delayMs : -1;
      });
    expect(delays(high)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(delays(low)).toEqual([250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('marks a process failed on its 5th failure within 60 s', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 4; i++) expect(policy.onExit(failure, i * 10_000).kind).toBe('restart');
    expect(policy.onExit(failure, 40_000)).toEqual({ kind: 'failed', failures: 5 });
    expect(DEFAULT_RESTART_POLICY).toMatchObject({ maxFailures: 5, windowMs: 60_000 });
  });

  it('counts only the failures of the last 60 s, and starts its backoff afresh after a quiet minute', () => {
    const policy = new RestartPolicy({ random: () => 0 });
    for (let i = 0; i < 4; i++) policy.onExit(failure, i * 20_000); // at 0, 20, 40, 60 s
    expect(policy.onExit(failure, 75_000)).toMatchObject({ kind: 'restart', failures: 4 });
    expect(policy.onExit(failure, 200_000)).toEqual({
      kind: 'restart',
      delayMs: 500,
      failures: 1,
    });
  });
});
