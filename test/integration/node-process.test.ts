import { describe, expect, it } from 'vitest';
import { runProgram, startProgram } from '../helpers/processes.ts';

const PROGRAM = 'test/integration/programs/settings-echo.ts';

describe('a node process', () => {
  it('prints --help with every setting and exits 0', async () => {
    const r = await runProgram(PROGRAM, ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--count', '--name', '--verbose', '--tags', '--debug-level']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('takes factory settings overridden by --field=value and prints main’s value as JSON', async () => {
    const r = await runProgram(PROGRAM, [
      '--count=5',
      '--name=bob',
      '--verbose',
      '--tags=["x","y"]',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      count: 5,
      name: 'bob',
      verbose: true,
      tags: ['x', 'y'],
      mode: 'settings',
    });
    expect(r.stderr).toBe(''); // no logs by default
  });

  it('prints the effective settings as JSON with --print-settings, without running', async () => {
    const r = await runProgram(PROGRAM, ['--count=9', '--mode=throw', '--print-settings']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 9, mode: 'throw' });
  });

  it('refuses a bad or unknown setting with a coded error and exit code 64', async () => {
    const bad = await runProgram(PROGRAM, ['--count=many']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('ERR_INVALID_SETTINGS');
    const unknown = await runProgram(PROGRAM, ['--colour=red']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/colour/);
    const json = await runProgram(PROGRAM, ['--tags={"not":"an array"}']);
    expect(json.code).toBe(64);
  });

  it('writes logs to stderr in the documented line format with --debug-level', async () => {
    const r = await runProgram(PROGRAM, ['--debug-level=CONSOLE']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \^ <[0-9a-f]{8}>settings-echo - settings \{/m,
    );
  });

  it.each([
    ['faulted', 1],
    ['throw', 1],
    ['aborted', 2],
    ['timed-out', 3],
  ])('exits non-zero when main returns %s', async (mode, code) => {
    const r = await runProgram(PROGRAM, [`--mode=${mode}`]);
    expect(r.code).toBe(code);
    expect(r.stdout.trim()).not.toBe('');
  });

  it('delivers SIGTERM to main as Stop', async () => {
    const p = startProgram(PROGRAM, ['--mode=wait-stop', '--debug-level=CONSOLE']);
    await p.waitFor(/waiting for Stop/);
    p.child.kill('SIGTERM');
    expect(await p.output()).toBe('stopped');
    expect((await p.exited).code).toBe(0);
  });

  it('exits at once on a second signal when main ignores Stop', async () => {
    const p = startProgram(PROGRAM, ['--mode=ignore-stop', '--debug-level=CONSOLE']);
    await p.waitFor(/ignoring Stop/);
    p.child.kill('SIGINT');
    await p.waitFor(/SIGINT: stopping/);
    p.child.kill('SIGINT');
    expect((await p.exited).code).toBe(130);
  });
});
