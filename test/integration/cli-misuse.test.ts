import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, cliProject, cliProjectWithRoles, PROGRAMS } from '../helpers/cli.ts';

const ECHO = join(PROGRAMS, 'role-echo.ts');

/** Every command `callsign --help` lists, in its order. */
const COMMANDS = [
  'create',
  'destroy',
  'add',
  'list',
  'update',
  'settings',
  'delete',
  'run',
  'start',
  'stop',
  'status',
  'restart',
  'log',
  'host',
  'lan',
  'network',
  'ping',
  'view',
  'stream',
  'consumer',
  'wan',
  'completion',
];

/** Expects a refusal of the command line: one line `callsign: <what> (ERR_USAGE)`, exit code 2. */
function expectUsage(r: CliResult, what: RegExp) {
  expect(r.stderr).toMatch(/^callsign: [^\n]*\(ERR_USAGE\)\n$/);
  expect(r.stderr).toMatch(what);
  expect(r.stdout).toBe('');
  expect(r.code).toBe(2);
}

describe('callsign, misused', () => {
  it('names an unknown command and lists the commands', async () => {
    const p = cliProject();
    const [unknown, near, none, sub, subNone] = await Promise.all([
      p.run(['frobnicate']),
      p.run(['lsit']),
      p.run([]),
      p.run(['host', 'frob']),
      p.run(['lan']),
    ]);
    expectUsage(unknown, /^callsign: unknown command "frobnicate"; the commands are /);
    expect(unknown.stderr).toContain(COMMANDS.join(', '));
    expectUsage(near, /unknown command "lsit" \(did you mean list\?\)/);
    expectUsage(none, /^callsign: say which command to run: create, destroy, add, /);
    expectUsage(
      sub,
      /unknown command "frob"; the commands are start, stop, status \(`callsign host --help`/,
    );
    expectUsage(subNone, /say which command to run: start, stop, status/);
  });

  it('names an unknown option, a missing argument and an unexpected one', async () => {
    const p = cliProject();
    const [top, add, hostStart, noArgs, oneArg, ping, extra, value] = await Promise.all([
      p.run(['--nope']),
      p.run(['add', 'a.ts', 'a', '--cnt', '3']),
      p.run(['host', 'start', '--json']),
      p.run(['add']),
      p.run(['add', 'a.ts']),
      p.run(['ping']),
      p.run(['status', 'extra']),
      p.run(['log', 'web', '--since']),
    ]);
    expectUsage(top, /^callsign: unknown option --nope for `callsign` /);
    expectUsage(add, /unknown option --cnt for `callsign add` \(`callsign add --help` lists/);
    expectUsage(hostStart, /unknown option --json for `callsign host start`/);
    expectUsage(noArgs, /^callsign: missing <program> <role>: `callsign add <program> <role>`/);
    expectUsage(oneArg, /^callsign: missing <role>: `callsign add <program> <role>`/);
    expectUsage(ping, /^callsign: missing <name>: `callsign ping <name>`/);
    expectUsage(extra, /^callsign: unexpected argument "extra" for `callsign status`/);
    expectUsage(value, /^callsign: --since needs a value/);
  });

  it('takes log levels in any case, and names the levels when one is wrong', async () => {
    const p = await cliProjectWithRoles({ echo: { program: ECHO } });
    const [lower, wrong] = await Promise.all([
      p.run(['run', '--main-role=echo', '--debug-level=console']),
      p.run(['run', '--debug-level=loud']),
    ]);
    expect(lower.code, lower.stderr).toBe(0);
    // The role was given the level, and logged at it.
    expect(lower.stderr).toMatch(/^echo \| .*echo says hello$/m);
    expectUsage(
      wrong,
      /--debug-level must be one of "DEBUG", "TRACE", "CONSOLE", .* \(not "LOUD"\)/,
    );
  });
});

describe('callsign --help and completion', () => {
  it('lists every command, and prints a completion script that completes them', async () => {
    const p = cliProject();
    const [help, hostHelp, script, commands, hostCommands, runOptions] = await Promise.all([
      p.run(['--help']),
      p.run(['host', '--help']),
      p.run(['completion']),
      p.run(['--get-yargs-completions', 'callsign', '']),
      p.run(['--get-yargs-completions', 'callsign', 'host', '']),
      p.run(['--get-yargs-completions', 'callsign', 'run', '--']),
    ]);
    expect(help.code, help.stderr).toBe(0);
    const listed = [...help.stdout.matchAll(/^ {2}callsign (\S+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(COMMANDS);
    expect(help.stdout).not.toMatch(/supervise/); // internal
    expect(hostHelp.stdout).toMatch(
      /callsign host start .*\n.*callsign host stop .*\n.*callsign host status/,
    );

    expect(script.code, script.stderr).toBe(0);
    expect(script.stderr).toBe('');
    expect(script.stdout).toMatch(/^###-begin-callsign-completions-###$/m);
    expect(script.stdout).toMatch(/callsign --get-yargs-completions/);
    expect(commands.stdout.trim().split('\n')).toEqual(COMMANDS);
    expect(hostCommands.stdout.trim().split('\n')).toEqual(['start', 'stop', 'status']);
    expect(runOptions.stdout.split('\n')).toEqual(
      expect.arrayContaining(['--debug-level', '--stop-seconds', '--main-role', '--home']),
    );
  });
});
