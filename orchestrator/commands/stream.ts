/**
 * `callsign stream ...` and `callsign consumer ...`: make, see, read, purge
 * and delete streams and their consumers, and serve a store. Every command
 * takes `--driver` and `--driver.<option>` (merged over `--stream-config
 * file.json`, flags win) and `--json`. Documented in docs/streams.md.
 *
 * @module
 */
import type { Argv, CommandModule } from 'yargs';
import { SCOPES } from '../../src/directory/scope.ts';
import type { HostIo } from '../host.ts';
import type { Args } from '../stream/options.ts';

/** The options every stream and consumer command takes. */
const common = (y: Argv) =>
  y
    .parserConfiguration({ 'dot-notation': false })
    .strict(false)
    .option('driver', {
      type: 'string',
      requiresArg: true,
      describe: 'the store driver: lmdb (default), memory or nats',
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
    handler: async (args) => (await import('../stream/actions.ts')).runStreamCommand(args, io),
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
    handler: async (args) => (await import('../stream/actions.ts')).runConsumerCommand(args, io),
  };
  return [stream, consumer];
}
