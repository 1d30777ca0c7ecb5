/**
 * `callsign stream ...` and `callsign consumer ...`: make, see, read, purge
 * and delete streams and their consumers, and serve a store. Every command
 * takes `--driver` and `--driver.<option>` (merged over `--stream-config
 * file.json`, flags win) and `--json`. Documented in docs/streams.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { SCOPES, type Scope } from '../../src/directory/scope.ts';
import { CallsignError, toError } from '../../src/errors.ts';
import type { ConsumerInfo, StoredRecord, StreamInfo } from '../../src/index.ts';
import type { LogLevel } from '../../src/runtime/log.ts';
import { resolveHomeDir } from '../home.ts';
import type { HostIo } from '../host.ts';
import { onStopSignals } from '../signals.ts';
import {
  formatConsumerInfo,
  formatConsumers,
  formatRecord,
  formatStreamInfo,
  formatStreamList,
  progressLine,
  recordJson,
} from '../stream/format.ts';
import type { StoreChoice, StreamTarget } from '../stream/target.ts';

// The store (lmdb) and the network are loaded only by the commands that use them.
const targets = () => import('../stream/target.ts');
const realms = async (home: string | undefined, io: HostIo) =>
  (await import('../host.ts')).chooseRealm(home, io.env, io.cwd);

/** The management listing of a stream server, by default. */
export const DEFAULT_LISTING = 'streams';

type Args = Record<string, unknown> & { home?: string; json?: boolean };

/** `--prefix.key value` options, as an object (`prefix.` removed). */
function prefixed(args: Args, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k.startsWith(`${prefix}.`) && k.length > prefix.length + 1)
      out[k.slice(prefix.length + 1)] = v;
  }
  return out;
}

/** The JSON file of `--stream-config`: a stream configuration, or `{ driver, driverOptions, stream }`. */
function readConfigFile(file: unknown): {
  driver?: string;
  driverOptions: Record<string, unknown>;
  stream: Record<string, unknown>;
} {
  if (file === undefined) return { driverOptions: {}, stream: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(String(file), 'utf8'));
  } catch (err) {
    throw new CallsignError(
      'ERR_USAGE',
      `--stream-config ${String(file)}: ${toError(err).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CallsignError('ERR_USAGE', `--stream-config ${String(file)}: not a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  if ('stream' in o || 'driver' in o || 'driverOptions' in o) {
    return {
      ...(typeof o.driver === 'string' ? { driver: o.driver } : {}),
      driverOptions: (o.driverOptions as Record<string, unknown>) ?? {},
      stream: (o.stream as Record<string, unknown>) ?? {},
    };
  }
  return { driverOptions: {}, stream: o };
}

function choiceOf(args: Args): { choice: StoreChoice; stream: Record<string, unknown> } {
  const file = readConfigFile(args['stream-config']);
  const flagDriver = typeof args.driver === 'string' ? args.driver : undefined;
  const driver = flagDriver ?? file.driver ?? 'lmdb';
  return {
    choice: { driver, options: { ...file.driverOptions, ...prefixed(args, 'driver') } },
    stream: { ...file.stream, ...prefixed(args, 'stream') },
  };
}

/** Refuses options that are neither known nor `--driver.*` / `--stream.*`. */
function checkOptions(args: Args, known: readonly string[]): void {
  const allowed = new Set([
    ...known,
    '_',
    '$0',
    'home',
    'json',
    'driver',
    'stream-config',
    'streamConfig',
    'listing',
    'seconds',
    'help',
    'version',
  ]);
  for (const k of Object.keys(args)) {
    if (allowed.has(k) || k.startsWith('driver.') || k.startsWith('stream.')) continue;
    if (/[A-Z]/.test(k) && allowed.has(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))) continue;
    throw new CallsignError('ERR_USAGE', `unknown option --${k}`);
  }
}

/** The target of a command: the server that has the store open, else the store itself. */
async function targetOf(args: Args, io: HostIo): Promise<StreamTarget> {
  const seconds = Number(args.seconds ?? 5);
  const { directTarget, readServerRecord, serverTarget, storePath } = await targets();
  const realm = () => realms(args.home, io);
  if (typeof args.listing === 'string')
    return serverTarget(args.listing, await realm(), io, seconds);
  const { choice } = choiceOf(args);
  if (choice.driver !== 'lmdb') {
    throw new CallsignError(
      'ERR_USAGE',
      `a ${choice.driver} store lives in its server: reach it with --listing <name>`,
    );
  }
  const path = storePath(choice, resolveHomeDir(args.home, io.env, io.cwd), io.env);
  const server = readServerRecord(path);
  if (server) return serverTarget(server.listing, await realm(), io, seconds);
  return directTarget(choice, path);
}

async function withTarget<T>(
  args: Args,
  io: HostIo,
  fn: (t: StreamTarget) => Promise<T>,
): Promise<T> {
  const target = await targetOf(args, io);
  try {
    return await fn(target);
  } finally {
    await target.close();
  }
}

