import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { type Lan, type LanProgram, startLan } from '../helpers/netns.ts';
import { tempDir } from '../helpers/processes.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const LAN_DIRECTORY = 'scopes/lan/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';

/** Everything a simulated host runs with: its own host directory socket, a shared realm file. */
function realmFile(dir: string, name: string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, serializeRealm(createRealm(name)), { mode: 0o600 });
  return path;
}

interface World {
  lan: Lan;
  env(host: string, realm?: string): NodeJS.ProcessEnv;
  start(host: string, file: string, args?: string[], realm?: string): LanProgram;
}

/** A lab of `hosts` hosts, each with a host directory, and a LAN directory on `lanHost`. */
async function world(
  hosts: number,
  lanHost = 'h3',
): Promise<World & { lanDirectory: LanProgram; hostDirectories: Map<string, LanProgram> }> {
  const lan = await startLan({ hosts, name: 'ps' });
  const dir = tempDir('callsign-lan-');
  const realm = realmFile(dir, 'lab');
  const env = (host: string, realmPath = realm): NodeJS.ProcessEnv => {
    mkdirSync(join(dir, host), { recursive: true });
    return { CALLSIGN_REALM: realmPath, CALLSIGN_HOST: `unix:${join(dir, host, 'host.sock')}` };
  };
  const start = (host: string, file: string, args: string[] = [], realmPath = realm) =>
    lan.startProgram(host, file, ['--debug-level=CONSOLE', ...args], env(host, realmPath));
  const lanDirectory = start(lanHost, LAN_DIRECTORY);
  await lanDirectory.waitFor(/lan directory listening on/);
  // Each host's directory is its own: they start side by side.
  const hostDirectories = new Map(
    await Promise.all(
      lan.hosts.map(async (host) => {
        const d = start(host, HOST_DIRECTORY);
        await d.waitFor(/host directory listening on/);
        return [host, d] as const;
      }),
    ),
  );
  return { lan, env, start, lanDirectory, hostDirectories };
}

function count(p: LanProgram, pattern: RegExp): number {
  return p.stderr.split('\n').filter((l) => pattern.test(l)).length;
}

