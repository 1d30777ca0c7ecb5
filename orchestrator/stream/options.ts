/**
 * What every `callsign stream` and `callsign consumer` command shares: its
 * options (`--driver`, `--driver.<option>`, `--stream.<option>` merged over
 * `--stream-config file.json`, flags winning), the check of unknown options,
 * and its target (the server that has the store open, else the store).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { CallsignError, toError } from '../../src/errors.ts';
import { resolveHomeDir } from '../home.ts';
import type { HostIo } from '../host.ts';
import type { StoreChoice, StreamTarget } from './target.ts';

// The store (lmdb) and the network are loaded only by the commands that use them.
export const targets = () => import('./target.ts');
export const realms = async (home: string | undefined, io: HostIo) =>
  (await import('../host.ts')).chooseRealm(home, io.env, io.cwd);

export type Args = Record<string, unknown> & { home?: string; json?: boolean };

/** `--prefix.key value` options, as an object (`prefix.` removed). */
export function prefixed(args: Args, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k.startsWith(`${prefix}.`) && k.length > prefix.length + 1)
      out[k.slice(prefix.length + 1)] = v;
  }
  return out;
}

/** The JSON file of `--stream-config`: a stream configuration, or `{ driver, driverOptions, stream }`. */
export function readConfigFile(file: unknown): {
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

export function choiceOf(
  args: Args,
  env?: NodeJS.ProcessEnv,
): { choice: StoreChoice; stream: Record<string, unknown> } {
  const file = readConfigFile(args['stream-config']);
  const flagDriver = typeof args.driver === 'string' ? args.driver : undefined;
  const driver = flagDriver ?? file.driver ?? 'lmdb';
  const stream: Record<string, unknown> = { ...file.stream, ...prefixed(args, 'stream') };
  if (args.replicated === true) stream.storage = 'replicated';
  if (args.local === true) stream.storage = 'local';
  if (args.sealed === true) stream.sealed = true;
  return {
    choice: {
      driver,
      options: { ...file.driverOptions, ...prefixed(args, 'driver') },
      replicated: prefixed(args, 'replicated'),
      ...(env ? { env } : {}),
    },
    stream,
  };
}

/** Refuses options that are neither known nor `--driver.*` / `--stream.*` / `--mirror.*` / `--replicated.*`. */
export function checkOptions(args: Args, known: readonly string[]): void {
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
    if (allowed.has(k) || /^(driver|stream|mirror|replicated)\./.test(k)) continue;
    if (/[A-Z]/.test(k) && allowed.has(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))) continue;
    throw new CallsignError('ERR_USAGE', `unknown option --${k}`);
  }
}

/** The actions a stream server allows only its admins (`ERR_NOT_STREAM_ADMIN`). */
const ADMIN_ACTIONS: ReadonlySet<string> = new Set(['create', 'update', 'purge', 'delete']);

/** The target of a command: the server that has the store open, else the store itself. */
export async function targetOf(args: Args, io: HostIo): Promise<StreamTarget> {
  const seconds = Number(args.seconds ?? 5);
  const { directTarget, readServerRecord, serverTarget, storePath } = await targets();
  const realm = () => realms(args.home, io);
  // Only what changes a stream goes as the home's admin: two processes with
  // one key pair would confuse the server's connections, and reads (list,
  // info, view, mirror) may run side by side.
  const admin = ADMIN_ACTIONS.has(String(args.action));
  if (typeof args.listing === 'string')
    return serverTarget(args.listing, await realm(), io, seconds, admin);
  const { choice } = choiceOf(args, io.env);
  const warn = (message: string) => io.stderr(`callsign: warning: ${message}\n`);
  // A nats store is on its servers: every process reaches it.
  if (choice.driver === 'nats') return directTarget(choice, undefined, warn);
  if (choice.driver !== 'lmdb') {
    throw new CallsignError(
      'ERR_USAGE',
      `a ${choice.driver} store lives in its server: reach it with --listing <name>`,
    );
  }
  const path = storePath(choice, resolveHomeDir(args.home, io.env, io.cwd), io.env);
  const server = readServerRecord(path);
  if (server) return serverTarget(server.listing, await realm(), io, seconds, admin);
  return directTarget(choice, path, warn);
}

export async function withTarget<T>(
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

export function print(io: HostIo, args: Args, value: unknown, text: () => string): void {
  io.stdout(args.json ? `${JSON.stringify(value, null, 2)}\n` : text());
}

export function nameOf(args: Args): string {
  return String(args.name);
}
