import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject, eventually } from '../../helpers/cli.ts';
import { runProgram } from '../../helpers/processes.ts';
import { hostFixture } from '../programs/host-fixture.ts';

const PUBLISHER = 'examples/hello-welcome/publish-a-service.ts';

interface HostReport {
  level: string;
  realmFile: string;
  refusedConnections: { code: string; count: number; last: { from: string; reason: string } }[];
}

describe('a host directory started in a home, and a node started by hand in another realm', () => {
  it('host start says which realm; the node is told ERR_WRONG_REALM and warns; network shows the refusal', async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    const host = hostFixture();
    const realmFile = join(p.home, 'realm.json');

    const started = await p.run(['host', 'start'], host.env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`: ${realmFile} (the home at ${p.home})`);
    expect(started.stdout).toMatch(/^realm \S+ \(fingerprint [a-z2-7]{26}\): /m);
    expect(started.stdout).toContain(`CALLSIGN_REALM=${realmFile}`);

    // Started by hand, outside the home: the user's own realm (here, one of the test's).
    const byHand = await runProgram(PUBLISHER, ['--debug-level=WARNING'], {
      ...host.env,
      CALLSIGN_REALM: join(host.dir, 'my-own-realm.json'),
    });
    expect(byHand.code).not.toBe(0);
    expect(JSON.parse(byHand.stdout)).toMatchObject({ code: 'ERR_WRONG_REALM' });
    const warnings = byHand.stderr.split('\n').filter((l) => / \? .*refused this node/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('(ERR_WRONG_REALM)');

    const shown = await eventually(async () => {
      const r = await p.run(['network', '--json'], host.env);
      const hostDirectory = (JSON.parse(r.stdout).directories as HostReport[]).find(
        (d) => d.level === 'host',
      );
      const refused = hostDirectory?.refusedConnections.find((x) => x.code === 'ERR_WRONG_REALM');
      return refused ? { refused, realmFile: hostDirectory?.realmFile } : undefined;
    }, 'the refusal in `callsign network --json`');
    expect(shown.refused.count).toBeGreaterThanOrEqual(1);
    expect(shown.realmFile).toBe(realmFile);
    const text = await p.run(['network'], host.env);
    expect(text.stdout).toMatch(
      new RegExp(
        `refused \\d+ connection\\(s\\) in the last 10 min with ERR_WRONG_REALM: nodes of another realm; this directory's realm file is ${realmFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
  });
});
