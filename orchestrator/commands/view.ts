/** `callsign view`: a live, read-only web page of the network (docs/view.md). */
import { type CommandFamily, checkNumber, command } from './context.ts';

/** The management listing of a stream server, as `callsign stream serve` names it by default. */
const DEFAULT_STREAMS = 'streams';

export const viewCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'view',
    describe:
      'serve a live page of the directories, nodes, sessions, rates and streams on 127.0.0.1 (read-only)',
    builder: (y) =>
      y
        .option('port', {
          type: 'number',
          default: 0,
          describe: 'the port on 127.0.0.1 (default: an ephemeral one)',
        })
        .option('scope', {
          type: 'string',
          choices: ['host', 'lan', 'wan'] as const,
          default: 'wan',
          describe:
            'how far up to look: the directories above the host directory, up to this scope',
        })
        .option('streams', {
          type: 'string',
          array: true,
          default: [DEFAULT_STREAMS],
          describe: 'management listings of stream servers to show the streams of',
        })
        .option('interval', {
          type: 'number',
          default: 1,
          describe: 'seconds between updates',
        }),
    handler: async (args) => {
      const port = checkNumber('port', args.port, { min: 0, max: 65535, whole: true });
      const interval = checkNumber('interval', args.interval, { min: 0.2, max: 60 });
      const { chooseRealm, networkCommand } = await import('../host.ts');
      const { serveView } = await import('../view/serve-view.ts');
      const { io } = cli;
      cli.exitCode = await networkCommand(io, async () =>
        serveView(
          {
            realm: await chooseRealm(args.home, io.env, io.cwd),
            port,
            reach: args.scope as 'host' | 'lan' | 'wan',
            streams: args.streams.map(String),
            intervalMs: Math.round(interval * 1000),
          },
          io,
        ),
      );
    },
  }),
];
