/** `callsign ping`: sessions and round trips to listings (docs/cli.md, "callsign ping"). */
import { type CommandFamily, checkNumber, command, usageError } from './context.ts';

/** The flags a regular-expression search may have (as directories take them). */
const SEARCH_FLAGS = /^[isu]*$/;

/**
 * What `ping` searches for: a name; a regular expression with `--regex`; or
 * `/pattern/flags`, a regular expression written as in JavaScript.
 */
export function pingSearch(given: string, regex: boolean): string | RegExp {
  const slashed = /^\/(.+)\/([a-z]*)$/s.exec(given);
  if (!regex && !slashed) return given;
  const [source, flags] = slashed && !regex ? [slashed[1] ?? '', slashed[2] ?? ''] : [given, ''];
  if (!SEARCH_FLAGS.test(flags)) {
    throw usageError(`${given}: a search's flags are any of i, s and u`);
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw usageError(`${given} is not a regular expression: ${(err as Error).message}`);
  }
}

export const pingCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'ping <name>',
    describe: 'subscribe to a name or /regular expression/; time the session and round trips',
    builder: (y) =>
      y
        .positional('name', {
          type: 'string',
          demandOption: true,
          describe: "the listing's name, or /pattern/flags",
        })
        .option('regex', {
          type: 'boolean',
          alias: 'r',
          describe: 'take <name> as a regular expression (matching whole names)',
        })
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
          describe: 'how long to wait for listings',
        }),
    handler: async (args) => {
      const count = checkNumber('count', args.count, { min: 1, max: 1000, whole: true });
      const seconds = checkNumber('seconds', args.seconds, { min: 0, above: true, max: 3600 });
      const search = pingSearch(args.name, args.regex === true);
      const { chooseRealm, networkCommand } = await import('../host.ts');
      const { ping } = await import('../ping.ts');
      const { io } = cli;
      cli.exitCode = await networkCommand(io, async () => {
        const realm = await chooseRealm(args.home, io.env, io.cwd);
        return ping({ search, count, scope: args.scope, seconds, realm }, io);
      });
    },
  }),
];
