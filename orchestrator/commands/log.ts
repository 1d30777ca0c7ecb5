/** `callsign log`: a role's log (docs/cli.md, "callsign log"). */
import { type CommandFamily, command } from './context.ts';

export const logCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'log <role>',
    describe: "print a role's log (its stderr, and a line per start and end)",
    builder: (y) =>
      y
        .positional('role', {
          type: 'string',
          demandOption: true,
          describe: 'the role, or _group (the group directory) or _supervisor',
        })
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
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { exists } = await import('../files.ts');
      const { DIRECTORY_NAME, SUPERVISOR_NAME } = await import('../home.ts');
      const { parseSince, printLog } = await import('../logs.ts');
      const { ROLE_NAME, readRole } = await import('../roles.ts');
      const { onStopSignals } = await import('../signals.ts');
      const { onStopKeys } = await import('../stop-keys.ts');
      const since = args.since === undefined ? undefined : parseSince(args.since);
      const file = home.logFile(args.role);
      const special = args.role === DIRECTORY_NAME || args.role === SUPERVISOR_NAME;
      if (!special && (!ROLE_NAME.test(args.role) || !(await exists(file)))) {
        await readRole(home, args.role); // ERR_UNKNOWN_ROLE unless it is a role without a log yet
      }
      const following = new AbortController();
      const stop = () => following.abort();
      const unsubscribe = args.follow ? onStopSignals(stop, stop) : () => {};
      // On a terminal, Ctrl-C is read as a key: no SIGINT for npx's shell (stop-keys.ts).
      const giveBackTerminal = args.follow ? onStopKeys(process.stdin, stop) : () => {};
      try {
        await printLog(file, {
          since,
          follow: args.follow,
          signal: following.signal,
          write: cli.print,
        });
      } finally {
        giveBackTerminal();
        // After a Ctrl-C the listeners stay until the process exits: the same
        // Ctrl-C may reach us again (npx forwards it), and must not kill us.
        if (!following.signal.aborted) unsubscribe();
      }
    },
  }),
];
