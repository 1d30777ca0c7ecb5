/** `callsign network`: the directories and what they hold (docs/cli.md, "callsign network"). */
import { type CommandFamily, checkNumber, command, jsonOption } from './context.ts';

export const networkCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'network',
    describe:
      'show the directories of this home and host: their children, listings, searches, nodes and sessions',
    builder: (y) =>
      y.option('json', jsonOption).option('sample', {
        type: 'number',
        default: 0,
        describe: 'ask twice, this many seconds apart, and show message and byte rates',
      }),
    handler: async (args) => {
      const sampleSeconds = checkNumber('sample', args.sample, { min: 0, max: 60 });
      const { chooseRealm, networkCommand } = await import('../host.ts');
      const { formatNetwork, readNetwork } = await import('../network.ts');
      const { io } = cli;
      cli.exitCode = await networkCommand(io, async () => {
        const realm = await chooseRealm(args.home, io.env, io.cwd);
        const report = await readNetwork(realm, io, { sampleSeconds });
        cli.print(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatNetwork(report, io));
        return 0;
      });
    },
  }),
];
