/**
 * `callsign wan serve|tenant|invite|revoke|join|status`: a relay and WAN
 * directory anyone can host, its tenants and sites, and a site joining it
 * (docs/wan.md). Keys and access files are written 0600 and never printed.
 */
import type { LogLevel } from '../../src/runtime/log.ts';
import {
  type AnyCommand,
  type CommandFamily,
  checkNumber,
  command,
  debugLevelOption,
  jsonOption,
  usageError,
} from './context.ts';
import { unknownCommand } from './misuse.ts';

const dirOption = {
  type: 'string',
  requiresArg: true,
  describe: 'the relay folder (default $CALLSIGN_RELAY_DIR, else ./.callsign-relay)',
} as const;

const urlOption = {
  type: 'string',
  array: true,
  requiresArg: true,
  describe:
    'where sites reach the relay: ws://<public address>:<port>/ or wss://<name>/<path> (repeat for several)',
} as const;

export const wanCommands: CommandFamily = (cli) => {
  const { io } = cli;
  const admin = () => import('../wan/admin.ts');
  const run = async (work: () => Promise<string | number>) => {
    const { networkCommand } = await import('../host.ts');
    cli.exitCode = await networkCommand(io, async () => {
      const out = await work();
      if (typeof out === 'string') {
        cli.print(out);
        return 0;
      }
      return out;
    });
  };
  const dirOf = async (args: { dir?: string | undefined }) =>
    (await admin()).relayDir(args.dir, io.env, io.cwd);

  const tenant: AnyCommand[] = [
    command(cli, {
      command: 'add <name>',
      describe: 'add a tenant (its own names, sites and limits)',
      builder: (y) =>
        y
          .positional('name', { type: 'string', demandOption: true })
          .option('dir', dirOption)
          .option('sites', { type: 'number', requiresArg: true, describe: 'sites at once (64)' })
          .option('sessions', {
            type: 'number',
            requiresArg: true,
            describe: 'nodes at once (1024)',
          })
          .option('listings', { type: 'number', requiresArg: true, describe: 'listings (16384)' })
          .option('searches', { type: 'number', requiresArg: true, describe: 'searches (16384)' })
          .option('bytes-per-second', {
            type: 'number',
            requiresArg: true,
            describe: 'bytes forwarded per second for the tenant (256 MiB)',
          }),
      handler: (args) =>
        run(async () => {
          const limits: Record<string, number> = {};
          const given: [string, number | undefined][] = [
            ['sites', args.sites],
            ['sessions', args.sessions],
            ['listings', args.listings],
            ['searches', args.searches],
            ['bytesPerSecond', args.bytesPerSecond],
          ];
          for (const [k, v] of given) {
            if (v !== undefined)
              limits[k] = checkNumber(k, v, { min: 1, max: 2 ** 40, whole: true });
          }
          return (await admin()).addTenant(await dirOf(args), args.name, limits);
        }),
    }),
    command(cli, {
      command: 'remove <name>',
      describe: 'remove a tenant: a running relay cuts its sites',
      builder: (y) =>
        y.positional('name', { type: 'string', demandOption: true }).option('dir', dirOption),
      handler: (args) =>
        run(async () => (await admin()).removeTenant(await dirOf(args), args.name)),
    }),
    command(cli, {
      command: 'list',
      describe: 'list the tenants and their sites',
      builder: (y) => y.option('dir', dirOption).option('json', jsonOption),
      handler: (args) =>
        run(async () => (await admin()).listTenants(await dirOf(args), args.json === true)),
    }),
  ];

  const subcommands: AnyCommand[] = [
    command(cli, {
      command: 'serve',
      describe: 'run the relay and WAN directory of the relay folder (Ctrl-C to stop)',
      builder: (y) =>
        y
          .option('dir', dirOption)
          .option('listen', {
            type: 'string',
            requiresArg: true,
            default: '0.0.0.0:7600',
            describe: 'where to listen (host:port)',
          })
          .option('url', urlOption)
          .option('cert', {
            type: 'string',
            requiresArg: true,
            describe: 'TLS certificate chain (PEM)',
          })
          .option('key', { type: 'string', requiresArg: true, describe: 'TLS private key (PEM)' })
          .option('record', {
            type: 'string',
            requiresArg: true,
            describe:
              'append every byte the relay reads to this file (an audit of what it can see)',
          })
          .option('nats', {
            type: 'string',
            array: true,
            describe:
              'run as a member of a NATS cluster: nats://host:port (repeat, or commas); alone, the servers kept in the relay folder',
          })
          .option('debug-level', {
            ...debugLevelOption,
            describe: 'what the relay logs (default CONSOLE)',
          }),
      handler: (args) =>
        run(async () => {
          if ((args.cert === undefined) !== (args.key === undefined)) {
            throw usageError('--cert and --key go together');
          }
          const { serveRelay } = await import('../wan/serve.ts');
          return serveRelay(
            {
              dir: await dirOf(args),
              listen: args.listen,
              urls: (args.url ?? []).map(String),
              ...(args.cert ? { cert: args.cert, key: args.key as string } : {}),
              ...(args.record ? { record: args.record } : {}),
              ...(args.nats ? { nats: args.nats.map(String).filter(Boolean) } : {}),
              ...(args.debugLevel ? { debugLevel: args.debugLevel as LogLevel } : {}),
            },
            io,
          );
        }),
    }),
    command(cli, {
      command: 'status',
      describe: 'on the relay machine: the running relay, its tenants and the sites connected',
      builder: (y) => y.option('dir', dirOption).option('json', jsonOption),
      handler: (args) =>
        run(async () => (await admin()).relayStatus(await dirOf(args), args.json === true)),
    }),
    command(cli, {
      command: 'tenant',
      describe: 'add, remove or list the tenants of the relay folder',
      builder: (y) => unknownCommand(cli, y.command(tenant), tenant),
      handler: () => {},
    }),
    command(cli, {
      command: 'invite <tenant>',
      describe: 'invite a site into a tenant: writes its access file (0600)',
      builder: (y) =>
        y
          .positional('tenant', { type: 'string', demandOption: true })
          .option('site', {
            type: 'string',
            requiresArg: true,
            demandOption: true,
            describe: "the site's name",
          })
          .option('out', {
            type: 'string',
            requiresArg: true,
            describe: 'where to write the access file (default ./<tenant>-<site>.access.json)',
          })
          .option('url', urlOption)
          .option('dir', dirOption),
      handler: (args) =>
        run(async () => {
          const { resolve } = await import('node:path');
          const out = resolve(io.cwd, args.out ?? `${args.tenant}-${args.site}.access.json`);
          return (await admin()).inviteSite({
            dir: await dirOf(args),
            tenant: args.tenant,
            site: args.site,
            out,
            urls: (args.url ?? []).map(String),
          });
        }),
    }),
    command(cli, {
      command: 'revoke <tenant>',
      describe: 'revoke a site: a running relay cuts it at once',
      builder: (y) =>
        y
          .positional('tenant', { type: 'string', demandOption: true })
          .option('site', { type: 'string', requiresArg: true, demandOption: true })
          .option('dir', dirOption),
      handler: (args) =>
        run(async () => (await admin()).revokeSite(await dirOf(args), args.tenant, args.site)),
    }),
    command(cli, {
      command: 'join <access>',
      describe: "join this site to a relay's tenant with the access file `invite` wrote",
      builder: (y) => y.positional('access', { type: 'string', demandOption: true }),
      handler: (args) =>
        run(async () => {
          const { resolve } = await import('node:path');
          const home = await cli.openHome(args);
          return (await admin()).joinRelay(home.dir, resolve(io.cwd, args.access));
        }),
    }),
  ];
  return [
    command(cli, {
      command: 'wan',
      describe: 'run a WAN relay, manage its tenants and sites, or join a site to one',
      builder: (y) => unknownCommand(cli, y.command(subcommands), subcommands),
      handler: () => {},
    }),
  ];
};
