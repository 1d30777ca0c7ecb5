import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALLSIGN_BIN, cliProject } from '../helpers/cli.ts';

describe('callsign log', () => {
  it('prints a role’s log, since a time, and follows it until Ctrl-C', async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    const now = Date.now();
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const log = join(p.home, 'logs/web.log');
    writeFileSync(
      log,
      [
        `${at(3_600_000)} # callsign - started web (pid 1)`,
        `${at(3_000_000)} ! <00000001>web - old fault`,
        '    at an old stack frame',
        `${at(60_000)} # callsign - started web (pid 2)`,
        `${at(30_000)} ! <00000001>web - new fault`,
        '    at a new stack frame',
        '',
      ].join('\n'),
    );
    const since = at(45_000);
    const [all, recent, fromIso, bad, nobody] = await Promise.all([
      p.run(['log', 'web']),
      p.run(['log', 'web', '--since', '5m']),
      p.run(['log', 'web', '--since', since]),
      p.run(['log', 'web', '--since', 'yesterday']),
      p.run(['log', 'nobody']),
    ]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')).toHaveLength(7);
    expect(recent.stdout).not.toMatch(/old/);
    expect(recent.stdout).toMatch(
      /started web \(pid 2\)\n.*new fault\n {4}at a new stack frame\n$/,
    );
    expect(fromIso.stdout).toMatch(/^\S+ ! <00000001>web - new fault\n {4}at a new stack frame\n$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/yesterday.*\(ERR_USAGE\)/);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/\(ERR_UNKNOWN_ROLE\)/);

    appendFileSync(log, `${new Date().toISOString()} ^ <00000001>web - before following\n`);
    const follow = p.start(['log', 'web', '--since', '10s', '--follow']);
    await follow.waitFor(/before following\n/); // what there was: it follows from here
    appendFileSync(log, `${new Date().toISOString()} ^ <00000001>web - live line\n    continued`);
    await follow.waitFor(/live line\n/);
    appendFileSync(log, '\n');
    await follow.waitFor(/ {4}continued\n/);
    follow.child.kill('SIGINT');
    const r = await follow.done;
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/fault/);
  });

  it('ends with 0 when a Ctrl-C reaches its whole process group, as from a terminal', async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    writeFileSync(join(p.home, 'logs/web.log'), `${new Date().toISOString()} ^ web - up\n`);
    // As from a terminal: its own process group, which a Ctrl-C reaches whole
    // (twice under npx, which forwards it once more).
    const child = spawn(process.execPath, [CALLSIGN_BIN, 'log', 'web', '--follow'], {
      cwd: p.dir,
      env: { ...process.env, CALLSIGN_NO_HOST: '1', CALLSIGN_HOME: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    const printed = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('web - up\n')) resolve();
      });
    });
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await printed;
    const pid = child.pid as number;
    process.kill(-pid, 'SIGINT');
    process.kill(-pid, 'SIGINT');
    expect(await ended).toEqual({ code: 0, signal: null });
  });
});
