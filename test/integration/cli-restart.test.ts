import { writeFileSync } from 'node:fs';
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
}

async function roles(p: CliProject): Promise<Row[]> {
  const r = await p.run(['status', '--json']);
  return (JSON.parse(r.stdout) as { roles: Row[] }).roles;
}

async function role(p: CliProject, name: string): Promise<Row | undefined> {
  return (await roles(p)).find((r) => r.role === name);
}

describe('callsign restart', () => {
  it('restarts one role of a background group: one that runs, and one that failed', async () => {
    const p = await cliProjectWithRoles({
      // Fails its first 5 runs: the 5th failure within 60 s leaves it failed.
      flaky: { program: FLAKY, settings: { failures: 5 } },
      waiter: { program: WAIT_STOP },
    });
    const started = await p.run(['start', '--debug-level=CONSOLE']);
    expect(started.code, started.stderr).toBe(0);
    const waiter = (await role(p, 'waiter')) as Row;
    expect(waiter).toMatchObject({ state: 'running', restarts: 0 });
    await eventually(async () => {
      const log = await p.run(['log', 'waiter']);
      return /waiting for Stop/.test(log.stdout) ? true : undefined;
    }, 'the waiter up');

    // A running role: stopped (it is sent Stop) and started again, the others untouched.
    const restarted = await p.run(['restart', 'waiter']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/^restarted waiter \(pid \d+\)\n$/);
    const again = (await role(p, 'waiter')) as Row;
    expect(again).toMatchObject({ state: 'running', restarts: 1 });
    expect(again.pid).not.toBe(waiter.pid);
    expect(isRunning(waiter.pid as number)).toBe(false);
    expect(restarted.stdout).toContain(`pid ${again.pid}`);
    const waiterLog = await p.run(['log', 'waiter']);
    expect(waiterLog.stdout).toMatch(
      /- stopped\n.* # callsign - waiter ended \(exit code 0\).*; restarting now \(callsign restart\)\n/,
    );

    // A role that failed its restarts is not restarted by the supervisor any more...
    const failed = await eventually(
      async () => {
        const r = await role(p, 'flaky');
        return r?.state === 'failed' ? r : undefined;
      },
      'flaky failed 5 times',
      30_000,
    );
    expect(failed.restarts).toBe(4);
    // ...but by `callsign restart`, with its failures forgotten: its 6th run comes up.
    const revived = await p.run(['restart', 'flaky']);
    expect(revived.code, revived.stderr).toBe(0);
    expect(revived.stdout).toMatch(/^restarted flaky \(pid \d+\)\n$/);
    const up = await eventually(async () => {
      const r = await role(p, 'flaky');
      return r?.state === 'running' ? r : undefined;
    }, 'flaky running again');
    expect(up.restarts).toBe(5);
    const flakyLog = await eventually(async () => {
      const log = (await p.run(['log', 'flaky'])).stdout;
      return /run 6: up/.test(log) ? log : undefined;
    }, 'the 6th run of flaky up');
    expect(flakyLog).toMatch(
      /not restarted\n.* # callsign - started flaky .*\(callsign restart\)\n/,
    );
    expect((await role(p, 'waiter'))?.pid).toBe(again.pid);

    const stopped = await p.run(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
  }, 60_000);

  it('restarts a role of a group under `callsign run`, which goes on', async () => {
    const p = await cliProjectWithRoles({
      main: { program: WAIT_STOP },
      other: { program: WAIT_STOP },
    });
    const run = p.start(['run', '--main-role=main', '--debug-level=CONSOLE']);
    const upTimes = () => run.stderr.match(/^main \| .*waiting for Stop$/gm)?.length ?? 0;
    await run.waitFor(/^main \| .*waiting for Stop$/m);
    const main = (await role(p, 'main')) as Row;

    const restarted = await p.run(['restart', 'main']);
    expect(restarted.code, restarted.stderr).toBe(0);
    const again = (await role(p, 'main')) as Row;
    expect(again).toMatchObject({ state: 'running', restarts: 1 });
    expect(again.pid).not.toBe(main.pid);
    await eventually(async () => (upTimes() === 2 ? true : undefined), 'main up again');
    // Restarting its main role did not end the group: it ends on `stop`, as usual.
    const stopped = await p.run(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const ended = await run.done;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toBe('"stopped"\n');
  });

  it('refuses a role that is not in the running group, and a group that is not running', async () => {
    const p = await cliProjectWithRoles({
      waiter: { program: WAIT_STOP },
      echo: { program: ECHO },
    });
    const [notRunning, unknown] = await Promise.all([
      p.run(['restart', 'waiter']),
      p.run(['restart', 'nobody']),
    ]);
    expect(notRunning.code).toBe(2);
    expect(notRunning.stderr).toMatch(
      /^callsign: no group is running in .*\(ERR_GROUP_NOT_RUNNING\)\n$/,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no role "nobody" \(ERR_UNKNOWN_ROLE\)\n$/);

    expect((await p.run(['start', 'waiter'])).code).toBe(0);
    const notInGroup = await p.run(['restart', 'echo']);
    expect(notInGroup.code).toBe(2);
    expect(notInGroup.stderr).toMatch(
      /the group running in .* does not run echo \(it runs waiter\).*\(ERR_UNKNOWN_ROLE\)\n$/,
    );
    expect((await p.run(['stop'])).code).toBe(0);
  });
});

describe('callsign run / start, refused', () => {
  it('says "already running" before anything else, and names the role whose program is gone', async () => {
    const p = await cliProjectWithRoles({ waiter: { program: WAIT_STOP } });
    expect((await p.run(['start'])).code).toBe(0);
    // A role whose program file is gone, added while the group runs.
    writeFileSync(
      join(p.home, 'roles/ghost.json'),
      JSON.stringify({ program: 'gone/ghost.ts', settings: {} }),
    );
    const [start, run] = await Promise.all([p.run(['start']), p.run(['run'])]);
    for (const refused of [start, run]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/already running .*\(ERR_GROUP_RUNNING\)\n$/);
    }
    expect((await p.run(['stop'])).code).toBe(0);

    const [startAfter, runAfter] = await Promise.all([p.run(['start']), p.run(['run'])]);
    for (const refused of [startAfter, runAfter]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^callsign: role ghost: there is no program file gone\/ghost\.ts \(ERR_PROGRAM_NOT_FOUND\)\n$/,
      );
    }
  });
});
