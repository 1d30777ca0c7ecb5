import { existsSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliProject, type CliResult, cliProject, PROGRAMS } from '../helpers/cli.ts';

const ECHO = join(PROGRAMS, 'role-echo.ts');

/** Expects a command refused with `code` and exit code 2. */
function expectRefused(r: CliResult, code: string, text?: RegExp) {
  expect(r.stderr).toMatch(new RegExp(`^callsign: .*\\(${code}\\)\\n$`, 's'));
  if (text) expect(r.stderr).toMatch(text);
  expect(r.code).toBe(2);
}

async function created(): Promise<CliProject> {
  const p = cliProject();
  const r = await p.run(['create']);
  expect(r.code, r.stderr).toBe(0);
  return p;
}

describe('callsign create / destroy', () => {
  it('makes a home with a private realm, refuses a second one, and removes it', async () => {
    const p = cliProject();
    const r = await p.run(['create', '--realm', 'lab']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(p.home);
    const home = JSON.parse(await readFile(join(p.home, 'home.json'), 'utf8'));
    expect(home).toMatchObject({ kind: 'callsign-home', version: 1 });
    expect(Date.parse(home.created)).not.toBeNaN();
    const realm = JSON.parse(await readFile(join(p.home, 'realm.json'), 'utf8'));
    expect(realm).toMatchObject({ kind: 'callsign-realm', name: 'lab' });
    expect(statSync(join(p.home, 'realm.json')).mode & 0o777).toBe(0o600);
    for (const sub of ['roles', 'keys', 'logs', 'run']) {
      expect(statSync(join(p.home, sub)).isDirectory()).toBe(true);
    }

    expectRefused(await p.run(['create']), 'ERR_HOME_EXISTS');
    const destroyed = await p.run(['destroy']);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(() => statSync(p.home)).toThrow();
    const [list, destroyAgain] = await Promise.all([p.run(['list']), p.run(['destroy'])]);
    expectRefused(list, 'ERR_NO_HOME', /callsign create/);
    expectRefused(destroyAgain, 'ERR_NO_HOME');
  });

  it('takes the home from --home, else CALLSIGN_HOME', async () => {
    const p = cliProject();
    const elsewhere = join(p.dir, 'deploy', 'home');
    expect((await p.run(['create', '--home', 'deploy/home'])).code).toBe(0);
    expect(statSync(join(elsewhere, 'home.json')).isFile()).toBe(true);
    const [viaEnv, viaDefault] = await Promise.all([
      p.run(['list'], { CALLSIGN_HOME: elsewhere }),
      p.run(['list']),
    ]);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/no roles/);
    expectRefused(viaDefault, 'ERR_NO_HOME');
  });

  it('refuses misuse of the command line with ERR_USAGE', async () => {
    const p = cliProject();
    const [unknown, none, extra, level] = await Promise.all([
      p.run(['frobnicate']),
      p.run([]),
      p.run(['create', 'extra']),
      p.run(['run', '--debug-level=LOUD']),
    ]);
    expectRefused(unknown, 'ERR_USAGE', /frobnicate/);
    expectRefused(none, 'ERR_USAGE');
    expectRefused(extra, 'ERR_USAGE', /extra/);
    expectRefused(level, 'ERR_USAGE', /LOUD/);
  });
});

