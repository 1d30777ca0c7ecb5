/**
 * The `nats` driver's connection to JetStream: connecting, the JetStream
 * clients, the errors of the servers turned into callsign codes, and what
 * the driver knows of each stream (its configuration, read once).
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import {
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import {
  AuthorizationError,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { compileSubjectPattern } from '../../directory/subject-pattern.ts';
import { CallsignError } from '../../errors.ts';
import type { StreamConfig } from '../config.ts';
import { AckedPublisher } from './acked-publish.ts';
import {
  codeOfJetStreamError,
  isKeyed,
  type NatsLayout,
  parseStreamDescription,
  partitionRoot,
  partitionStreamName,
} from './mapping.ts';
import type { NatsSettings } from './settings.ts';

/** How long one JetStream request may take (a cluster electing a leader takes seconds). */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The nats.js connection options of `settings`: servers, login and TLS
 * (for other parts of callsign that reach the same servers).
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS` when the creds file cannot be read
 */
export function natsConnectOptions(settings: NatsSettings, name: string): ConnectionOptions {
  const auth = settings.auth;
  const login: ConnectionOptions = {};
  if (auth && 'user' in auth) Object.assign(login, { user: auth.user, pass: auth.password });
  else if (auth && 'token' in auth) login.token = auth.token;
  else if (auth && 'creds' in auth) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(auth.creds);
    } catch (error) {
      throw new CallsignError(
        'ERR_INVALID_SETTINGS',
        `nats driver: cannot read the creds file ${auth.creds}: ${(error as Error).message}`,
      );
    }
    login.authenticator = credsAuthenticator(creds);
  }
  return {
    servers: [...settings.servers],
    name,
    ...login,
    ...(settings.tls ? { tls: { ...settings.tls } } : {}),
  };
}

/** A callsign stream as the driver knows it. */
export interface KnownStream {
  readonly config: StreamConfig;
  readonly created: number;
  readonly keyed: boolean;
  readonly roots: readonly string[];
  readonly names: readonly string[];
  readonly bindings: readonly ((subject: string) => boolean)[];
  /** The next partition in turn for appends without key or partition. */
  turn: number;
}

/** The callsign error of anything a JetStream call threw. */
export function natsFailure(error: unknown, what: string): CallsignError {
  if (error instanceof CallsignError) return error;
  if (error instanceof JetStreamApiError) {
    const api = error.apiError();
    return new CallsignError(
      codeOfJetStreamError(api.err_code, api.description ?? ''),
      `${what}: JetStream says ${api.description}`,
      { cause: error },
    );
  }
  const text = String((error as Error)?.message ?? error);
  if (/no responders/i.test(text)) {
    return new CallsignError('ERR_UNKNOWN_STREAM', `${what}: no JetStream stream answered`, {
      cause: error,
    });
  }
  return new CallsignError(codeOfJetStreamError(undefined, text), `${what}: ${text}`, {
    cause: error,
  });
}

/** What the parts of the driver share: the connection, its clients, the streams known. */
export class NatsContext {
  readonly #known = new Map<string, KnownStream>();
  readonly #loading = new Map<string, Promise<KnownStream | undefined>>();

  /** Acknowledged appends, failing at once while disconnected. */
  readonly publisher: AckedPublisher;
  /** Set while the client knows it has no server: what calls fail with then. */
  #down: CallsignError | undefined;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly layout: NatsLayout,
  ) {
    this.publisher = new AckedPublisher(nc, REQUEST_TIMEOUT_MS);
    this.#follow().catch(() => {});
  }

  /** Follows the client's status: disconnected, reconnected. */
  async #follow(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.#down = new CallsignError(
          'ERR_STREAM_UNAVAILABLE',
          `the connection to NATS (${status.server}) is lost: replicated streams are unavailable until a server answers again; an append not acknowledged may or may not be stored`,
        );
        this.publisher.disconnected(this.#down);
      } else if (status.type === 'reconnect') {
        this.#down = undefined;
        this.publisher.reconnected();
      }
    }
  }

  /**
   * Fails at once while the client knows it has no server, rather than
   * waiting for the request timeout.
   *
   * @throws CallsignError `ERR_STREAM_UNAVAILABLE`
   */
  reachable(): void {
    if (this.#down) throw this.#down;
  }

  /** The failure while disconnected, else undefined. */
  get down(): CallsignError | undefined {
    return this.#down;
  }

  /**
   * Connects to the servers of `settings`.
   *
   * @throws CallsignError `ERR_STORAGE_FAILED` when no server answers or JetStream is off
   */
  static async open(settings: NatsSettings): Promise<NatsContext> {
    const options = natsConnectOptions(settings, 'callsign streams');
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...options,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // Each request would otherwise capture a stack for its errors: most of
        // the client's cost per append. The driver names its failures itself.
        noAsyncTraces: true,
        timeout: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      const where = `${settings.from} (${settings.servers.join(', ')})`;
      // The server's words only ("Authorization Violation"): never the password, token or creds.
      const text = (error as Error).message;
      throw new CallsignError(
        'ERR_STORAGE_FAILED',
        error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError
          ? `the nats servers of ${where} refused the login${settings.auth ? ` (${Object.keys(settings.auth)[0]})` : ' (none was given)'}: ${text}`
          : `no nats server of ${where} answered: ${text}`,
        { cause: error },
      );
    }
    try {
      // Not checked now: a cluster that is starting answers once it has elected its leader.
      const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS, checkAPI: false });
      const js = jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
      return new NatsContext(nc, js, jsm, settings);
    } catch (error) {
      await nc.close().catch(() => {});
      throw new CallsignError(
        'ERR_STORAGE_FAILED',
        `the nats servers of ${settings.from} do not run JetStream: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Files what the driver knows of a stream. */
  remember(config: StreamConfig, created: number): KnownStream {
    const parts = Array.from({ length: config.partitions }, (_, p) => p);
    const known: KnownStream = {
      config,
      created,
      keyed: isKeyed(config),
      roots: parts.map((p) => partitionRoot(this.layout, config.name, p)),
      names: parts.map((p) => partitionStreamName(this.layout, config.name, p)),
      bindings: config.subjects.map((s) => compileSubjectPattern(s)),
      turn: this.#known.get(config.name)?.turn ?? 0,
    };
    this.#known.set(config.name, known);
    return known;
  }

  /** Forgets a stream (deleted, or changed). */
  forget(name: string): void {
    this.#known.delete(name);
  }

  /** The stream, from what is known or from its first partition's description; undefined when there is none. */
  find(name: string): KnownStream | undefined | Promise<KnownStream | undefined> {
    const known = this.#known.get(name);
    if (known) return known;
    let loading = this.#loading.get(name);
    if (!loading) {
      loading = this.#load(name).finally(() => this.#loading.delete(name));
      this.#loading.set(name, loading);
    }
    return loading;
  }

  async #load(name: string): Promise<KnownStream | undefined> {
    try {
      const info = await this.jsm.streams.info(partitionStreamName(this.layout, name, 0));
      const d = parseStreamDescription(info.config.description);
      return d && d.config.name === name ? this.remember(d.config, d.created) : undefined;
    } catch (error) {
      const failure = natsFailure(error, `stream ${name}`);
      if (failure.code === 'ERR_UNKNOWN_STREAM') return undefined;
      throw failure;
    }
  }

  /** @throws CallsignError `ERR_UNKNOWN_STREAM` */
  async require(name: string): Promise<KnownStream> {
    const known = await this.find(name);
    if (!known) throw new CallsignError('ERR_UNKNOWN_STREAM', `no stream ${name}`);
    return known;
  }

  /** @throws CallsignError `ERR_INVALID_PARTITION` */
  partition(s: KnownStream, partition: number): number {
    if (!Number.isInteger(partition) || partition < 0 || partition >= s.config.partitions) {
      throw new CallsignError(
        'ERR_INVALID_PARTITION',
        `partition ${partition} is not one of 0 to ${s.config.partitions - 1}`,
      );
    }
    return partition;
  }
}
