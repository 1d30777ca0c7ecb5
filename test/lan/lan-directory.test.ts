import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRealm, realmFingerprint, serializeRealm } from '../../src/wire/realm.ts';
import { checkLanPrerequisites, type Lan, type LanProgram, startLan } from '../helpers/netns.ts';
import { ROOT, tempDir } from '../helpers/processes.ts';

const DIRECTORY = 'scopes/lan/directory.ts';
const HOST_DIRECTORY = 'scopes/host/directory.ts';
const CALLSIGN = join(ROOT, 'bin/callsign.js');
const FIND = 'test/lan/programs/lan-find.ts';
const IMPOSTOR = 'test/lan/programs/impostor.ts';

/** A realm file, shared by every host of the lab (the namespaces share one file system). */
function realmFile(dir: string, name: string): string {
  return realmFileOf(dir, name).file;
}

function realmFileOf(dir: string, name: string) {
  const file = join(dir, `${name}.realm.json`);
  const realm = createRealm(name);
  writeFileSync(file, serializeRealm(realm), { mode: 0o600 });
  return { file, realm };
}

/** Each simulated host gets a folder (and host endpoint) of its own, and the realm given. */
function hostEnv(dir: string, host: string, realm: string): NodeJS.ProcessEnv {
  const home = join(dir, host);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return {
    CALLSIGN_REALM: realm,
    CALLSIGN_HOST: `unix:${join(home, 'host.sock')}`,
    TMPDIR: home,
  };
}

