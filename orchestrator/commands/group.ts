/**
 * `callsign run`, `start`, `stop`, `status` and `restart`: running the group
 * of a home (docs/cli.md, "Running the group"); and `supervise`, the
 * background supervisor that `start` runs (internal, not listed).
 */
import type { Argv } from 'yargs';
import { CallsignError } from '../../src/errors.ts';
import type { LogLevel } from '../../src/runtime/log.ts';
import {
  type CommandFamily,
  checkNumber,
  command,
  debugLevelOption,
  type GlobalOptions,
  jsonOption,
} from './context.ts';

/** How long roles are given to stop after SIGTERM, by default. */
const DEFAULT_STOP_SECONDS = 5;

const stopSecondsOption = {
  type: 'number',
  requiresArg: true,
  default: DEFAULT_STOP_SECONDS,
  describe: 'how long roles get to stop after SIGTERM before SIGKILL',
} as const;

/** The arguments and options `run`, `start` and `supervise` share. */
function groupOptions(y: Argv<GlobalOptions>) {
  return y
    .positional('roles', { type: 'string', array: true, describe: 'the roles (default: all)' })
    .option('debug-level', debugLevelOption)
    .option('stop-seconds', stopSecondsOption);
}

/** What `run`, `start` and `supervise` make of those. */
function groupSettings(args: {
  roles?: (string | number)[] | undefined;
  debugLevel?: string | undefined;
  stopSeconds?: number | undefined;
}) {
  return {
    roles: (args.roles ?? []).map(String),
    debugLevel: args.debugLevel as LogLevel | undefined,
    stopSeconds: checkNumber('stop-seconds', args.stopSeconds ?? DEFAULT_STOP_SECONDS, {
      min: 0,
      above: true,
      max: 3600,
    }),
  };
}

export const groupCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'run [roles..]',
    describe: 'run the group (every role, or those named) in the foreground',
    builder: (y) =>
      groupOptions(y).option('main-role', {
        type: 'string',
        requiresArg: true,
        describe: 'end the group when this role ends; print its output, exit with its code',
      }),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { runGroup } = await import('../run.ts');
      cli.exitCode = await runGroup(
        home,
        { ...groupSettings(args), mainRole: args.mainRole },
        cli.io,
      );
    },
  }),

  command(cli, {
    command: 'start [roles..]',
    describe: 'start the group in the background, restarting roles that fail',
    builder: groupOptions,
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { startGroup } = await import('../background.ts');
      cli.exitCode = await startGroup(home, groupSettings(args), cli.io);
    },
  }),

  command(cli, {
    command: 'supervise [roles..]',
    describe: false, // internal: the background supervisor that `start` runs
    builder: groupOptions,
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { superviseGroup } = await import('../background.ts');
      cli.exitCode = await superviseGroup(home, groupSettings(args), cli.io);
    },
  }),

  command(cli, {
    command: 'stop',
    describe: 'stop the group running in the background (or under `callsign run`)',
    builder: (y) => y,
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { stopGroup } = await import('../background.ts');
      cli.exitCode = await stopGroup(home, cli.io);
    },
  }),

  command(cli, {
    command: 'status',
    describe: 'show the state of every role of the running group',
    builder: (y) => y.option('json', jsonOption),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { formatStatus, readStatus } = await import('../status.ts');
      const report = await readStatus(home);
      cli.print(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
      if (report.supervisor !== null && !report.supervisor.alive) {
        throw new CallsignError(
          'ERR_SUPERVISOR_DIED',
          `the supervisor (pid ${report.supervisor.pid}) died; \`callsign stop\` stops what it left and cleans up`,
        );
      }
    },
  }),

  command(cli, {
    command: 'restart <role>',
    describe: 'restart one role of the running group (also one that failed)',
    builder: (y) =>
      y.positional('role', { type: 'string', demandOption: true, describe: 'the role' }),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { restartRole } = await import('../restart-requests.ts');
      cli.exitCode = await restartRole(home, args.role, cli.io);
    },
  }),
];
