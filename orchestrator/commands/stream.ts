/**
 * `callsign stream ...` and `callsign consumer ...`: make, see, read, purge
 * and delete streams and their consumers, and serve a store. Every command
 * takes `--driver` and `--driver.<option>` (merged over `--stream-config
 * file.json`, flags win) and `--json`. Documented in docs/streams.md.
 *
 * @module
 */
import type { Argv, CommandModule } from 'yargs';
import { SCOPES, type Scope } from '../../src/directory/scope.ts';
import { CallsignError } from '../../src/errors.ts';
import type { ConsumerInfo, StreamInfo } from '../../src/index.ts';
import type { LogLevel } from '../../src/runtime/log.ts';
import { resolveHomeDir } from '../home.ts';
import type { HostIo } from '../host.ts';
import {
  formatConsumerInfo,
  formatConsumers,
  formatStreamInfo,
  formatStreamList,
} from '../stream/format.ts';
import {
  type Args,
  checkOptions,
  choiceOf,
  common,
  nameOf,
  prefixed,
  print,
  realms,
  targets,
  withTarget,
} from '../stream/options.ts';
import { purge, update, view } from '../stream/view.ts';

/** The `--admin` keys of `stream serve`: each the base64 of a 32-byte public key. */
function adminKeysOf(given: unknown): string[] {
  const keys = (Array.isArray(given) ? given : given === undefined ? [] : [given]).map(String);
  for (const k of keys) {
    if (Buffer.from(k, 'base64').length !== 32 || !/^[A-Za-z0-9+/]{43}=$/.test(k)) {
      throw new CallsignError('ERR_USAGE', `--admin takes a node's public key in base64, not ${k}`);
    }
  }
  return keys;
}

/** The management listing of a stream server, by default. */
export const DEFAULT_LISTING = 'streams';
/**
 * The `stream` and `consumer` commands, for `yargs().command(...)`.
 * Failures throw `CallsignError`s, which the command line prints with their code.
 */
