/**
 * The `callsign` command line (yargs): homes, roles, and running a group of
 * roles in the foreground (`run`) or the background (`start` / `stop` /
 * `status`). Documented in docs/cli.md. What only some commands need is
 * imported by them, so that the others start quicker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import {
  CallsignError,
  createRealm,
  type ErrorCode,
  isCallsignError,
  LOG_LEVELS,
  type LogLevel,
} from '../src/index.ts';
import { toError } from '../src/internal.ts';
import { errnoOf, exists } from './files.ts';
import {
  createHome,
  DIRECTORY_NAME,
  type Home,
  openHome,
  PROJECT_ROOT,
  removeHome,
  resolveHomeDir,
  SUPERVISOR_NAME,
} from './home.ts';
import {
  addRoles,
  deleteRole,
  effectiveSettings,
  listRoles,
  ROLE_NAME,
  readRole,
  updateRole,
} from './roles.ts';
import type { CommandOutput } from './run.ts';
import { onStopSignals } from './signals.ts';
import { formatTable } from './table.ts';

/** Where the command line reads and writes. */
export interface CliIo extends CommandOutput {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The exit code of a command refused for misuse (a wrong argument, or the wrong time for it). */
export const EXIT_MISUSE = 2;

/** The exit code of a command that failed while doing what it was asked. */
export const EXIT_FAILURE = 1;

/** Codes of failures that are not misuse: they exit with {@link EXIT_FAILURE}. */
const FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_INVALID_HOME',
  'ERR_GROUP_DIRECTORY_FAILED',
  'ERR_SUPERVISOR_FAILED',
  'ERR_SUPERVISOR_DIED',
  'ERR_TIMEOUT',
]);

/** How long roles are given to stop after SIGTERM, by default. */
const DEFAULT_STOP_SECONDS = 5;