const common = (y: Argv) =>
  y
    .parserConfiguration({ 'dot-notation': false })
    .strict(false)
    .option('driver', {
      type: 'string',
      requiresArg: true,
      describe: 'the store driver: lmdb (default) or memory',
    })
    .option('stream-config', {
      type: 'string',
      requiresArg: true,
      describe: 'a JSON file of stream (and driver) options',
    })
    .option('listing', {
      type: 'string',
      requiresArg: true,
      describe: 'reach a stream server by its listing name',
    })
    .option('seconds', {
      type: 'number',
      requiresArg: true,
      default: 5,
      describe: 'how long to wait for a server',
    })
    .option('json', { type: 'boolean', describe: 'print JSON' });

function print(io: HostIo, args: Args, value: unknown, text: () => string): void {
  io.stdout(args.json ? `${JSON.stringify(value, null, 2)}\n` : text());
}

function nameOf(args: Args): string {
  return String(args.name);
}

/** View: every partition (or one), from a start, following new messages with `--follow`. */
async function view(args: Args, io: HostIo, t: StreamTarget): Promise<void> {
  const stream = nameOf(args);
  const info = (await t.manage('info', stream)) as StreamInfo;
  const parts =
    args.partition === undefined
      ? info.partitions.map((p) => p.partition)
      : [Number(args.partition)];
  const start = String(args.start ?? 'earliest');
  const max = args.max === undefined ? Number.POSITIVE_INFINITY : Number(args.max);
  const since = /^\d{4}-\d\d-\d\d/.test(start) ? Date.parse(start) : undefined;
  const from = new Map<number, number>();
  for (const p of parts) {
    const pi = info.partitions[p];
    if (!pi) throw new CallsignError('ERR_INVALID_PARTITION', `${stream} has no partition ${p}`);
    const at =
      start === 'earliest' || since !== undefined
        ? pi.firstSequence
        : start === 'latest'
          ? Math.max(pi.lastSequence, 1)
          : start === 'new'
            ? pi.lastSequence + 1
            : /^\d+$/.test(start)
              ? Number(start)
              : undefined;
    if (at === undefined)
      throw new CallsignError(
        'ERR_USAGE',
        '--start is earliest, latest, new, a sequence or an ISO time',
      );
    from.set(p, at);
  }
  const total = info.partitions
    .filter((p) => parts.includes(p.partition))
    .reduce((n, p) => n + p.messages, 0);
  const progress = progressLine(io.stderr, args.progress === true, process.stderr.isTTY === true);
  const stop = new AbortController();
  const off = args.follow
    ? onStopSignals(
        () => stop.abort(),
        () => stop.abort(),
      )
    : () => {};
  let shown = 0;
  try {
    for (;;) {
      let gotAny = false;
      for (const p of parts) {
        if (stop.signal.aborted || shown >= max) break;
        const waitMs = args.follow ? (parts.length > 1 ? 200 : 1000) : 0;
        const page = await t.read(stream, {
          partition: p,
          from: from.get(p) ?? 1,
          max: 1000,
          ...(args.filter ? { filter: String(args.filter) } : {}),
          waitMs,
        });
        from.set(p, page.next);
        for (const r of page.records as StoredRecord[]) {
          if (since !== undefined && r.publishTime < since) continue;
          if (shown >= max) break;
          io.stdout(args.json ? recordJson(r) : formatRecord(r));
          shown++;
        }
        if (page.records.length > 0) gotAny = true;
        progress.show(`viewed ${shown} of ${total} messages`);
      }
      if (stop.signal.aborted || shown >= max) break;
      if (!gotAny && !args.follow) break;
    }
  } finally {
    off();
    progress.end();
  }
}

/** Purge in steps of sequences, with a progress line. */
async function purge(args: Args, io: HostIo, t: StreamTarget): Promise<void> {
  const stream = nameOf(args);
  const info = (await t.manage('info', stream)) as StreamInfo;
  const progress = progressLine(io.stderr, args.progress === true, process.stderr.isTTY === true);
  const step = 10_000;
  let removed = 0;
  for (const p of info.partitions) {
    if (args.partition !== undefined && Number(args.partition) !== p.partition) continue;
    const end = args['keep-from'] === undefined ? p.lastSequence + 1 : Number(args['keep-from']);
    for (let at = p.firstSequence + step; ; at += step) {
      const keepFrom = Math.min(at, end);
      const r = (await t.manage('purge', stream, {
        partition: p.partition,
        keepFrom,
        ...(args.filter === undefined ? {} : { filter: String(args.filter) }),
      })) as { removed: number };
      removed += r.removed;
      progress.show(`purged ${removed} of ${info.messages} messages`);
      if (keepFrom >= end) break;
    }
  }
  progress.end();
  print(io, args, { stream, removed }, () => `purged ${removed} messages from ${stream}\n`);
}

/**
 * The `stream` and `consumer` commands, for `yargs().command(...)`.
 * Failures throw `CallsignError`s, which the command line prints with their code.
 */
export function streamCommands(io: HostIo): CommandModule<object, Args>[] {
  const stream: CommandModule<object, Args> = {
    command: 'stream <action> [name]',
    describe: 'make, list, describe, view, purge or delete streams, or serve a store',
    builder: (y) =>
      common(y as Argv)
        .positional('action', {
          type: 'string',
          choices: ['create', 'list', 'info', 'view', 'purge', 'delete', 'serve'] as const,
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
      ]);
      const action = String(args.action);
      if (action === 'serve') {
        const { choice } = choiceOf(args);
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
        } else if (action === 'view') {
          await view(args, io, t);
        } else if (action === 'purge') {
          await purge(args, io, t);
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
