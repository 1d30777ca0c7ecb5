/**
 * What the command line says when it is misused: an unknown command (and
 * which there are), an unknown option (by name), a missing argument (by
 * name), a bad value. yargs finds the misuse; this says it in our words,
 * naming the command it was found in.
 */
import type { Argv } from 'yargs';
import {
  type AnyCommand,
  type Cli,
  commandName,
  type GlobalOptions,
  usageError,
} from './context.ts';

/** `callsign host start`, for the commands matched so far. */
function where(cli: Cli): string {
  return ['callsign', ...cli.matched.map((usage) => usage.split(' ')[0])].join(' ');
}

/**
 * Adds a default command to `y` that refuses a command line naming no
 * command, or one that is not among `commands`, and lists them. `also`
 * names the commands yargs runs itself (`completion`).
 */
export function unknownCommand(
  cli: Cli,
  y: Argv<GlobalOptions>,
  commands: readonly AnyCommand[],
  also: readonly string[] = [],
): Argv<GlobalOptions> {
  return y.command({
    command: '$0 [command..]',
    describe: false,
    builder: (b) => b,
    handler: (args) => {
      const names = [
        ...commands.filter((c) => c.describe !== false).map((c) => commandName(c.command)),
        ...also,
      ];
      const given = (args.command as unknown[] | undefined)?.[0];
      if (given !== undefined && also.includes(String(given))) return; // yargs ran it
      const help = `\`${where(cli)} --help\` describes them`;
      if (given === undefined) {
        throw usageError(`say which command to run: ${names.join(', ')} (${help})`);
      }
      const near = closest(String(given), names);
      throw usageError(
        `unknown command ${JSON.stringify(String(given))}${near ? ` (did you mean ${near}?)` : ''}; the commands are ${names.join(', ')} (${help})`,
      );
    },
  });
}

/**
 * Says in our words what yargs found wrong with `argv` (`message` is yargs'
 * English text), naming the option, the argument or the command.
 */
export function explainMisuse(message: string, argv: readonly string[], cli: Cli): string {
  const command = where(cli);
  const usage = cli.matched[cli.matched.length - 1];
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  if (unknown) {
    const names = (unknown[1] ?? '').split(', ');
    const options = names.map((n) => optionAsGiven(n, argv)).filter((o) => o !== undefined);
    if (options.length > 0) {
      return `unknown option${options.length > 1 ? 's' : ''} ${options.join(', ')} for \`${command}\` (\`${command} --help\` lists its options)`;
    }
    const shown = names.map((n) => JSON.stringify(n)).join(', ');
    return `unexpected argument${names.length > 1 ? 's' : ''} ${shown} for \`callsign ${fullUsage(cli)}\``;
  }
  const few = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (few && usage !== undefined) {
    const demanded = usage.match(/<[^>]+>/g) ?? [];
    const missing = demanded.slice(Number(few[1]));
    if (missing.length > 0) return `missing ${missing.join(' ')}: \`callsign ${fullUsage(cli)}\``;
  }
  const value = /^Not enough arguments following: (.+)$/.exec(message);
  if (value) return `--${value[1]} needs a value`;
  const required = /^Missing required arguments?: (.+)$/.exec(message);
  if (required) return `missing ${required[1]}: \`callsign ${fullUsage(cli)}\``;
  const choice = /Argument: (\S+), Given: (.+), Choices: (.+)$/m.exec(message);
  if (choice) return `--${choice[1]} must be one of ${choice[3]} (not ${choice[2]})`;
  return message;
}

/** The usage of the command matched: `host start`, `add <program> <role>`. */
function fullUsage(cli: Cli): string {
  const outer = cli.matched.slice(0, -1).map((usage) => usage.split(' ')[0]);
  return [...outer, cli.matched[cli.matched.length - 1] ?? ''].join(' ').trim();
}

/** `--name` as the command line gave it, if `name` (as yargs reports it) was given as an option. */
function optionAsGiven(name: string, argv: readonly string[]): string | undefined {
  for (const token of argv) {
    if (token === '--') break;
    const flag = token.split('=')[0] ?? '';
    if (flag === `--${name}` || flag === `--no-${name}`) return flag;
    if (name.length === 1 && /^-[^-]/.test(token) && token.slice(1).includes(name))
      return `-${name}`;
  }
  return undefined;
}

/** The name in `names` nearest to `given` (at most two edits away), if any. */
function closest(given: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(given, name);
    if (distance <= 2 && (best === undefined || distance < best.distance))
      best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
