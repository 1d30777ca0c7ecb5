import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliProject, cliProjectWithRoles, PROGRAMS } from '../helpers/cli.ts';

const ECHO = join(PROGRAMS, 'role-echo.ts');
const WAIT_STOP = join(PROGRAMS, 'role-wait-stop.ts');

async function expectNothingLeft(p: CliProject) {
  expect(existsSync(join(p.home, 'run/supervisor.json'))).toBe(false);
  expect(existsSync(join(p.home, 'run/state.json'))).toBe(false);
}

describe('callsign run', () => {
  it('prints the main role’s output as it is and exits with its code', async () => {
    const p = await cliProjectWithRoles({
      echo: { program: ECHO, settings: { greeting: 'hi' } },
      bad: { program: ECHO, settings: { fail: true } },
      waiter: { program: WAIT_STOP },
    });

    // The group ends with its main role: waiter is stopped then.
    const main = await p.run(['run', 'echo', 'waiter', '--main-role', 'echo']);
    expect(main.code, main.stderr).toBe(0);
    expect(main.stdout).not.toMatch(/waiter/);
    expect(JSON.parse(main.stdout)).toEqual({
      role: 'echo',
      home: p.home,
      realm: join(p.home, 'realm.json'),
      keys: join(p.home, 'keys/echo.json'),
      group: `unix:${join(p.home, 'run/group.sock')}`,
      cwd: p.dir,
      settings: expect.objectContaining({ greeting: 'hi' }),
    });
    expect(existsSync(join(p.home, 'keys/echo.json'))).toBe(true);
    const waiterLog = await readFile(join(p.home, 'logs/waiter.log'), 'utf8');
    expect(waiterLog).toMatch(/^\S+Z # callsign - started waiter \(pid \d+\)/m);
    // Stopped with SIGTERM: as Stop, or before it was far enough to take it as Stop.
    expect(waiterLog).toMatch(/waiter ended \((exit code 0|killed by SIGTERM)\)/);

    const failed = await p.run(['run', 'bad', '--main-role', 'bad']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ code: 'ERR_TEST' });
    await expectNothingLeft(p);
  });

  it('without a main role, prints every role’s output once all have ended', async () => {
    const p = await cliProjectWithRoles({
      echo: { program: ECHO },
      bad: { program: ECHO, settings: { fail: true } },
    });
    const all = await p.run(['run']);
    expect(all.code).toBe(1); // bad failed
    const out = JSON.parse(all.stdout);
    expect(Object.keys(out).sort()).toEqual(['bad', 'echo']);
    expect(out.echo).toMatchObject({ role: 'echo', settings: { greeting: 'hello' } });
    expect(out.bad).toMatchObject({ code: 'ERR_TEST', message: 'bad asked to fail' });

    const one = await p.run(['run', 'echo']);
    expect(one.code, one.stderr).toBe(0);
    expect(Object.keys(JSON.parse(one.stdout))).toEqual(['echo']);

    const [unknown, unknownMain] = await Promise.all([
      p.run(['run', 'nobody']),
      p.run(['run', '--main-role', 'nobody']),
    ]);
    for (const r of [unknown, unknownMain]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/nobody.*\(ERR_UNKNOWN_ROLE\)/);
    }
  });

  it('stops the group gracefully on Ctrl-C, showing logs with --debug-level', async () => {
    const p = await cliProjectWithRoles({
      'waiter-0': { program: WAIT_STOP },
      'waiter-1': { program: WAIT_STOP },
    });
    const run = p.start(['run', '--debug-level=CONSOLE']);
    await run.waitFor(/^waiter-0 \| .*waiter-0 waiting for Stop$/m);
    await run.waitFor(/^waiter-1 \| .*waiter-1 waiting for Stop$/m);
    const status = await p.run(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      supervisor: { mode: 'foreground', pid: run.child.pid },
    });
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ 'waiter-0': 'stopped', 'waiter-1': 'stopped' });
    expect(r.stderr).toMatch(/SIGINT: stopping the group/);
    // Each role got Stop (not SIGKILL), and the group directory was stopped too.
    expect(r.stderr).toMatch(/^waiter-0 \| .* - stopped$/m);
    expect(r.stderr).toMatch(/_group ended/);
    await expectNothingLeft(p);
  });
});
