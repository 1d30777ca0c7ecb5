import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject, cliProjectWithRoles, eventually, PROGRAMS } from '../helpers/cli.ts';
import { ROOT } from '../helpers/processes.ts';
import { hostFixture } from './programs/host-fixture.ts';

const PUBLISHER = join(ROOT, 'examples/hello-welcome/publish-a-service.ts');
const WATCH = join(PROGRAMS, 'pubsub-watch.ts');
const THERMOMETER = join(ROOT, 'examples/networked-laboratory/temperature-device.ts');

interface Directory {
  level: string;
  endpoint: string;
  parent: string | null;
  realm: string;
  sameRealmAsHome: boolean | null;
  children: string[];
  listings: { name: string; scope: string; multi: boolean; where: string }[];
  searches: { pattern: string; regex: boolean; scope: string; where: string }[];
  routes: number;
}

interface Network {
  home: string | null;
  directories: Directory[];
  unreachable: unknown[];
}

describe('callsign network / ping', () => {
  it('say so when no directory runs', async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    const [text, json, ping] = await Promise.all([
      p.run(['network']),
      p.run(['network', '--json']),
      p.run(['ping', 'hello-welcome', '--seconds', '1']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^no directory is running: no group runs in .*CALLSIGN_NO_HOST=1/);
    expect(JSON.parse(json.stdout)).toEqual({
      home: p.home,
      at: expect.any(String),
      directories: [],
      nodes: [],
      sessions: [],
      listings: [],
      unreachable: [],
    });
    expect(ping.code).toBe(1);
    expect(ping.stderr).toMatch(/^callsign: no directory to ask: .*\(ERR_NOT_AVAILABLE\)\n$/);

    const usage = await p.run(['ping', 'hello-welcome', '--count', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--count .*\(ERR_USAGE\)\n$/);

    // A host directory to ask, where nothing accepts connections: it fails at
    // once, long before its hour is up (the test would time out).
    const host = hostFixture();
    const [nobody, badRegex] = await Promise.all([
      p.run(['ping', 'hello-welcome', '--seconds', '3600'], host.env),
      p.run(['ping', '/(unclosed/'], host.env),
    ]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(
      /^callsign: no directory answers: the host directory at unix:.* does not accept connections .*\(ERR_NOT_AVAILABLE\)\n$/,
    );
    expect(badRegex.code).toBe(2);
    expect(badRegex.stderr).toMatch(/is not a regular expression: .*\(ERR_USAGE\)\n$/);
  });

  it('ping takes a regular expression and reports each listing it reaches', async () => {
    const p = await cliProjectWithRoles({
      'temperature-0': { program: THERMOMETER },
      'temperature-1': { program: THERMOMETER },
    });
    expect((await p.run(['start', '--debug-level=CONSOLE'])).code).toBe(0);
    await eventually(async () => {
      const logs = await Promise.all([0, 1].map((i) => p.run(['log', `temperature-${i}`])));
      return logs.every((l) => /published temperature-\d at host scope/.test(l.stdout))
        ? true
        : undefined;
    }, 'both thermometers published');

    const [slashed, flag, exact] = await Promise.all([
      p.run(['ping', '/Temperature-\\d+/i', '--count', '1']),
      p.run(['ping', '--regex', 'temperature-[01]', '--count', '1']),
      p.run(['ping', 'temperature-1', '--count', '1']),
    ]);
    const line = (n: number) =>
      `temperature-${n} {2}group {2}session \\d+\\.\\d ms {2}rtt \\d+\\.\\d\\d ms`;
    for (const both of [slashed, flag]) {
      expect(both.code, both.stderr).toBe(0);
      const lines = both.stdout.trim().split('\n').sort();
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^${line(0)}$`));
      expect(lines[1]).toMatch(new RegExp(`^${line(1)}$`));
    }
    expect(exact.code, exact.stderr).toBe(0);
    expect(exact.stdout).toMatch(new RegExp(`^${line(1)}\n$`));
    expect((await p.run(['stop'])).code).toBe(0);
  });

  it('show the group and host directories, and time sessions with a listing', async () => {
    const p = await cliProjectWithRoles({ pub: { program: PUBLISHER }, sub: { program: WATCH } });
    const host = hostFixture();
    const hostStarted = await p.run(['host', 'start'], host.env);
    expect(hostStarted.code, hostStarted.stderr).toBe(0);
    const started = await p.run(['start', '--debug-level=CONSOLE'], host.env);
    expect(started.code, started.stderr).toBe(0);

    // Until the sub's search and the pub's listing have reached both directories.
    const network = await eventually(async () => {
      const r = await p.run(['network', '--json'], host.env);
      const n = JSON.parse(r.stdout) as Network;
      const ready =
        n.directories.length === 2 &&
        n.directories.every((d) => d.listings.length === 1 && d.searches.length === 1);
      return ready ? n : undefined;
    }, 'the listing and the search in both directories');
    const [hostDir, groupDir] = network.directories;
    const groupEndpoint = `unix:${join(p.home, 'run/group.sock')}`;
    expect(hostDir).toMatchObject({
      level: 'host',
      endpoint: host.endpoint,
      parent: null,
      sameRealmAsHome: true,
      children: [`group directory ${groupEndpoint}`],
    });
    expect(groupDir).toMatchObject({
      level: 'group',
      endpoint: groupEndpoint,
      parent: host.endpoint,
      routes: 1,
    });
    expect([...(groupDir?.children ?? [])].sort()).toEqual([
      expect.stringMatching(/^pub \(pid \d+\)$/),
      expect.stringMatching(/^sub \(pid \d+\)$/),
    ]);
    for (const d of [hostDir, groupDir]) {
      expect(d?.listings).toEqual([
        {
          name: 'hello-welcome',
          scope: 'host',
          multi: false,
          where: expect.stringMatching(/^pub /),
        },
      ]);
      expect(d?.searches).toEqual([
        expect.objectContaining({
          pattern: 'hello-welcome',
          regex: false,
          scope: 'host',
          where: expect.stringMatching(/^sub /),
        }),
      ]);
    }

    const [text, ping, pingNobody] = await Promise.all([
      p.run(['network'], host.env),
      p.run(['ping', 'hello-welcome'], host.env),
      p.run(['ping', 'nobody', '--seconds', '1'], host.env),
    ]);
    expect(text.stdout).toMatch(new RegExp(`^group directory ${groupEndpoint}, parent `, 'm'));
    expect(text.stdout).toMatch(/^ {4}hello-welcome {2}host {2}pub \(pid \d+\)$/m);
    expect(text.stdout).toMatch(/^ {4}hello-welcome {2}exact {2}host {2}sub \(pid \d+\)$/m);
    expect(ping.code, ping.stderr).toBe(0);
    // With its group running, ping asks the group directory: the match is made there.
    expect(ping.stdout).toMatch(
      /^hello-welcome {2}group {2}session \d+\.\d ms {2}rtt \d+\.\d\d \d+\.\d\d \d+\.\d\d ms\n$/,
    );
    expect(pingNobody.code).toBe(1);
    expect(pingNobody.stderr).toMatch(
      /^callsign: no listing nobody answered within 1 s \(ERR_NOT_AVAILABLE\)\n$/m,
    );

    // From elsewhere, in the home's realm: through the host directory.
    const elsewhere = cliProject();
    const fromHost = await elsewhere.run(['ping', 'hello-welcome', '--count', '2'], {
      ...host.env,
      CALLSIGN_REALM: join(p.home, 'realm.json'),
    });
    expect(fromHost.code, fromHost.stderr).toBe(0);
    expect(fromHost.stdout).toMatch(
      /^hello-welcome {2}host {2}session \d+\.\d ms {2}rtt \S+ \S+ ms\n$/,
    );
  });
});
