import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject, eventually, isRunning } from '../helpers/cli.ts';
import { hostFixture } from './programs/host-fixture.ts';

interface HostStatus {
  running: boolean;
  endpoint: string;
  accepting: boolean;
  pid: number | null;
  realmFile: string | null;
  startedAt: string | null;
  uptimeSeconds: number | null;
  log: string;
}

describe('callsign host start / status / stop', () => {
  it('runs the host directory in the background until stopped', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = { ...host.env, CALLSIGN_REALM: host.realmFile };
    const socket = join(host.dir, 'host.sock');

    const before = await p.run(['host', 'status'], env);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toBe('not running\n');

    const started = await p.run(['host', 'start'], env);
    expect(started.code, started.stderr).toBe(0);
    const pid = Number(/started the host directory \(pid (\d+)\)/.exec(started.stdout)?.[1]);
    expect(started.stdout).toContain(`at ${host.endpoint}`);
    expect(isRunning(pid)).toBe(true);
    expect(host.pid()).toBe(pid);
    expect(existsSync(socket)).toBe(true);
    // The daemon runs in the realm it was given, and in no home.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`CALLSIGN_REALM=${host.realmFile}`);
    expect(environ).toContain(`CALLSIGN_HOST=${host.endpoint}`);

    const [json, table, again] = await Promise.all([
      p.run(['host', 'status', '--json'], env),
      p.run(['host', 'status'], env),
      p.run(['host', 'start'], env),
    ]);
    expect(JSON.parse(json.stdout) as HostStatus).toMatchObject({
      running: true,
      accepting: true,
      pid,
      endpoint: host.endpoint,
      realmFile: host.realmFile,
      log: join(host.dir, 'host.log'),
    });
    expect((JSON.parse(json.stdout) as HostStatus).uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^host directory running$/m);
    expect(table.stdout).toMatch(new RegExp(`^ {2}pid\\s+${pid}$`, 'm'));
    expect(table.stdout).toMatch(/^ {2}uptime\s+\d+s$/m);
    expect(table.stdout).toContain(host.realmFile);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^callsign: .*\(ERR_HOST_RUNNING\)\n$/);

    const stopped = await p.run(['host', 'stop'], env);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/^stopped: the host directory/);
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(join(host.dir, 'host.json'))).toBe(false);
    expect(existsSync(socket)).toBe(false);
    expect(host.log()).toMatch(/host directory listening on unix:/);
    expect(host.log()).toMatch(new RegExp(`# callsign - host directory pid ${pid} stopped`));

    const [stopAgain, after] = await Promise.all([
      p.run(['host', 'stop'], env),
      p.run(['host', 'status', '--json'], env),
    ]);
    expect(stopAgain.code).toBe(2);
    expect(stopAgain.stderr).toMatch(/^callsign: .*\(ERR_HOST_NOT_RUNNING\)\n$/);
    expect(JSON.parse(after.stdout)).toMatchObject({ running: false, accepting: false, pid: null });
  });

  it("starts in the home's realm, and gets over a host directory that was killed", async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    const host = hostFixture();

    const started = await p.run(['host', 'start'], host.env);
    expect(started.code, started.stderr).toBe(0);
    const pid = host.pid() as number;
    const status = JSON.parse((await p.run(['host', 'status', '--json'], host.env)).stdout);
    expect(status).toMatchObject({ running: true, realmFile: join(p.home, 'realm.json') });

    process.kill(pid, 'SIGKILL');
    await eventually(async () => (isRunning(pid) ? undefined : true), 'the host directory ending');
    const [dead, stop] = [
      await p.run(['host', 'status'], host.env),
      await p.run(['host', 'stop'], host.env),
    ];
    expect(dead.stdout).toBe('not running\n');
    expect(stop.code).toBe(2);
    expect(stop.stderr).toMatch(/had died.*\(ERR_HOST_NOT_RUNNING\)\n$/);
    expect(existsSync(join(host.dir, 'host.json'))).toBe(false);

    const restarted = await p.run(['host', 'start'], host.env);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(host.pid()).not.toBe(pid);
  });

  it('refuses an unknown action', async () => {
    const p = cliProject();
    const r = await p.run(['host', 'restart']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(ERR_USAGE\)\n$/);
  });
});