const VERSION = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * Runs the command line `argv` (without `node` and the script) and gives its
 * exit code. Misuse prints `callsign: <what> (<CODE>)` on stderr and gives 2.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const homeOf = (args: { home?: string }): Promise<Home> =>
    openHome(resolveHomeDir(args.home, io.env, io.cwd));
  const print = (text: string) => io.stdout(text);

  const parser = yargs([...argv])
    .scriptName('callsign')
    .usage(
      '$0 <command> [options]\n\nRuns a group of callsign programs (roles) that find each other by name.',
    )
    .option('home', {
      type: 'string',
      global: true,
      requiresArg: true,
      describe: 'the home folder (default: $CALLSIGN_HOME, else ./.callsign)',
    })

    // --- the home ---------------------------------------------------------
    .command(
      'create',
      'make a home (.callsign/) with a new realm in the current directory',
      (y) =>
        y.option('realm', {
          type: 'string',
          requiresArg: true,
          describe: "the realm's name (default: the current folder's name)",
        }),
      async (args) => {
        if (args.realm !== undefined) validateRealmName(args.realm);
        const dir = resolveHomeDir(args.home, io.env, io.cwd);
        await createHome(dir, { realmName: args.realm });
        print(`created ${dir}\n`);
      },
    )
    .command(
      'destroy',
      'remove the home and everything in it',
      (y) => y,
      async (args) => {
        const home = await homeOf(args);
        const { cleanUpDeadGroup, describeOwner, readGroupOwner } = await import('./group-lock.ts');
        const owner = await readGroupOwner(home);
        if (owner?.alive) {
          throw new CallsignError(
            'ERR_GROUP_RUNNING',
            `a group is running in ${home.dir} (${describeOwner(owner)}): stop it first`,
          );
        }
        if (owner) await cleanUpDeadGroup(home, owner);
        await removeHome(home);
        print(`destroyed ${home.dir}\n`);
      },
    )

    // --- roles --------------------------------------------------------------
    .command(
      'add <program> <role>',
      'add a role that runs a callsign program',
      (y) =>
        y
          .positional('program', {
            type: 'string',
            demandOption: true,
            describe: 'the program file',
          })
          .positional('role', { type: 'string', demandOption: true, describe: 'the role name' })
          .option('count', {
            type: 'number',
            requiresArg: true,
            describe: 'add <role>-0 ... <role>-(N-1) instead',
          }),
      async (args) => {
        const home = await homeOf(args);
        const count = args.count === undefined ? undefined : (args.count ?? Number.NaN);
        const names = await addRoles(home, args.program, args.role, { count, cwd: io.cwd });
        print(`added ${names.join(', ')} (${args.program})\n`);
      },
    )
    .command(
      'list',
      'list the roles and their programs',
      (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }),
      async (args) => {
        const roles = await listRoles(await homeOf(args));
        if (args.json) {
          const list = roles.map((r) => ({
            role: r.name,
            program: r.program,
            settings: r.settings,
          }));
          print(`${JSON.stringify(list, null, 2)}\n`);
        } else if (roles.length === 0) {
          print('no roles: add one with `callsign add <program> <role>`\n');
        } else {
          const rows = roles.map((r) => [
            r.name,
            r.program,
            Object.entries(r.settings)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' '),
          ]);
          print(formatTable([['ROLE', 'PROGRAM', 'SETTINGS'], ...rows]));
        }
      },
    )
    .command(
      'update <role> [settings..]',
      "change a role's settings: --<setting>=<value> ...",
      (y) =>
        y
          .positional('role', { type: 'string', demandOption: true })
          .positional('settings', { type: 'string', array: true, describe: '--<setting>=<value>' })
          // The settings are the program's own options, checked by the program.
          .parserConfiguration({ 'unknown-options-as-args': true }),
      async (args) => {
        const home = await homeOf(args);
        const given = (args.settings ?? []).map(String);
        const { role } = await updateRole(home, args.role, given);
        const changed = Object.entries(role.settings)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        print(`updated ${role.name}: ${changed}\n`);
      },
    )
    .command(
      'settings <role>',
      "print a role's effective settings",
      (y) =>
        y
          .positional('role', { type: 'string', demandOption: true })
          .option('json', { type: 'boolean', describe: 'print JSON' }),
      async (args) => {
        const home = await homeOf(args);
        const role = await readRole(home, args.role);
        const settings = await effectiveSettings(home, role);
        if (args.json) {
          print(`${JSON.stringify(settings, null, 2)}\n`);
        } else {
          const rows = Object.entries(settings).map(([k, v]) => [
            k,
            JSON.stringify(v),
            Object.hasOwn(role.settings, k) ? 'role' : 'program',
          ]);
          print(formatTable([['SETTING', 'VALUE', 'FROM'], ...rows]));
        }
      },
    )
    .command(
      'delete <role>',
      'remove a role (and its node keys; its log stays)',
      (y) => y.positional('role', { type: 'string', demandOption: true }),
      async (args) => {
        await deleteRole(await homeOf(args), args.role);
        print(`deleted ${args.role}\n`);
      },
    )

    // --- running the group --------------------------------------------------
    .command(
      'run [roles..]',
      'run the group (every role, or those named) in the foreground',
      (y) =>
        y
          .positional('roles', { type: 'string', array: true })
          .option('main-role', {
            type: 'string',
            requiresArg: true,
            describe: 'end the group when this role ends; print its output, exit with its code',
          })
          .option('debug-level', debugLevelOption)
          .option('stop-seconds', stopSecondsOption),
      async (args) => {
        const home = await homeOf(args);
        const { runGroup } = await import('./run.ts');
        exitCode = await runGroup(
          home,
          {
            roles: (args.roles ?? []).map(String),
            mainRole: args.mainRole,
            debugLevel: args.debugLevel as LogLevel | undefined,
            stopSeconds: stopSeconds(args.stopSeconds),
          },
          io,
        );
      },
    )
    .command(
      'start [roles..]',
      'start the group in the background, restarting roles that fail',
      groupOptions,
      async (args) => {
        const home = await homeOf(args);
        const { startGroup } = await import('./background.ts');
        exitCode = await startGroup(home, groupSettings(args), io);
      },
    )
    .command(
      'supervise [roles..]',
      false, // internal: the background supervisor that `start` runs
      groupOptions,
      async (args) => {
        const home = await homeOf(args);
        const { superviseGroup } = await import('./background.ts');
        exitCode = await superviseGroup(home, groupSettings(args), io);
      },
    )
    .command(
      'stop',
      'stop the group running in the background (or under `callsign run`)',
      (y) => y,
      async (args) => {
        const { stopGroup } = await import('./background.ts');
        exitCode = await stopGroup(await homeOf(args), io);
      },
    )
    .command(
      'status',
      'show the state of every role of the running group',
      (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }),
      async (args) => {
        const home = await homeOf(args);
        const { formatStatus, readStatus } = await import('./status.ts');
        const report = await readStatus(home);
        print(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
        if (report.supervisor !== null && !report.supervisor.alive) {
          throw new CallsignError(
            'ERR_SUPERVISOR_DIED',
            `the supervisor (pid ${report.supervisor.pid}) died; \`callsign stop\` stops what it left and cleans up`,
          );
        }
      },
    )
    .command(
      'log <role>',
      "print a role's log (its stderr, and a line per start and end)",
      (y) =>
        y
          .positional('role', { type: 'string', demandOption: true })
          .option('since', {
            type: 'string',
            requiresArg: true,
            describe: 'only lines from this time: ISO (2026-11-22T07:43:00Z) or ago (10s, 5m, 2h)',
          })
          .option('follow', {
            type: 'boolean',
            alias: 'f',
            describe: 'keep printing new lines until Ctrl-C',
          }),
      async (args) => {
        const home = await homeOf(args);
        const { parseSince, printLog } = await import('./logs.ts');
        const since = args.since === undefined ? undefined : parseSince(args.since);
        const file = home.logFile(args.role);
        const special = args.role === DIRECTORY_NAME || args.role === SUPERVISOR_NAME;
        if (!special && (!ROLE_NAME.test(args.role) || !(await exists(file)))) {
          await readRole(home, args.role); // ERR_UNKNOWN_ROLE unless it is a role without a log yet
        }
        const following = new AbortController();
        const unsubscribe = args.follow
          ? onStopSignals(
              () => following.abort(),
              () => following.abort(),
            )
          : () => {};
        try {
          await printLog(file, {
            since,
            follow: args.follow,
            signal: following.signal,
            write: print,
          });
        } finally {
          unsubscribe();
        }
      },
    )

    // --- the network ----------------------------------------------------------
    // `callsign network ...` and `callsign ping ...` are registered here.
    .command(
      'host <action>',
      'start, stop or show the host directory (this user, this host)',
      (y) =>
        y
          .positional('action', {
            type: 'string',
            choices: ['start', 'stop', 'status'] as const,
            demandOption: true,
          })
          .option('json', { type: 'boolean', describe: 'status: print JSON' })
          .option('debug-level', {
            ...debugLevelOption,
            describe: 'start: what the host directory logs to host.log (default CONSOLE)',
          }),
      async (args) => {
        const host = await import('./host.ts');
        exitCode = await host.networkCommand(io, async () => {
          if (args.action === 'start') {
            const realm = await host.chooseRealm(args.home, io.env, io.cwd);
            const debugLevel = args.debugLevel as LogLevel | undefined;
            return host.startHost({ realm, debugLevel }, io);
          }
          if (args.action === 'stop') return host.stopHost(io);
          const status = await host.readHostStatus(io);
          print(args.json ? `${JSON.stringify(status, null, 2)}\n` : host.formatHostStatus(status));
          return 0;
        });
      },
    )
    .command(
      'lan <action>',
      'start, stop or show the LAN directory (found by hosts over mDNS)',
      (y) =>
        y
          .positional('action', {
            type: 'string',
            choices: ['start', 'stop', 'status'] as const,
            demandOption: true,
          })
          .option('json', { type: 'boolean', describe: 'status: print JSON' })
          .option('endpoint', {
            type: 'string',
            requiresArg: true,
            describe: 'start: where to listen (default 0.0.0.0:0, any free port)',
          })
          .option('debug-level', {
            ...debugLevelOption,
            describe: 'start: what the LAN directory logs to lan.log (default CONSOLE)',
          }),
      async (args) => {
        const host = await import('./host.ts');
        const lan = await import('./lan.ts');
        exitCode = await lan.lanCommand(io, async () => {
          if (args.action === 'start') {
            const realm = await host.chooseRealm(args.home, io.env, io.cwd);
            const debugLevel = args.debugLevel as LogLevel | undefined;
            return lan.startLan({ realm, endpoint: args.endpoint, debugLevel }, io);
          }
          if (args.action === 'stop') return lan.stopLan(io);
          const status = await lan.readLanStatus(io);
          print(args.json ? `${JSON.stringify(status, null, 2)}\n` : lan.formatLanStatus(status));
          return 0;
        });
      },
    )
    .command(
      'network',
      'show the directories of this home and host: their children, listings and searches',
      (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }),
      async (args) => {
        const { chooseRealm, networkCommand } = await import('./host.ts');
        const { formatNetwork, readNetwork } = await import('./network.ts');
        exitCode = await networkCommand(io, async () => {
          const report = await readNetwork(await chooseRealm(args.home, io.env, io.cwd), io);
          print(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatNetwork(report, io));
          return 0;
        });
      },
    )
    .command(
      'ping <name>',
      'subscribe to a name; time the session and round trips to each listing',
      (y) =>
        y
          .positional('name', { type: 'string', demandOption: true, describe: 'the listing' })
          .option('count', {
            type: 'number',
            requiresArg: true,
            default: 3,
            describe: 'round trips to time per listing',
          })
          .option('scope', {
            type: 'string',
            choices: ['host', 'group'] as const,
            requiresArg: true,
            default: 'host' as const,
            describe: 'how far the search reaches',
          })
          .option('seconds', {
            type: 'number',
            requiresArg: true,
            default: 5,
            describe: 'how long to wait for a listing',
          }),
      async (args) => {
        const count = args.count;
        if (!Number.isInteger(count) || count < 1 || count > 1000) {
          throw new CallsignError('ERR_USAGE', '--count must be a whole number from 1 to 1000');
        }
        const seconds = args.seconds;
        if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
          throw new CallsignError('ERR_USAGE', '--seconds must be more than 0 and at most 3600');
        }
        const { chooseRealm, networkCommand } = await import('./host.ts');
        const { ping } = await import('./ping.ts');
        exitCode = await networkCommand(io, async () => {
          const realm = await chooseRealm(args.home, io.env, io.cwd);
          return ping({ name: args.name, count, scope: args.scope, seconds, realm }, io);
        });
      },
    )

    .demandCommand(1, 'say which command to run (callsign --help lists them)')
    .strict()
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .wrap(Math.min(100, yargs().terminalWidth()))
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new CallsignError('ERR_USAGE', message ?? 'invalid command line');
    });

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (err) {
    return reportFailure(err, io);
  }
}

