/**
 * The `callsign` command line (yargs): homes, roles, running a group of
 * roles in the foreground (`run`) or the background (`start` / `stop` /
 * `status` / `restart`), logs, and the network. Documented in docs/cli.md.
 *
 * Each family of commands is a file of yargs command modules in
 * `commands/`, registered by one entry of {@link COMMAND_FAMILIES}. A command
 * imports what does its work only when it runs, so that each loads only what
 * it needs.
 */
import yargs from 'yargs';
import { type ErrorCode, isCallsignError, toError } from '../src/errors.ts';
import { addCompletion, COMPLETION_COMMAND } from './commands/completion.ts';
import {
  type Cli,
  type CliIo,
  type CommandFamily,
  EXIT_FAILURE,
  EXIT_MISUSE,
  usageError,
} from './commands/context.ts';
import { directoryCommands } from './commands/directories.ts';
import { groupCommands } from './commands/group.ts';
import { homeCommands } from './commands/home.ts';
import { logCommands } from './commands/log.ts';
import { explainMisuse, unknownCommand } from './commands/misuse.ts';
import { networkCommands } from './commands/network.ts';
import { pingCommands } from './commands/ping.ts';
import { roleCommands } from './commands/roles.ts';
import { streamCommands } from './commands/stream.ts';
import { viewCommands } from './commands/view.ts';
import { wanCommands } from './commands/wan.ts';
import { errnoOf } from './errno.ts';
import { packageVersion } from './package-files.ts';

export { type CliIo, EXIT_FAILURE, EXIT_MISUSE } from './commands/context.ts';

/** The families of commands, in the order `callsign --help` lists them. */
export const COMMAND_FAMILIES: readonly CommandFamily[] = [
  homeCommands,
  roleCommands,
  groupCommands,
  logCommands,
  directoryCommands,
  networkCommands,
  pingCommands,
  viewCommands,
  (cli) => streamCommands(cli.io),
  wanCommands,
];

/** Codes of failures that are not misuse: they exit with {@link EXIT_FAILURE}. */
const FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_INVALID_HOME',
  'ERR_GROUP_DIRECTORY_FAILED',
  'ERR_SUPERVISOR_FAILED',
  'ERR_SUPERVISOR_DIED',
  'ERR_TIMEOUT',
]);

/**
 * Runs the command line `argv` (without `node` and the script) and gives its
 * exit code. Misuse prints `callsign: <what> (<CODE>)` on stderr and gives 2.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const cli: Cli = {
    io,
    print: (text) => io.stdout(text),
    exitCode: 0,
    openHome: async (args) => {
      const { openHome, resolveHomeDir } = await import('./home.ts');
      return openHome(resolveHomeDir(args.home, io.env, io.cwd));
    },
    matched: [],
  };
  const commands = COMMAND_FAMILIES.flatMap((family) => family(cli));
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
    .command(commands);
  unknownCommand(cli, parser, commands, [COMPLETION_COMMAND]);
  addCompletion(parser)
    .strict()
    .locale('en')
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(Math.min(100, parser.terminalWidth()))
    .exitProcess(false)
    .fail((message, err) => {
      // yargs' own errors (YError) are misuse of the command line too.
      const said = message ?? (err?.name === 'YError' ? err.message : undefined);
      if (said === undefined) throw err ?? usageError('invalid command line');
      throw usageError(explainMisuse(said, argv, cli));
    });

  try {
    await parser.parseAsync();
    return cli.exitCode;
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

function reportFailure(err: unknown, io: CliIo): number {
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