describe('publish/subscribe across a LAN found by mDNS', () => {
  it('finds a publisher on h1 from h2 and h3, by exact name and by regex, and talks to it', async () => {
    const w = await world(3);
    await w.start('h1', PUBLISHER, ['--name=lab-service']).waitFor(/published lab-service/);
    const exact = w.start('h2', WATCH, ['--search=lab-service', '--hello']);
    const regex = w.start('h3', WATCH, ['--search=/lab-.*/', '--hello']);
    await exact.waitFor(/available lab-service lan/, 20_000);
    await regex.waitFor(/available lab-service lan/, 20_000);
    await exact.waitFor(/welcome from h1/);
    await regex.waitFor(/welcome from h1/);
  });

  it('gives Dropped when the publisher is killed, and Available when it is back', async () => {
    const w = await world(3);
    const publisher = w.start('h1', PUBLISHER);
    await publisher.waitFor(/published/);
    const watch = w.start('h2', WATCH);
    await watch.waitFor(/available lab-service lan/, 20_000);
    publisher.child.kill('SIGKILL');
    await watch.waitFor(/dropped lab-service/, 10_000);
    await w.start('h1', PUBLISHER).waitFor(/published/);
    await expect.poll(() => count(watch, /available lab-service/), { timeout: 20_000 }).toBe(2);
  });

  it('keeps sessions while the LAN directory is down, and finds a restarted one', async () => {
    const w = await world(3);
    await w.start('h1', PUBLISHER).waitFor(/published/);
    const watch = w.start('h2', WATCH, ['--hello']);
    await watch.waitFor(/available lab-service lan/, 20_000);
    w.lanDirectory.child.kill('SIGKILL');
    const before = count(watch, /welcome from h1/);
    await expect
      .poll(() => count(watch, /welcome from h1/), { timeout: 10_000 })
      .toBeGreaterThan(before + 10);
    expect(count(watch, /dropped/)).toBe(0);
    await w.start('h3', LAN_DIRECTORY).waitFor(/lan directory listening on/);
    const late = w.start('h3', WATCH);
    await late.waitFor(/available lab-service lan/, 20_000);
    expect(count(watch, /dropped/)).toBe(0);
  });

  it('a killed host directory withdraws its host’s listings (Dropped), and its return brings Available back', async () => {
    const w = await world(3);
    await w.start('h1', PUBLISHER).waitFor(/published/);
    const watch = w.start('h2', WATCH);
    await watch.waitFor(/available lab-service lan/, 20_000);
    const h1Directory = w.hostDirectories.get('h1') as LanProgram;
    h1Directory.child.kill('SIGKILL');
    await watch.waitFor(/dropped lab-service/, 10_000);
    // The publisher's node finds its restarted host directory and pushes its listing again.
    await w.start('h1', HOST_DIRECTORY).waitFor(/host directory listening on/);
    await expect.poll(() => count(watch, /available lab-service/), { timeout: 20_000 }).toBe(2);
  });

  it('a cable pulled at the switch gives Dropped; plugged back, Available comes again', async () => {
    const w = await world(3);
    await w.start('h1', PUBLISHER).waitFor(/published/);
    const watch = w.start('h2', WATCH, ['--hello']);
    await watch.waitFor(/available lab-service lan/, 20_000);
    await w.lan.cable('h1', 'down');
    await watch.waitFor(/dropped lab-service/, 15_000);
    await w.lan.cable('h1', 'up');
    await expect.poll(() => count(watch, /available lab-service/), { timeout: 30_000 }).toBe(2);
    const before = count(watch, /welcome from h1/);
    await expect
      .poll(() => count(watch, /welcome from h1/), { timeout: 10_000 })
      .toBeGreaterThan(before);
  });

  it('runs the networked laboratory across hosts: devices on h1 and h2, the monitor on h3', async () => {
    const w = await world(3);
    const lab = 'examples/networked-laboratory';
    for (const [host, n] of [
      ['h1', 0],
      ['h2', 1],
    ] as const) {
      await w
        .start(host, `${lab}/strain-device.ts`, [`--name=strain-${n}`, '--scope=lan'])
        .waitFor(/published/);
      await w
        .start(host, `${lab}/temperature-device.ts`, [`--name=temperature-${n}`, '--scope=lan'])
        .waitFor(/published/);
    }
    const monitor = w.start('h3', `${lab}/monitor.ts`, [
      '--scope=lan',
      '--seconds=5',
      '--display=log',
    ]);
    const summary = (await monitor.output()) as { devices: Record<string, { readings: number }> };
    expect(Object.keys(summary.devices).sort()).toEqual([
      'strain-0',
      'strain-1',
      'temperature-0',
      'temperature-1',
    ]);
    for (const device of Object.values(summary.devices)) expect(device.readings).toBeGreaterThan(0);
  });

  it('converges with 5% packet loss on the LAN', async () => {
    const lanLoss = await world(3);
    await lanLoss.lan.loss(5);
    await lanLoss.start('h1', PUBLISHER).waitFor(/published/);
    const watch = lanLoss.start('h2', WATCH, ['--hello']);
    await watch.waitFor(/available lab-service lan/, 30_000);
    await watch.waitFor(/welcome from h1/, 15_000);
  });

  it('a host of another realm on the same LAN sees nothing and gets nothing', async () => {
    const w = await world(3);
    await w.start('h1', PUBLISHER).waitFor(/published/);
    const friend = w.start('h2', WATCH);
    await friend.waitFor(/available lab-service lan/, 20_000);
    // h3 also runs a second host directory and a subscriber of another realm.
    const otherDir = tempDir('callsign-other-');
    const otherEnv = {
      CALLSIGN_REALM: realmFile(otherDir, 'other'),
      CALLSIGN_HOST: `unix:${join(otherDir, 'host.sock')}`,
    };
    const strangerHost = w.lan.startProgram(
      'h3',
      HOST_DIRECTORY,
      ['--debug-level=CONSOLE'],
      otherEnv,
    );
    await strangerHost.waitFor(/host directory listening on/);
    const stranger = w.lan.startProgram('h3', WATCH, ['--debug-level=CONSOLE'], otherEnv);
    // Its host directory has seen the LAN directory, and passed it over.
    await strangerHost.waitFor(
      /LAN directory callsign-lan-\S+ at \S+ is of another realm .*: ignored/,
    );
    // A subscriber of the realm started after the stranger finds the listing: time enough.
    const late = w.start('h3', WATCH);
    await late.waitFor(/available lab-service lan/, 20_000);
    expect(stranger.stderr).not.toMatch(/available/);
    // Its host directory ignored the announcement (another realm's fingerprint)
    // rather than trying and being refused.
    expect(w.lanDirectory.stderr).not.toMatch(/refused/);
  });
});
