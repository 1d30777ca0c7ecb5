/**
 * `callsign host start|stop|status` and `callsign lan start|stop|status`: the
 * background directories of the host and of the LAN (docs/cli.md,
 * "Network"). Both are daemons with the same three commands; what differs
 * is the module that runs them and the options of `start`.
 */
import type { Argv } from 'yargs';
import type { LogLevel } from '../../src/runtime/log.ts';
import type { RealmChoice } from '../host.ts';
import {
  type AnyCommand,
  type Cli,
  type CommandFamily,
  command,
  debugLevelOption,
  type GlobalOptions,
  jsonOption,
} from './context.ts';
import { unknownCommand } from './misuse.ts';

/** What the commands of one daemon need of the module that runs it. */
interface DaemonModule {
  start(init: Record<string, unknown>, realm: RealmChoice, debugLevel?: LogLevel): Promise<number>;
  stop(): Promise<number>;
  /** Its status, as JSON or as text. */
  status(json: boolean): Promise<string>;
  /** Runs one of its commands: failures exit 1, misuse is thrown on (exit 2). */
  run(work: () => Promise<number>): Promise<number>;
}

/** One daemon: `host` or `lan`. */
interface Daemon {
  name: string;
  describe: string;
  /** Its name in descriptions: `the host directory`. */
  title: string;
  /** Its log, for `--debug-level`'s description. */
  logName: string;
  /** The options only `start` takes. */
  startOptions(y: Argv<GlobalOptions>): Argv<GlobalOptions>;
  load(cli: Cli): Promise<DaemonModule>;
}

const host: Daemon = {
  name: 'host',
  describe: 'start, stop or show the host directory (this user, this host)',
  title: 'the host directory',
  logName: 'host.log',
  startOptions: (y) => y,
  load: async ({ io }) => {
    const m = await import('../host.ts');
    return {
      start: (_init, realm, debugLevel) => m.startHost({ realm, debugLevel }, io),
      stop: () => m.stopHost(io),
      status: async (json) => {
        const status = await m.readHostStatus(io);
        return json ? `${JSON.stringify(status, null, 2)}\n` : m.formatHostStatus(status);
      },
      run: (work) => m.networkCommand(io, work),
    };
  },
};

const lan: Daemon = {
  name: 'lan',
  describe: 'start, stop or show the LAN directory (found by hosts over mDNS)',
  title: 'the LAN directory',
  logName: 'lan.log',
  startOptions: (y) =>
    y.option('endpoint', {
      type: 'string',
      requiresArg: true,
      describe: 'where to listen (default 0.0.0.0:0, any free port)',
    }),
  load: async ({ io }) => {
    const m = await import('../lan.ts');
    return {
      start: (init, realm, debugLevel) =>
        m.startLan({ realm, endpoint: init.endpoint as string | undefined, debugLevel }, io),
      stop: () => m.stopLan(io),
      status: async (json) => {
        const status = await m.readLanStatus(io);
        return json ? `${JSON.stringify(status, null, 2)}\n` : m.formatLanStatus(status);
      },
      run: (work) => m.lanCommand(io, work),
    };
  },
};

/** `callsign <daemon> start|stop|status`. */
function daemonCommand(cli: Cli, daemon: Daemon): AnyCommand {
  const run = async (work: (m: DaemonModule) => Promise<number>) => {
    const m = await daemon.load(cli);
    cli.exitCode = await m.run(() => work(m));
  };
  const subcommands: AnyCommand[] = [
    command(cli, {
      command: 'start',
      describe: `start ${daemon.title} in the background`,
      builder: (y) =>
        daemon.startOptions(y).option('debug-level', {
          ...debugLevelOption,
          describe: `what ${daemon.title} logs to ${daemon.logName} (default CONSOLE)`,
        }),
      handler: (args) =>
        run(async (m) => {
          const { chooseRealm } = await import('../host.ts');
          const realm = await chooseRealm(args.home, cli.io.env, cli.io.cwd);
          return m.start(args, realm, args.debugLevel as LogLevel | undefined);
        }),
    }),
    command(cli, {
      command: 'stop',
      describe: `stop ${daemon.title} started by \`callsign ${daemon.name} start\``,
      builder: (y) => y,
      handler: () => run((m) => m.stop()),
    }),
    command(cli, {
      command: 'status',
      describe: `show ${daemon.title}, if it runs`,
      builder: (y) => y.option('json', jsonOption),
      handler: (args) =>
        run(async (m) => {
          cli.print(await m.status(args.json === true));
          return 0;
        }),
    }),
  ];
  return command(cli, {
    command: daemon.name,
    describe: daemon.describe,
    builder: (y) => unknownCommand(cli, y.command(subcommands), subcommands),
    handler: () => {},
  });
}

export const directoryCommands: CommandFamily = (cli) => [
  daemonCommand(cli, host),
  daemonCommand(cli, lan),
];