/** Starts a LAN directory on `host` and resolves with it and its endpoint, once announced. */
async function startDirectory(
  lan: Lan,
  host: string,
  id: string,
  env: NodeJS.ProcessEnv,
): Promise<{ program: LanProgram; endpoint: string }> {
  const program = lan.startProgram(host, DIRECTORY, [`--id=${id}`, '--debug-level=CONSOLE'], env);
  const [, port] = await program.waitFor(/announced callsign-lan-\S+ on port (\d+)/);
  return { program, endpoint: `${lan.address(host)}:${port}` };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `found A` then, later, `found B` in a finder's output. */
const movedTo = (from: string, to: string) =>
  new RegExp(`found ${escapeRe(from)}\\n(?:.*\\n)*?found ${escapeRe(to)}\\n`);

describe('the LAN directory', () => {
  it('is found over mDNS by the hosts of its realm only; all pick the same one and move together', async () => {
    await using lan = await startLan({ hosts: 3, name: 'landir' });
    const dir = tempDir('callsign-lan-');
    const realmA = realmFile(dir, 'a');
    const realmB = realmFile(dir, 'b');
    const envA = (h: string) => hostEnv(dir, h, realmA);

    // Realm B's directory has the lowest id of all: realm A's hosts must not use it.
    const [b, a1] = await Promise.all([
      startDirectory(lan, 'h3', '0000-other-realm', hostEnv(dir, 'h3b', realmB)),
      startDirectory(lan, 'h1', 'lan-b', envA('h1')),
    ]);
    const finders = ['h2', 'h3'].map((h) => lan.startProgram(h, FIND, [], envA(h)));
    const finderB = lan.startProgram('h1', FIND, [], hostEnv(dir, 'h1b', realmB));
    await Promise.all(
      finders.map((f) => f.waitFor(new RegExp(`found ${escapeRe(a1.endpoint)}\\n`))),
    );
    await finderB.waitFor(new RegExp(`found ${escapeRe(b.endpoint)}\\n`));
    for (const f of finders) expect(f.stdout).not.toContain(b.endpoint);
    expect(finderB.stdout).not.toContain(a1.endpoint);

    // A second directory of realm A, with a lower id: every host moves to it.
    const a2 = await startDirectory(lan, 'h2', 'lan-a', envA('h2'));
    await Promise.all(finders.map((f) => f.waitFor(movedTo(a1.endpoint, a2.endpoint))));

    // Stopped gracefully: its goodbye reaches the hosts at once, and they
    // move back to the other.
    a2.program.child.kill('SIGTERM');
    expect((await a2.program.exited).code).toBe(0);
    await Promise.all(finders.map((f) => f.waitFor(movedTo(a2.endpoint, a1.endpoint), 3_000)));

    // Killed: mDNS never says so, but it stops answering queries, and the
    // hosts move to the one that does within seconds.
    const a3 = await startDirectory(lan, 'h3', 'lan-0', envA('h3'));
    await Promise.all(finders.map((f) => f.waitFor(movedTo(a1.endpoint, a3.endpoint))));
    a3.program.child.kill('SIGKILL');
    await a3.program.exited;
    await Promise.all(finders.map((f) => f.waitFor(movedTo(a3.endpoint, a1.endpoint), 10_000)));
    // Never an answer of the other realm, never "none" while one ran.
    for (const f of finders) {
      expect(f.stdout).not.toContain(b.endpoint);
      expect(f.stdout).not.toContain('found none');
    }
  });

  it('runs under `callsign lan start|stop|status`, and host directories connect to it and let go', async () => {
    await using lan = await startLan({ hosts: 3, name: 'lancli' });
    const dir = tempDir('callsign-lan-');
    const realm = realmFile(dir, 'a');
    const env = (h: string) => ({
      ...hostEnv(dir, h, realm),
      CALLSIGN_LAN_STATE_DIR: join(dir, h, 'state'),
    });
    const callsign = (h: string, ...args: string[]) =>
      lan.run(h, [process.execPath, CALLSIGN, ...args], { env: env(h), cwd: join(dir, h) });

    const started = await callsign('h1', 'lan', 'start');
    expect(started.code, started.stderr).toBe(0);
    const [, port] =
      started.stdout.match(
        /started the LAN directory \(pid \d+\) at 0\.0\.0\.0:(\d+), announced as callsign-lan-/,
      ) ?? [];
    expect(port).toBeDefined();
    const endpoint = `${lan.address('h1')}:${port}`;

    const again = await callsign('h1', 'lan', 'start');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('ERR_LAN_RUNNING');

    const status = JSON.parse((await callsign('h1', 'lan', 'status', '--json')).stdout);
    expect(status).toMatchObject({ running: true, port: Number(port), accepting: true });
    expect(status.fingerprint).toMatch(/^[a-z2-7]{26}$/);

    const hosts = ['h2', 'h3'].map((h) =>
      lan.startProgram(h, HOST_DIRECTORY, ['--debug-level=CONSOLE'], env(h)),
    );
    await Promise.all(
      hosts.map((p) => p.waitFor(new RegExp(`LAN directory found at ${escapeRe(endpoint)}`))),
    );

    const stopped = await callsign('h1', 'lan', 'stop');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/^stopped: the LAN directory/);
    // Connected, then let go: the goodbye means none is found again.
    await Promise.all(
      hosts.map((p) =>
        p.waitFor(
          new RegExp(
            `lost the directory above \\(${escapeRe(endpoint)}\\)[^]*no LAN directory of this realm found yet`,
          ),
          5_000,
        ),
      ),
    );

    const notRunning = await callsign('h1', 'lan', 'stop');
    expect(notRunning.code).toBe(2);
    expect(notRunning.stderr).toContain('ERR_LAN_NOT_RUNNING');
    expect(JSON.parse((await callsign('h1', 'lan', 'status', '--json')).stdout)).toMatchObject({
      running: false,
      pid: null,
    });
  });

  it('is not found from a host without a multicast route, and both sides say why', async () => {
    await using lan = await startLan({ hosts: 2, name: 'nomcast' });
    const dir = tempDir('callsign-lan-');
    const realm = realmFile(dir, 'a');
    const { ip } = checkLanPrerequisites();
    execFileSync(ip, ['-n', lan.namespace('h1'), 'route', 'del', '224.0.0.0/4']);
    const directory = await startDirectory(lan, 'h1', 'lan-a', hostEnv(dir, 'h1', realm));
    const finders = ['h1', 'h2'].map((h) =>
      lan.startProgram(h, FIND, ['--seconds=3'], hostEnv(dir, h, realm)),
    );
    await Promise.all(finders.map((f) => f.exited));
    for (const f of finders) expect(f.stdout).toBe('found none\n');
    // The finder on h1 cannot query; the directory cannot answer h2's queries.
    // Each says so once, not at every query.
    expect(finders[0]?.stderr.match(/mdns: .*ENETUNREACH/g)).toHaveLength(1);
    expect(finders[1]?.stderr).not.toMatch(/ENETUNREACH/);
    expect(directory.program.stderr.match(/mDNS: .*ENETUNREACH/g)).toHaveLength(1);
  });

  it('passes over an announcement of the realm by someone without its secret, and does not try it again at the next reconnect', async () => {
    await using lan = await startLan({ hosts: 3, name: 'impostor' });
    const dir = tempDir('callsign-lan-');
    const ours = realmFileOf(dir, 'a');
    // The realm's fingerprint is public: it announces it with the lowest id, from another realm.
    const impostor = lan.startProgram(
      'h2',
      IMPOSTOR,
      [`--fingerprint=${realmFingerprint(ours.realm)}`, '--debug-level=CONSOLE'],
      hostEnv(dir, 'h2x', realmFile(dir, 'x')),
    );
    const [, impostorPort] = await impostor.waitFor(
      /announced callsign-lan-0000-impostor on port (\d+)/,
    );
    const fake = `${lan.address('h2')}:${impostorPort}`;
    const host = lan.startProgram(
      'h3',
      HOST_DIRECTORY,
      ['--debug-level=CONSOLE'],
      hostEnv(dir, 'h3', ours.file),
    );
    // Tried once, refused by the handshake...
    await host.waitFor(new RegExp(`LAN directory found at ${escapeRe(fake)}`));
    await impostor.waitFor(/refused: .*\(ERR_WRONG_REALM\)/);
    // ... and passed over: the real one is used as soon as it is there.
    const real = await startDirectory(lan, 'h1', 'lan-a', hostEnv(dir, 'h1', ours.file));
    await host.waitFor(
      new RegExp(`connected to the directory above at ${escapeRe(real.endpoint)}`),
      20_000,
    );
    // The real one dies twice (no goodbye: the host finds out by keep-alive, seconds later,
    // after a plain set-aside would have ended) and comes back elsewhere each time: the host
    // goes straight to it, never by the impostor again.
    let current = real;
    for (const id of ['lan-a2', 'lan-a3']) {
      current.program.child.kill('SIGKILL');
      await current.program.exited;
      const lost = new RegExp(`lost the directory above \\(${escapeRe(current.endpoint)}\\)`);
      await host.waitFor(lost, 20_000);
      current = await startDirectory(lan, 'h1', id, hostEnv(dir, 'h1', ours.file));
      const back = new RegExp(`connected to the directory above at ${escapeRe(current.endpoint)}`);
      await host.waitFor(back, 20_000);
    }
    expect(
      host.stderr.match(new RegExp(`LAN directory found at ${escapeRe(fake)}`, 'g')),
    ).toHaveLength(1);
    expect(impostor.stderr.match(/refused: /g)).toHaveLength(1);
  });
});
