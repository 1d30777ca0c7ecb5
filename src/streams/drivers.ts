/**
 * The stream store drivers by name, and how their options are given: each
 * driver takes an object of options (`--driver.path ./data` on the command
 * line is `{ path: './data' }`), merged over a JSON configuration file.
 *
 * @module
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CallsignError } from '../errors.ts';
import { lmdbBackend } from './lmdb-backend.ts';
import { LogStore } from './log-store.ts';
import { memoryBackend } from './memory-backend.ts';
import { openNatsStore } from './nats/nats-store.ts';
import { NATS_OPTIONS, natsSettings } from './nats/settings.ts';
import { placedStore } from './placed-store.ts';
import type { StreamStore, StreamStoreInit } from './store.ts';

/** The drivers this build has: `nats` keeps streams on NATS JetStream servers. */
export const STREAM_DRIVERS = ['lmdb', 'memory', 'nats'] as const;
/** The name of a stream store driver. */
export type StreamDriver = (typeof STREAM_DRIVERS)[number];

/** Options of {@link openStreamStore}. */
export interface OpenStreamStoreInit extends StreamStoreInit {
  /** Default `lmdb`. */
  readonly driver?: string;
  /**
   * The driver's options: for lmdb `path` (default {@link defaultStreamPath}) and
   * `checkpointMs` (how often LMDB commits what the journal holds, default 100);
   * `servers`, `replicas`, `storage`, `prefix` for nats (default from
   * `CALLSIGN_NATS_SERVERS` or the home's `nats.json`: see `natsSettings`).
   */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * The `nats` options of the streams declared `replicated` in an lmdb or
   * memory store (connected when first needed; servers from the home as for
   * the nats driver). Without it such streams are refused with `ERR_STREAM_UNSUPPORTED`.
   */
  readonly replicated?: Readonly<Record<string, unknown>>;
  /**
   * The environment `CALLSIGN_HOME` (lmdb's default path, the home's
   * `nats.json`) and `CALLSIGN_NATS_SERVERS` are read from. Default: none,
   * so lmdb's path is the user's `~/.local/share/callsign/streams` and the
   * NATS servers must be given in the options.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Told when the NATS servers of the `replicated` streams stop answering
   * (local streams are still served) and when they answer again. Default:
   * `process.emitWarning`.
   */
  readonly warn?: (message: string) => void;
}

/**
 * Where the lmdb driver keeps streams when no path is given: `streams/` in
 * the callsign home when `env` names one (`CALLSIGN_HOME`), else under
 * `XDG_DATA_HOME` or the user's `~/.local/share`, in `callsign/streams`.
 * It reads only the `env` it is given (the command line passes its own).
 */
export function defaultStreamPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.CALLSIGN_HOME) return join(resolve(env.CALLSIGN_HOME), 'streams');
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'callsign', 'streams');
}

/**
 * Opens a stream store.
 *
 * @example
 * ```ts
 * await using store = await openStreamStore({ driver: 'lmdb', options: { path: './data' } });
 * await store.createStream({ name: 'orders', partitions: 4, maxAgeMs: '7d' });
 * ```
 * @throws CallsignError `ERR_INVALID_SETTINGS` for an unknown driver or option,
 *   `ERR_STORAGE_CORRUPT`, `ERR_STORAGE_FAILED`
 */
export async function openStreamStore(init: OpenStreamStoreInit = {}): Promise<StreamStore> {
  const replicated = init.driver === 'nats' ? undefined : init.replicated;
  // Checked before the store opens (a refusal leaves nothing open), connected
  // when a replicated stream is first made or found.
  const settings = replicated === undefined ? undefined : natsSettings(replicated, init.env ?? {});
  const own = await openDriver(init);
  if (settings === undefined) return placedStore({ own });
  const warn =
    init.warn ??
    ((message: string) => process.emitWarning(message, { code: 'ERR_STREAM_UNAVAILABLE' }));
  return placedStore({ own, other: () => openNatsStore(settings), warn });
}

async function openDriver(init: OpenStreamStoreInit): Promise<StreamStore> {
  const driver = init.driver ?? 'lmdb';
  const options = { ...(init.options ?? {}) };
  const known: Record<StreamDriver, readonly string[]> = {
    lmdb: ['path', 'checkpointMs'],
    memory: [],
    nats: NATS_OPTIONS,
  };
  if (!STREAM_DRIVERS.includes(driver as StreamDriver)) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `no stream driver ${JSON.stringify(driver)}: there are ${STREAM_DRIVERS.join(', ')}`,
    );
  }
  const unknown = Object.keys(options).filter((k) => !known[driver as StreamDriver].includes(k));
  if (unknown.length > 0) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `the ${driver} driver has no option ${unknown.join(', ')}`,
    );
  }
  if (driver === 'memory') return new LogStore(memoryBackend(), init);
  if (driver === 'nats') {
    if (init.now) {
      throw new CallsignError(
        'ERR_INVALID_SETTINGS',
        'the nats driver takes time from its servers: it has no clock of its own to give',
      );
    }
    return openNatsStore(natsSettings(options, init.env ?? {}));
  }
  const path =
    options.path === undefined ? defaultStreamPath(init.env ?? {}) : String(options.path);
  const checkpointMs =
    options.checkpointMs === undefined ? undefined : Number(options.checkpointMs);
  if (checkpointMs !== undefined && !(Number.isFinite(checkpointMs) && checkpointMs >= 1)) {
    throw new CallsignError('ERR_INVALID_SETTINGS', 'checkpointMs is a number of ms, at least 1');
  }
  return new LogStore(
    lmdbBackend({ path, ...(checkpointMs === undefined ? {} : { checkpointMs }) }),
    init,
  );
}
