import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CliProject,
  cliProjectWithRoles,
  eventually,
  isRunning,
  PROGRAMS,
} from '../helpers/cli.ts';

const ECHO = join(PROGRAMS, 'role-echo.ts');
const FLAKY = join(PROGRAMS, 'role-flaky.ts');
const WAIT_STOP = join(PROGRAMS, 'role-wait-stop.ts');

interface Row {
  role: string;
  state: string;
  pid: number | null;
  restarts: number;
  uptimeSeconds: number | null;
}

interface Report {
  running: boolean;
  supervisor: { pid: number; alive: boolean } | null;
  directory: Row | null;
  roles: Row[];
}

async function status(p: CliProject): Promise<Report> {
  const r = await p.run(['status', '--json']);
  return JSON.parse(r.stdout) as Report;
}

describe('callsign start / status / stop', () => {
  it('runs the group in the background, restarting a role that fails', async () => {
    const p = await cliProjectWithRoles({
      flaky: { program: FLAKY },
      echo: { program: ECHO },
      waiter: { program: WAIT_STOP },
    });

    const started = await p.run(['start', '--debug-level=CONSOLE']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/started echo, flaky, waiter \(supervisor pid \d+\)/);

    // flaky fails twice, is restarted twice, then runs; echo completes.
    const report = await eventually(async () => {
      const s = await status(p);
      const flaky = s.roles.find((r) => r.role === 'flaky');
      const echo = s.roles.find((r) => r.role === 'echo');
      return flaky?.state === 'running' && flaky.restarts === 2 && echo?.state === 'completed'
        ? s
        : undefined;
    }, 'two restarts of flaky');
    expect(report.running).toBe(true);
    expect(report.directory).toMatchObject({ role: '_group', state: 'running' });
    expect(report.roles.find((r) => r.role === 'waiter')).toMatchObject({
      state: 'running',
      restarts: 0,
    });
    expect(report.roles.find((r) => r.role === 'echo')).toMatchObject({ pid: null });

    const [table, again, run, destroy, log] = await Promise.all([
      p.run(['status']),
      p.run(['start']),
      p.run(['run']),
      p.run(['destroy']),
      p.run(['log', 'flaky']),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ROLE\s+STATE\s+PID\s+RESTARTS\s+UPTIME$/m);
    expect(table.stdout).toMatch(/^flaky\s+running\s+\d+\s+2\s+\d+s$/m);
    expect(table.stdout).toMatch(/^echo\s+completed\s+-\s+0\s+-$/m);
    for (const refused of [again, run, destroy]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/\(ERR_GROUP_RUNNING\)\n$/);
    }
    expect(log.stdout.match(/# callsign - started flaky/g)).toHaveLength(3);
    expect(log.stdout).toMatch(/run 2: failing on purpose/);
    expect(log.stdout).toMatch(/flaky ended \(exit code 1\).*restarting in \d+ ms/);

    const pids = [report.supervisor?.pid, report.directory?.pid, ...report.roles.map((r) => r.pid)];
    const stopped = await p.run(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const pid of pids) if (typeof pid === 'number') expect(isRunning(pid)).toBe(false);
    expect(existsSync(join(p.home, 'run/state.json'))).toBe(false);
    const waiterLog = await p.run(['log', 'waiter']);
    expect(waiterLog.stdout).toMatch(/- stopped$/m); // it was sent Stop

    const [after, stopAgain] = await Promise.all([p.run(['status']), p.run(['stop'])]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^not running/);
    expect(stopAgain.code).toBe(2);
    expect(stopAgain.stderr).toMatch(/\(ERR_GROUP_NOT_RUNNING\)\n$/);
  });

  it('tells when the supervisor died, and stop cleans up after it', async () => {
    const p = await cliProjectWithRoles({ waiter: { program: WAIT_STOP } });
    expect((await p.run(['start'])).code).toBe(0);
    const before = await status(p);
    const supervisor = before.supervisor?.pid as number;
    const waiter = before.roles[0]?.pid as number;
    process.kill(supervisor, 'SIGKILL'); // a supervisor this test started
    await eventually(async () => (isRunning(supervisor) ? undefined : true), 'the supervisor gone');

    const died = await p.run(['status']);
    expect(died.code).toBe(1);
    expect(died.stderr).toMatch(/\(ERR_SUPERVISOR_DIED\)\n$/);
    expect(died.stdout).toMatch(/^not running: the background supervisor, pid \d+ died/);
    expect(isRunning(waiter)).toBe(true);

    const stop = await p.run(['stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toMatch(/had died/);
    expect(isRunning(waiter)).toBe(false);
    expect((await p.run(['status'])).stdout).toMatch(/^not running/);
  });
});
