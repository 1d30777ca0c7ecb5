/**
 * What `callsign stream ...` and `callsign consumer ...` do when they run:
 * the command module (orchestrator/commands/stream.ts) declares their
 * options and imports this only then, so that the command line's start
 * (`--help`, `status`) loads none of the stream modules.
 *
 * @module
 */
import type { Scope } from '../../src/directory/scope.ts';
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
} from './format.ts';
import {
  type Args,
  checkOptions,
  choiceOf,
  nameOf,
  prefixed,
  print,
  realms,
  targets,
  withTarget,
} from './options.ts';
import { purge, update, view } from './view.ts';

/** The management listing of a stream server, by default. */
export const DEFAULT_LISTING = 'streams';

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

/** Runs `callsign stream <action> [name]`. Failures throw `CallsignError`s. */
export async function runStreamCommand(args: Args, io: HostIo): Promise<void> {
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
      const rows = (await t.manage('list', undefined)) as Parameters<typeof formatStreamList>[0];
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
        throw new CallsignError('ERR_UNKNOWN_STREAM', `no stream ${nameOf(args)} in ${t.where}`);
      print(io, args, r, () => `deleted stream ${nameOf(args)}\n`);
    }
  });
}

/** Runs `callsign consumer <action> <stream> [name]`. Failures throw `CallsignError`s. */
export async function runConsumerCommand(args: Args, io: HostIo): Promise<void> {
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
}
