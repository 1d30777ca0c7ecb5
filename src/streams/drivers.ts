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
import type { StreamStore, StreamStoreInit } from './store.ts';

/** The drivers this build has. `nats` (JetStream) is to come. */
export const STREAM_DRIVERS = ['lmdb', 'memory'] as const;
/** The name of a stream store driver. */
export type StreamDriver = (typeof STREAM_DRIVERS)[number];

/** Options of {@link openStreamStore}. */
export interface OpenStreamStoreInit extends StreamStoreInit {
  /** Default `lmdb`. */
  readonly driver?: string;
  /** The driver's options: `path` for lmdb (default {@link defaultStreamPath}). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * Where the lmdb driver keeps streams when no path is given: `streams/` in
 * the callsign home when there is one (`CALLSIGN_HOME`), else in the user's
 * `~/.local/share/callsign/streams`.
 */
export function defaultStreamPath(env: NodeJS.ProcessEnv = process.env): string {
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
  const driver = init.driver ?? 'lmdb';
  const options = { ...(init.options ?? {}) };
  const known: Record<StreamDriver, string[]> = { lmdb: ['path'], memory: [] };
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
  const path = options.path === undefined ? defaultStreamPath() : String(options.path);
  return new LogStore(lmdbBackend({ path }), init);
}
