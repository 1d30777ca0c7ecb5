// Publish and subscribe driven as a user drives them: a home and `callsign
// run`, or a host directory (`callsign host start`, on a socket of the test's
// own) and programs started by hand.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliProject, cliProject, eventually } from '../helpers/cli.ts';
import { type Program, ROOT, runProgram, startProgram } from '../helpers/processes.ts';
import { type HostFixture, hostFixture } from './programs/host-fixture.ts';

const PUBLISHER = 'examples/hello-welcome/publish-a-service.ts';
const SUBSCRIBER = 'examples/hello-welcome/subscribe-to-service.ts';
const WATCH = 'test/integration/programs/pubsub-watch.ts';
const CONSOLE = '--debug-level=CONSOLE';

/** A host directory of the test's own, in a realm of the test's own; gives the programs' environment. */
async function startHost(p: CliProject, host: HostFixture): Promise<NodeJS.ProcessEnv> {
  const env = { ...host.env, CALLSIGN_REALM: host.realmFile };
  const r = await p.run(['host', 'start'], env);
  expect(r.code, r.stderr).toBe(0);
  return env;
}

/** How many lines of the program's stderr match `pattern`. */
function count(program: Program, pattern: RegExp): number {
  return program.stderr.split('\n').filter((line) => pattern.test(line)).length;
}

function atLeast(program: Program, pattern: RegExp, n: number, ms = 15_000): Promise<number> {
  return eventually(
    async () => {
      const c = count(program, pattern);
      return c >= n ? c : undefined;
    },
    `${n} lines ${pattern}\n${program.stderr}`,
    ms,
  );
}

describe('publish and subscribe from the command line', () => {
  it('hello-welcome: create, add, run --main-role prints the Welcome', async () => {
    const p = cliProject();
    expect((await p.run(['create'])).code).toBe(0);
    const [pub, sub] = await Promise.all([
      p.run(['add', join(ROOT, PUBLISHER), 'pub']),
      p.run(['add', join(ROOT, SUBSCRIBER), 'sub']),
    ]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(sub.code, sub.stderr).toBe(0);
    const run = await p.run(['run', '--main-role=sub']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ text: 'Welcome, callsign', from: 'hello-welcome' });
  });

  it('a publisher killed with SIGKILL is Dropped, and one started again is Available', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = await startHost(p, host);
    const watch = startProgram(WATCH, [CONSOLE], env);
    await watch.waitFor(/subscribed hello-welcome/);

    const first = startProgram(PUBLISHER, [CONSOLE], env);
    await watch.waitFor(/available hello-welcome \(host\)/);
    first.child.kill('SIGKILL');
    await first.exited;
    const dropped = await watch.waitFor(/dropped hello-welcome \((ERR_[A-Z_]+)\)/);
    expect(['ERR_CONNECTION_LOST', 'ERR_ROUTE_REMOVED']).toContain(dropped[1]);

    const second = startProgram(PUBLISHER, [CONSOLE], env);
    await second.waitFor(/published hello-welcome at host scope/);
    await atLeast(watch, /available hello-welcome \(host\)/, 2);
    expect(count(watch, /dropped/)).toBe(1);
  });

  it('sessions go on while the host directory restarts, and new ones find the publisher', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = await startHost(p, host);
    const publisher = startProgram(PUBLISHER, [CONSOLE], env);
    await publisher.waitFor(/published hello-welcome/);
    const pinger = startProgram(WATCH, [CONSOLE, '--hello'], env);
    await atLeast(pinger, /welcome \d+/, 3);

    const stopped = await p.run(['host', 'stop'], env);
    expect(stopped.code, stopped.stderr).toBe(0);
    // Without any directory, the session goes on.
    const during = count(pinger, /welcome \d+/);
    await atLeast(pinger, /welcome \d+/, during + 5);
    expect(count(pinger, /dropped/)).toBe(0);

    const restarted = await p.run(['host', 'start'], env);
    expect(restarted.code, restarted.stderr).toBe(0);
    const after = count(pinger, /welcome \d+/);
    const late = await runProgram(SUBSCRIBER, [], env);
    expect(late.code, late.stderr).toBe(0);
    expect(JSON.parse(late.stdout)).toEqual({ text: 'Welcome, callsign', from: 'hello-welcome' });
    await atLeast(pinger, /welcome \d+/, after + 5);
    // The pinger's session never ended: a route whose session is open stays
    // through the directory's restart, whichever node pushes its tables first.
    const sessionEvents = pinger.stderr
      .split('\n')
      .filter((l) => /(available|dropped) hello/.test(l));
    expect(sessionEvents).toHaveLength(1);
    expect(sessionEvents[0]).toMatch(/available hello-welcome \(host\)$/);
  });

  it('a second publisher of the same name is refused with ERR_DUPLICATE_LISTING', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = await startHost(p, host);
    const first = startProgram(PUBLISHER, [CONSOLE], env);
    await first.waitFor(/published hello-welcome/);

    const second = await runProgram(PUBLISHER, [], env);
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({
      code: 'ERR_DUPLICATE_LISTING',
      message: expect.stringMatching(/hello-welcome is already published by .*pid/),
    });
  });

  it('a node of another realm is refused: it never gets Available', async () => {
    const p = cliProject();
    const host = hostFixture();
    const env = await startHost(p, host);
    const publisher = startProgram(PUBLISHER, [CONSOLE], env);
    await publisher.waitFor(/published hello-welcome/);

    const foreign = await runProgram(SUBSCRIBER, ['--seconds=1', CONSOLE], {
      ...env,
      CALLSIGN_REALM: join(host.dir, 'another-realm.json'),
    });
    expect(foreign.code).toBe(3); // TimedOut
    expect(JSON.parse(foreign.stdout)).toEqual({ seconds: 1 });
    expect(host.log()).toMatch(/refused: .*\(ERR_WRONG_REALM\)/);
    expect(publisher.stderr).not.toMatch(/a subscriber arrived/);
  });
});