export function streamCommands(io: HostIo): CommandModule<object, Args>[] {
  const stream: CommandModule<object, Args> = {
    command: 'stream <action> [name]',
    describe:
      'make, change, list, describe, view, purge or delete streams, serve a store, or make a stream key',
    builder: (y) =>
      common(y as Argv)
        .positional('action', {
          type: 'string',
          choices: [
            'create',
            'update',
            'list',
            'info',
            'view',
            'purge',
            'delete',
            'serve',
            'mirror',
            'key',
          ] as const,
          demandOption: true,
        })
        .positional('name', { type: 'string', describe: 'the stream' })
        .option('start', {
          type: 'string',
          requiresArg: true,
          describe: 'view: earliest (default), latest, new, a sequence, an ISO time',
        })
        .option('follow', {
          type: 'boolean',
          alias: 'f',
          describe: 'view: keep printing new messages until Ctrl-C',
        })
        .option('partition', {
          type: 'number',
          requiresArg: true,
          describe: 'view, purge: only this partition',
        })
        .option('filter', {
          type: 'string',
          requiresArg: true,
          describe: 'view, purge: only subjects matching this pattern',
        })
        .option('seal-key-file', {
          type: 'string',
          requiresArg: true,
          describe:
            'view: a file holding the stream key of a sealed stream, to show its opened payloads',
        })
        .option('max', {
          type: 'number',
          requiresArg: true,
          describe: 'view: at most this many messages',
        })
        .option('keep-from', {
          type: 'number',
          requiresArg: true,
          describe: 'purge: keep sequences from this one',
        })
        .option('progress', {
          type: 'boolean',
          describe: 'view, purge: print progress lines (on a terminal: when slow)',
        })
        .option('scope', {
          type: 'string',
          choices: SCOPES,
          requiresArg: true,
          describe: 'serve: how far the listings reach (default host)',
        })
        .option('to', {
          type: 'string',
          requiresArg: true,
          describe: 'mirror: the replicated stream (default: the same name)',
        })
        .option('once', {
          type: 'boolean',
          describe: 'mirror: copy what is there, then stop',
        })
        .option('replicated', {
          type: 'boolean',
          describe:
            'create: keep the stream on the NATS servers of the home (--stream.storage replicated)',
        })
        .option('local', {
          type: 'boolean',
          describe: "create: keep the stream in the host's own store (--stream.storage local)",
        })
        .option('sealed', {
          type: 'boolean',
          describe:
            'create: producers seal each payload with the stream key (--stream.sealed true)',
        })
        .option('admin', {
          type: 'string',
          array: true,
          requiresArg: true,
          describe:
            'serve: the public key (base64) of another node that may create, change, purge and delete (repeatable)',
        })
        .option('debug-level', {
          type: 'string',
          requiresArg: true,
          describe: 'serve: what to log to stderr',
        }) as unknown as Argv<Args>,
    handler: async (args) => {
      checkOptions(args, [
        'action',
        'name',
        'start',
        'seal-key-file',
        'sealKeyFile',
        'follow',
        'f',
        'partition',
        'filter',
        'max',
        'keep-from',
        'keepFrom',
        'progress',
        'scope',
        'debug-level',
        'debugLevel',
        'to',
        'once',
        'replicated',
        'local',
        'sealed',
        'admin',
      ]);
      const action = String(args.action);
      if (action === 'key') {
        // A stream key for a sealed stream (sealKey of its producers and consumers).
        const key = (await import('../../src/index.ts')).newStreamKey();
        print(io, args, { key }, () => `${key}\n`);
        return;
      }
      if (action === 'serve') {
        const { choice } = choiceOf(args, io.env);
        const { storePath } = await targets();
        const path =
          choice.driver === 'lmdb'
            ? storePath(choice, resolveHomeDir(args.home, io.env, io.cwd), io.env)
            : undefined;
        const { serveStreams } = await import('../stream/serve.ts');
        await serveStreams(
          {
            choice,
            path,
            listing: typeof args.listing === 'string' ? args.listing : DEFAULT_LISTING,
            scope: (args.scope as Scope | undefined) ?? 'host',
            realm: await realms(args.home, io),
            ...(args['debug-level'] ? { debugLevel: args['debug-level'] as LogLevel } : {}),
            admins: adminKeysOf(args.admin),
          },
          io,
        );
        return;
      }
      if (action === 'create') {
        const { stream: config } = choiceOf(args);
        const name = args.name ?? args['stream.name'] ?? config.name;
        if (typeof name !== 'string')
          throw new CallsignError('ERR_USAGE', 'stream create needs a name: --name <name>');
        await withTarget(args, io, async (t) => {
          const info = (await t.manage('create', undefined, { ...config, name })) as StreamInfo;
          print(
            io,
            args,
            info,
            () =>
              `created stream ${name} (${info.config.partitions} partition${info.config.partitions === 1 ? '' : 's'}) in ${t.where}\n`,
          );
        });
        return;
      }
      if (action === 'list') {
        await withTarget(args, io, async (t) => {
          const rows = (await t.manage('list', undefined)) as Parameters<
            typeof formatStreamList
          >[0];
          print(io, args, rows, () => formatStreamList(rows));
        });
        return;
      }
      if (args.name === undefined)
        throw new CallsignError('ERR_USAGE', `stream ${action} needs the stream's name`);
      await withTarget(args, io, async (t) => {
        if (action === 'info') {
          const info = (await t.manage('info', nameOf(args))) as StreamInfo;
          print(io, args, info, () => formatStreamInfo(info));
        } else if (action === 'update') {
          await update(args, io, t);
        } else if (action === 'view') {
          await view(args, io, t);
        } else if (action === 'purge') {
          await purge(args, io, t);
        } else if (action === 'mirror') {
          const { runMirror } = await import('../stream/mirror-command.ts');
          const to = typeof args.to === 'string' ? { to: args.to } : {};
          const natsOptions = prefixed(args, 'mirror');
          const once = args.once === true;
          await runMirror(
            { stream: nameOf(args), ...to, once, json: args.json === true, natsOptions },
            io,
            t,
          );
        } else {
          const r = (await t.manage('delete', nameOf(args))) as { deleted: boolean };
          if (!r.deleted)
            throw new CallsignError(
              'ERR_UNKNOWN_STREAM',
              `no stream ${nameOf(args)} in ${t.where}`,
            );
          print(io, args, r, () => `deleted stream ${nameOf(args)}\n`);
        }
      });
    },
  };
  const consumer: CommandModule<object, Args> = {
    command: 'consumer <action> <stream> [name]',
    describe: "list or describe a stream's consumers",
    builder: (y) =>
      common(y as Argv)
        .positional('action', {
          type: 'string',
          choices: ['list', 'info', 'delete'] as const,
          demandOption: true,
        })
        .positional('stream', { type: 'string', demandOption: true })
        .positional('name', { type: 'string', describe: 'the consumer' }) as unknown as Argv<Args>,
    handler: async (args) => {
      checkOptions(args, ['action', 'stream', 'name']);
      const streamName = String(args.stream);
      await withTarget(args, io, async (t) => {
        if (args.action === 'list') {
          const infos = (await t.manage('consumers', streamName)) as ConsumerInfo[];
          print(io, args, infos, () => formatConsumers(infos));
          return;
        }
        if (args.name === undefined)
          throw new CallsignError(
            'ERR_USAGE',
            `consumer ${String(args.action)} needs the consumer's name`,
          );
        if (args.action === 'info') {
          const info = (await t.manage('consumer-info', streamName, {
            name: String(args.name),
          })) as ConsumerInfo;
          print(io, args, info, () => formatConsumerInfo(info));
        } else {
          const r = (await t.manage('consumer-delete', streamName, {
            name: String(args.name),
          })) as { deleted: boolean };
          if (!r.deleted)
            throw new CallsignError(
              'ERR_UNKNOWN_CONSUMER',
              `no consumer ${String(args.name)} on ${streamName}`,
            );
          print(io, args, r, () => `deleted consumer ${String(args.name)} of ${streamName}\n`);
        }
      });
    },
  };
  return [stream, consumer];
}