describe('callsign add / list / update / settings / delete', () => {
  it('adds roles, lists them, changes and shows their settings, and deletes them', async () => {
    const p = await created();
    const [one, many] = await Promise.all([
      p.run(['add', ECHO, 'echo']),
      p.run(['add', ECHO, 'worker', '--count', '2']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(many.code, many.stderr).toBe(0);
    const stored = JSON.parse(await readFile(join(p.home, 'roles/echo.json'), 'utf8'));
    // Stored relative to the folder the home is in.
    expect(stored).toEqual({
      program: expect.stringMatching(/^\.\..*role-echo\.ts$/),
      settings: {},
    });

    const updated = await p.run([
      'update',
      'echo',
      '--greeting=hi',
      '--count',
      '5',
      '--verbose',
      '--tags=["x","y"]',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const again = await p.run(['update', 'echo', '--count=6', '--no-verbose']);
    expect(again.code, again.stderr).toBe(0);

    const [list, listText, settings, settingsText] = await Promise.all([
      p.run(['list', '--json']),
      p.run(['list']),
      p.run(['settings', 'echo', '--json']),
      p.run(['settings', 'echo']),
    ]);
    expect(JSON.parse(list.stdout)).toEqual([
      {
        role: 'echo',
        program: stored.program,
        settings: { greeting: 'hi', count: 6, verbose: false, tags: ['x', 'y'] },
      },
      { role: 'worker-0', program: stored.program, settings: {} },
      { role: 'worker-1', program: stored.program, settings: {} },
    ]);
    expect(listText.stdout).toMatch(/^ROLE\s+PROGRAM\s+SETTINGS$/m);
    expect(listText.stdout).toMatch(/^worker-1\s+\.\.\S*role-echo\.ts$/m);
    expect(JSON.parse(settings.stdout)).toEqual({
      greeting: 'hi',
      count: 6,
      verbose: false,
      tags: ['x', 'y'],
      seconds: 0,
      fail: false,
    });
    expect(settingsText.stdout).toMatch(/^count\s+6\s+role$/m);
    expect(settingsText.stdout).toMatch(/^seconds\s+0\s+program$/m);

    const deleted = await p.run(['delete', 'worker-0']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(existsSync(join(p.home, 'roles/worker-0.json'))).toBe(false);
    expect(existsSync(join(p.home, 'roles/worker-1.json'))).toBe(true);
  });

  it('refuses a missing program, a non-program, a bad or taken name, and bad settings', async () => {
    const p = await created();
    writeFileSync(join(p.dir, 'plain.js'), 'console.log("not a node");\n');
    writeFileSync(join(p.dir, 'broken.js'), 'throw new Error("broken on purpose");\n');
    expect((await p.run(['add', ECHO, 'echo'])).code).toBe(0);
    const results = await Promise.all([
      p.run(['add', 'missing.ts', 'x']),
      p.run(['add', 'plain.js', 'x']),
      p.run(['add', 'broken.js', 'x']),
      p.run(['add', ECHO, 'Bad_Name']),
      p.run(['add', ECHO, 'echo']),
      p.run(['update', 'echo', '--count=many']),
      p.run(['update', 'echo', '--colour=red']),
      p.run(['update', 'echo']),
      p.run(['update', 'nobody', '--count=1']),
      p.run(['delete', 'nobody']),
    ]);
    const [missing, plain, broken, badName, taken, notNumber, unknown, nothing] = results;
    expectRefused(missing as CliResult, 'ERR_PROGRAM_NOT_FOUND', /missing\.ts/);
    expectRefused(plain as CliResult, 'ERR_NOT_A_PROGRAM', /plain\.js/);
    expectRefused(broken as CliResult, 'ERR_NOT_A_PROGRAM', /broken on purpose/);
    expectRefused(badName as CliResult, 'ERR_INVALID_ROLE_NAME', /Bad_Name/);
    expectRefused(taken as CliResult, 'ERR_ROLE_EXISTS', /echo/);
    expectRefused(notNumber as CliResult, 'ERR_INVALID_SETTINGS', /count/);
    expectRefused(unknown as CliResult, 'ERR_INVALID_SETTINGS', /colour/);
    expectRefused(nothing as CliResult, 'ERR_USAGE');
    for (const r of results.slice(8)) expectRefused(r, 'ERR_UNKNOWN_ROLE', /nobody/);
    // Nothing was changed by the refused commands.
    const list = JSON.parse((await p.run(['list', '--json'])).stdout);
    expect(list).toEqual([{ role: 'echo', program: expect.any(String), settings: {} }]);
  });
});
