/** `callsign network`: the directories and what they hold (docs/cli.md, "callsign network"). */
import { type CommandFamily, command, jsonOption } from './context.ts';

export const networkCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'network',
    describe: 'show the directories of this home and host: their children, listings and searches',
    builder: (y) => y.option('json', jsonOption),
    handler: async (args) => {
      const { chooseRealm, networkCommand } = await import('../host.ts');
      const { formatNetwork, readNetwork } = await import('../network.ts');
      const { io } = cli;
      cli.exitCode = await networkCommand(io, async () => {
        const report = await readNetwork(await chooseRealm(args.home, io.env, io.cwd), io);
        cli.print(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatNetwork(report, io));
        return 0;
      });
    },
  }),
];
