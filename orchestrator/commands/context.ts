/**
 * What the command modules of the `callsign` command line share: where a
 * command reads and writes, its exit code, the global options, and the
 * options several commands take.
 *
 * Each file of `orchestrator/commands/` is one family of commands (yargs
 * command modules). It imports at the top only what describes its commands;
 * a handler imports what does the work when it runs, so that a command loads
 * only what it needs and `callsign --help` loads none of it.
 */
import type { CommandModule } from 'yargs';
import { CallsignError } from '../../src/errors.ts';
import { LOG_LEVELS } from '../../src/runtime/log.ts';
import type { Home } from '../home.ts';
import type { CommandOutput } from '../run.ts';

/** Where the command line reads and writes. */
export interface CliIo extends CommandOutput {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The options every command takes. */
export interface GlobalOptions {
  home: string | undefined;
}

/** One run of the command line, as its commands see it. */
export interface Cli {
  readonly io: CliIo;
  /** Writes to stdout. */
  print(text: string): void;
  /** The exit code the command line gives, 0 unless a command sets it. */
  exitCode: number;
  /** The home of the command: `--home`, else `$CALLSIGN_HOME`, else `./.callsign`. */
  openHome(args: GlobalOptions): Promise<Home>;
  /** The usage of each command the command line matched, outermost first (`host`, `start`). */
  readonly matched: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: each command has its own arguments
export type AnyCommand = CommandModule<GlobalOptions, any>;

/** A family of commands: the command modules of one file of `orchestrator/commands/`. */
export type CommandFamily = (cli: Cli) => AnyCommand[];

/** The exit code of a command refused for misuse (a wrong argument, or the wrong time for it). */
export const EXIT_MISUSE = 2;

/** The exit code of a command that failed while doing what it was asked. */
export const EXIT_FAILURE = 1;

/**
 * A command module whose builder notes in `cli.matched` that the command
 * line reached it (so that messages about the command line can name the
 * command and its arguments).
 */
export function command<U>(
  cli: Cli,
  module: CommandModule<GlobalOptions, U> & {
    builder: NonNullable<CommandModule<GlobalOptions, U>['builder']>;
  },
): CommandModule<GlobalOptions, U> {
  const { builder } = module;
  return {
    ...module,
    builder: (y) => {
      cli.matched.push(usageOf(module.command));
      // biome-ignore lint/suspicious/noExplicitAny: yargs' builder and options forms share no type
      return (typeof builder === 'function' ? builder(y) : y.options(builder)) as any;
    },
  };
}

/** A command's usage: `add <program> <role>`. */
export function usageOf(module: CommandModule['command']): string {
  return String((Array.isArray(module) ? module[0] : module) ?? '');
}

/** A command's name, the first word of its usage (`add <program> <role>` → `add`). */
export function commandName(module: CommandModule['command']): string {
  return usageOf(module).split(' ')[0] ?? '';
}

/** A refusal of the command line: `ERR_USAGE`, exit code 2. */
export function usageError(message: string): CallsignError {
  return new CallsignError('ERR_USAGE', message);
}

/**
 * `--debug-level`: passed to every process. Any case is accepted
 * (`--debug-level=console`); processes are given it in capitals.
 */
export const debugLevelOption = {
  type: 'string',
  choices: LOG_LEVELS,
  coerce: (level: unknown) => String(level).toUpperCase(),
  requiresArg: true,
  describe: 'passed to every process; logs go to its log file (and with run, the terminal)',
} as const;

/** `--json`: print JSON instead of a table. */
export const jsonOption = { type: 'boolean', describe: 'print JSON' } as const;

/** Checks that `value` (a command-line number) is within [min, max] and whole if asked. */
export function checkNumber(
  name: string,
  value: number,
  range: { min: number; max: number; whole?: boolean; above?: boolean },
): number {
  const { min, max, whole = false, above = false } = range;
  const ok =
    Number.isFinite(value) &&
    (above ? value > min : value >= min) &&
    value <= max &&
    (!whole || Number.isInteger(value));
  if (!ok) {
    const from = above ? `more than ${min}` : `from ${min}`;
    throw usageError(
      whole
        ? `--${name} must be a whole number from ${min} to ${max}`
        : `--${name} must be ${from} and at most ${max}`,
    );
  }
  return value;
}
