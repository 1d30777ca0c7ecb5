/**
 * `callsign wan` as a user runs it on loopback: tenants and invites write
 * files 0600 and print no secret; misuse has its code; a site joins with
 * its access file; `wan serve` relays between two sites found by name, and
 * a tenant's listing limit reaches the publishing actor as NotPublished.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { cliProject } from '../helpers/cli.ts';
import { startProgram } from '../helpers/processes.ts';
import { hostFixture } from './programs/host-fixture.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every base64 secret of an access file: none may be printed. */
function secretsOf(path: string): string[] {
  const file = JSON.parse(readFileSync(path, 'utf8'));
  return [file.secret, ...Object.values(file.siteKeys as Record<string, string>)].filter(
    (v) => typeof v === 'string' && v.length >= 40,
  );
}

describe('callsign wan', () => {
  it('adds tenants and invites sites with files 0600, printing where they are and no secret', async () => {
    const p = cliProject();
    const dir = ['--dir', join(p.dir, 'relay')];
    const added = await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
    expect(added.code, added.stderr).toBe(0);
    expect(mode(join(p.dir, 'relay', 'tenants', 'acme.json'))).toBe(0o600);
    expect(mode(join(p.dir, 'relay'))).toBe(0o700);
    const again = await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
    expect(again.stderr).toMatch(/ERR_WAN_TENANT_EXISTS/);
    const bad = await p.run(['wan', 'tenant', 'add', 'Not_A_Name', ...dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ERR_USAGE/);
    const noUrl = await p.run(['wan', 'invite', 'acme', '--site', 'lab', ...dir]);
    expect(noUrl.stderr).toMatch(/--url/);
    const invite = await p.run([
      'wan',
      'invite',
      'acme',
      '--site',
      'lab',
      '--url',
      'ws://127.0.0.1:9/',
      ...dir,
    ]);
    expect(invite.code, invite.stderr).toBe(0);
    const file = join(p.dir, 'acme-lab.access.json');
    expect(mode(file)).toBe(0o600);
    expect(mode(join(p.dir, 'relay', 'relay.json'))).toBe(0o600);
    const printed = invite.stdout + invite.stderr;
    expect(printed).toContain(file);
    for (const secret of secretsOf(file)) expect(printed).not.toContain(secret);
    const twice = await p.run(['wan', 'invite', 'acme', '--site', 'lab', ...dir]);
    expect(twice.stderr).toMatch(/ERR_WAN_SITE_EXISTS/);
    const unknown = await p.run(['wan', 'invite', 'nobody', '--site', 'lab', ...dir]);
    expect(unknown.stderr).toMatch(/ERR_WAN_UNKNOWN_TENANT/);
    const list = await p.run(['wan', 'tenant', 'list', '--json', ...dir]);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'acme', sites: ['lab'] }]);
    for (const secret of secretsOf(file)) expect(list.stdout).not.toContain(secret);

    await p.run(['create']);
    const joined = await p.run(['wan', 'join', file]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(mode(join(p.home, 'wan-access.json'))).toBe(0o600);
    for (const secret of secretsOf(file)) expect(joined.stdout).not.toContain(secret);
    writeFileSync(join(p.dir, 'broken.json'), '{"kind":"callsign-wan-access","version":1}');
    const broken = await p.run(['wan', 'join', join(p.dir, 'broken.json')]);
    expect(broken.stderr).toMatch(/ERR_WAN_INVALID_ACCESS/);

    const revoked = await p.run(['wan', 'revoke', 'acme', '--site', 'lab', ...dir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const none = await p.run(['wan', 'revoke', 'acme', '--site', 'lab', ...dir]);
    expect(none.stderr).toMatch(/ERR_WAN_UNKNOWN_SITE/);
  });

  it('serves: two sites find each other by name through the relay; a listing beyond the limit is refused to the actor', async () => {
    const p = cliProject();
    const dir = ['--dir', join(p.dir, 'relay')];
    await p.run(['wan', 'tenant', 'add', 'acme', '--listings', '1', ...dir]);
    const serve = p.start(['wan', 'serve', '--listen', '127.0.0.1:0', ...dir]);
    const [, url] = (await serve.waitFor(/reached at (ws:\S+)/, 20_000)) as RegExpMatchArray;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    for (const s of ['a', 'b']) {
      const r = await p.run(['wan', 'invite', 'acme', '--site', s, '--out', `${s}.json`, ...dir]);
      expect(r.code, r.stderr).toBe(0);
    }
    const realm = join(p.dir, 'realm.json');
    writeFileSync(realm, serializeRealm(createRealm('wan-cli')), { mode: 0o600 });
    const env = (s: string) => {
      mkdirSync(join(p.dir, s), { recursive: true });
      return {
        CALLSIGN_REALM: realm,
        CALLSIGN_HOST: `unix:${join(p.dir, s, 'host.sock')}`,
        CALLSIGN_PUBLIC_ADDRESS: 'none',
      };
    };
    for (const s of ['a', 'b']) {
      const d = startProgram(HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
        ...env(s),
        CALLSIGN_WAN: join(p.dir, `${s}.json`),
      });
      await d.waitFor(/connected to the directory above/, 20_000);
    }
    const station = startProgram(
      PUBLISHER,
      ['--debug-level=CONSOLE', '--name=station-1', '--scope=wan'],
      env('a'),
    );
    await station.waitFor(/published station-1/, 20_000);
    const watch = startProgram(
      WATCH,
      ['--debug-level=CONSOLE', '--search=/station-.*/', '--scope=wan', '--hello'],
      env('b'),
    );
    await watch.waitFor(/available station-1 wan/, 20_000);
    await watch.waitFor(/welcome from/, 20_000);
    // The relay's machine sees the tenant's sites; a site sees the WAN directory above it.
    let status = '';
    for (let i = 0; i < 50 && !/circuit/.test(status); i++) {
      status = (await p.run(['wan', 'status', ...dir])).stdout;
      if (!/sites 2\/2 connected, 2 node session\(s\), 1 circuit/.test(status)) status = '';
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toMatch(/tenant acme: sites 2\/2 connected, 2 node session\(s\), 1 circuit/);
    const network = await p.run(['network'], { ...env('b'), CALLSIGN_NO_HOST: '0' });
    expect(network.stdout, network.stderr).toMatch(
      /above: the WAN directory of tenant acme, as site b, through the relay at ws:\/\/127\.0\.0\.1:\d+\//,
    );
    const second = startProgram(
      PUBLISHER,
      ['--debug-level=CONSOLE', '--name=station-2', '--scope=wan'],
      env('b'),
    );
    const refused = await second.exited;
    expect(refused.code).not.toBe(0);
    expect(second.stdout + second.stderr).toMatch(/ERR_WAN_LIMIT/);
  });

  it('host start and lan start take the access file that wan join kept in the home', async () => {
    const p = cliProject();
    const dir = ['--dir', join(p.dir, 'relay')];
    await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
    const serve = p.start(['wan', 'serve', '--listen', '127.0.0.1:0', ...dir]);
    await serve.waitFor(/reached at ws:/, 20_000);
    for (const s of ['a', 'b']) {
      const r = await p.run(['wan', 'invite', 'acme', '--site', s, '--out', `${s}.json`, ...dir]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await p.run(['create'])).code).toBe(0);
    expect((await p.run(['wan', 'join', 'a.json'])).code).toBe(0);
    const joined = join(p.home, 'wan-access.json');

    // Site a: `host start` (no LAN directory here) connects out to the relay by itself.
    const host = hostFixture();
    const env = { ...host.env, CALLSIGN_PUBLIC_ADDRESS: 'none' };
    const started = await p.run(['host', 'start'], env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`above it: the WAN directory of the relay in ${joined}`);
    const pid = host.pid() as number;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`CALLSIGN_WAN=${joined}`);
    // Site b: a host directory given its access file by hand; a station at a is found from b.
    const realm = join(p.home, 'realm.json');
    mkdirSync(join(p.dir, 'b'));
    const envB = {
      CALLSIGN_REALM: realm,
      CALLSIGN_HOST: `unix:${join(p.dir, 'b', 'host.sock')}`,
      CALLSIGN_PUBLIC_ADDRESS: 'none',
    };
    const b = startProgram(HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
      ...envB,
      CALLSIGN_WAN: join(p.dir, 'b.json'),
    });
    await b.waitFor(/connected to the directory above/, 20_000);
    const station = startProgram(
      PUBLISHER,
      ['--debug-level=CONSOLE', '--name=station-h', '--scope=wan'],
      { CALLSIGN_REALM: realm, CALLSIGN_HOST: host.endpoint },
    );
    await station.waitFor(/published station-h/, 20_000);
    const watch = startProgram(
      WATCH,
      ['--debug-level=CONSOLE', '--search=station-h', '--scope=wan'],
      envB,
    );
    await watch.waitFor(/available station-h wan/, 20_000);
    station.child.kill('SIGKILL');
    expect((await p.run(['host', 'stop'], env)).code).toBe(0);
    const sites = async (pattern: RegExp) => {
      let seen = '';
      for (let i = 0; i < 100 && !pattern.test(seen); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        seen = (await p.run(['wan', 'status', ...dir])).stdout;
      }
      expect(seen).toMatch(pattern);
    };
    await sites(/tenant acme: sites 1\/2 connected/);

    // `lan start` gives the same file to the LAN directory: site a connects again, as a LAN.
    const lanState = join(p.dir, 'lan-state');
    const lan = await p.run(['lan', 'start', '--endpoint', '127.0.0.1:0'], {
      CALLSIGN_LAN_STATE_DIR: lanState,
      CALLSIGN_NO_LAN: '',
    });
    try {
      expect(lan.code, lan.stderr).toBe(0);
      expect(lan.stdout).toContain(`above it: the WAN directory of the relay in ${joined}`);
      const status = JSON.parse(
        (await p.run(['lan', 'status', '--json'], { CALLSIGN_LAN_STATE_DIR: lanState })).stdout,
      ) as { pid: number };
      const argv = readFileSync(`/proc/${status.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain(`--wan=${joined}`);
      await sites(/tenant acme: sites 2\/2 connected/);
    } finally {
      await p.run(['lan', 'stop'], { CALLSIGN_LAN_STATE_DIR: lanState });
    }
  });
});