/** Runs the command line of this process and exits with its code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  process.stdout.on('error', (err) => {
    // `callsign log web | head` closes our stdout early: that is fine.
    if (errnoOf(err) !== 'EPIPE') process.stderr.write(`callsign: stdout: ${err.message}\n`);
    process.exit(errnoOf(err) === 'EPIPE' ? 0 : EXIT_FAILURE);
  });
  const code = await runCli(argv);
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

const debugLevelOption = {
  type: 'string',
  choices: LOG_LEVELS,
  requiresArg: true,
  describe: 'passed to every process; logs go to its log file (and with run, the terminal)',
} as const;

const stopSecondsOption = {
  type: 'number',
  requiresArg: true,
  default: DEFAULT_STOP_SECONDS,
  describe: 'how long roles get to stop after SIGTERM before SIGKILL',
} as const;

/** The options `start` and the background supervisor share. */
function groupOptions(y: Argv<{ home: string | undefined }>) {
  return y
    .positional('roles', { type: 'string', array: true })
    .option('debug-level', debugLevelOption)
    .option('stop-seconds', stopSecondsOption);
}

/** What `start` and `supervise` make of those options. */
function groupSettings(args: {
  roles?: (string | number)[];
  debugLevel?: string;
  stopSeconds?: number;
}) {
  return {
    roles: (args.roles ?? []).map(String),
    debugLevel: args.debugLevel as LogLevel | undefined,
    stopSeconds: stopSeconds(args.stopSeconds),
  };
}

function stopSeconds(value: number | undefined): number {
  const seconds = value ?? DEFAULT_STOP_SECONDS;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new CallsignError('ERR_USAGE', '--stop-seconds must be more than 0 and at most 3600');
  }
  return seconds;
}

function validateRealmName(name: string): void {
  try {
    createRealm(name);
  } catch (err) {
    throw new CallsignError('ERR_USAGE', `--realm: ${toError(err).message}`);
  }
}

function reportFailure(err: unknown, io: CommandOutput): number {
  if (isCallsignError(err)) {
    io.stderr(`callsign: ${err.message} (${err.code})\n`);
    return FAILURE_CODES.has(err.code) ? EXIT_FAILURE : EXIT_MISUSE;
  }
  const e = toError(err);
  const errno = errnoOf(err);
  io.stderr(errno ? `callsign: ${e.message} (${errno})\n` : `callsign: ${e.stack ?? e.message}\n`);
  return EXIT_FAILURE;
}

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}
