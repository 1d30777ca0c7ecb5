/**
 * Where the `nats` driver finds its servers: given once per host or home,
 * not per program. In order: the driver's options (`--driver.servers`), the
 * `CALLSIGN_NATS_SERVERS` environment variable, `nats.json` in the callsign
 * home (`CALLSIGN_HOME`), else `~/.config/callsign/nats.json`. The same
 * places give how to log in (`user` and `password`, `token`, or a `creds`
 * file) and TLS (`tlsCa`, and `tlsCert` with `tlsKey` for a client
 * certificate); a `nats.json` holding a password or token must be readable
 * by its owner only.
 *
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CallsignError } from '../../errors.ts';
import type { NatsLayout } from './mapping.ts';

/** What the `nats` driver connects to and how it lays out its streams. */
export interface NatsSettings extends NatsLayout {
  /** `nats://host:port` URLs of one cluster. */
  readonly servers: readonly string[];
  /** Where the settings came from, for messages. */
  readonly from: string;
  /** How to log in, when the servers ask for it. */
  readonly auth?: NatsAuth;
  /** TLS files (PEM): the CA that signed the servers' certificates, a client certificate and key. */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
  };
}

/** One way to log in to NATS servers. */
export type NatsAuth =
  | { readonly user: string; readonly password: string }
  | { readonly token: string }
  | { readonly creds: string };

/** The options the `nats` driver takes (also the fields of `nats.json`). */
export const NATS_OPTIONS = [
  'servers',
  'replicas',
  'storage',
  'prefix',
  'user',
  'password',
  'token',
  'creds',
  'tlsCa',
  'tlsCert',
  'tlsKey',
] as const;

/** The settings file of a home (or of the user, without one). */
export function natsSettingsPath(env: NodeJS.ProcessEnv): string {
  if (env.CALLSIGN_HOME) return join(resolve(env.CALLSIGN_HOME), 'nats.json');
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'callsign', 'nats.json');
}

function invalid(reason: string): never {
  throw new CallsignError('ERR_INVALID_SETTINGS', `nats driver: ${reason}`);
}

function serverList(value: unknown, from: string): string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.length === 0) invalid(`no servers in ${from}`);
  return list.map((s) => {
    const url = String(s).trim();
    if (!/^(nats|tls):\/\/[^\s/]+$/.test(url) && !/^[^\s/:]+:\d+$/.test(url)) {
      invalid(`${JSON.stringify(url)} in ${from} is not a server (nats://host:port)`);
    }
    return url;
  });
}

function readFile(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {}
  return invalid(`${path} is not a JSON object`);
}

/**
 * The settings of the `nats` driver from its options, the environment and
 * the settings file, checked.
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS`
 */
export function natsSettings(
  options: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): NatsSettings {
  const path = natsSettingsPath(env);
  const file = readFile(path) ?? {};
  const unknown = Object.keys(file).filter((k) => !(NATS_OPTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) invalid(`${path} has no setting ${unknown.join(', ')}`);
  const merged = { ...file, ...options };
  let servers: string[];
  let from: string;
  if (options.servers !== undefined) {
    servers = serverList(options.servers, 'the driver options');
    from = 'the driver options';
  } else if (env.CALLSIGN_NATS_SERVERS) {
    servers = serverList(env.CALLSIGN_NATS_SERVERS, 'CALLSIGN_NATS_SERVERS');
    from = 'CALLSIGN_NATS_SERVERS';
  } else if (file.servers !== undefined) {
    servers = serverList(file.servers, path);
    from = path;
  } else {
    return invalid(
      `no servers: set CALLSIGN_NATS_SERVERS, or "servers" in ${path}, or --driver.servers`,
    );
  }
  const replicas = merged.replicas === undefined ? 1 : Number(merged.replicas);
  if (![1, 3, 5].includes(replicas)) invalid(`replicas must be 1, 3 or 5, not ${merged.replicas}`);
  const storage = merged.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory')
    invalid(`storage must be file or memory, not ${JSON.stringify(storage)}`);
  const prefix = merged.prefix ?? 'callsign';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(prefix))
    invalid(`prefix must be 1-32 of A-Z a-z 0-9 -, not ${JSON.stringify(prefix)}`);
  const auth = authOf(merged);
  if (auth && ('password' in auth || 'token' in auth)) privateFile(path, file);
  const tls = tlsOf(merged);
  return {
    servers,
    replicas,
    storage,
    prefix,
    from,
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
  };
}

function text(merged: Record<string, unknown>, field: string): string | undefined {
  const value = merged[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096)
    invalid(`${field} must be a text of 1 to 4096 characters`);
  return value;
}

function authOf(merged: Record<string, unknown>): NatsAuth | undefined {
  const user = text(merged, 'user');
  const password = text(merged, 'password');
  const token = text(merged, 'token');
  const creds = text(merged, 'creds');
  const ways = [
    user !== undefined || password !== undefined,
    token !== undefined,
    creds !== undefined,
  ];
  if (ways.filter(Boolean).length > 1)
    invalid('give one way to log in: user and password, token, or creds');
  if ((user === undefined) !== (password === undefined)) invalid('user and password go together');
  if (user !== undefined && password !== undefined) return { user, password };
  if (token !== undefined) return { token };
  if (creds !== undefined) return { creds: resolve(creds) };
  return undefined;
}

function tlsOf(merged: Record<string, unknown>): NatsSettings['tls'] {
  const caFile = text(merged, 'tlsCa');
  const certFile = text(merged, 'tlsCert');
  const keyFile = text(merged, 'tlsKey');
  if ((certFile === undefined) !== (keyFile === undefined))
    invalid('tlsCert and tlsKey go together');
  if (caFile === undefined && certFile === undefined) return undefined;
  return {
    ...(caFile ? { caFile: resolve(caFile) } : {}),
    ...(certFile ? { certFile: resolve(certFile) } : {}),
    ...(keyFile ? { keyFile: resolve(keyFile) } : {}),
  };
}

/** A settings file with a secret in it must be its owner's alone (as ssh asks of its keys). */
function privateFile(path: string, file: Record<string, unknown>): void {
  if (file.password === undefined && file.token === undefined) return;
  if (process.platform === 'win32') return;
  if ((statSync(path).mode & 0o077) !== 0)
    invalid(`${path} holds a password or token and others may read it: chmod 600 ${path}`);
}
