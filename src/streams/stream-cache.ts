/**
 * The streams a log store keeps in memory: loaded from the backend on first
 * use, the least recently used dropped again when there are many (a store
 * may hold a million streams), never one that is busy.
 *
 * @module
 */
import { CallsignError, isCallsignError, toError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import { StreamState } from './stream-state.ts';

/** Streams kept in memory while not busy; more are loaded again from the backend when used. */
export const CACHED_STREAMS = 4096;

/** A backend failure as a coded error (a corrupt file keeps its code). */
export function storageError(err: unknown, what: string): CallsignError {
  if (isCallsignError(err)) return err;
  return new CallsignError('ERR_STORAGE_FAILED', `cannot read ${what}: ${toError(err).message}`, {
    cause: err,
  });
}

/** The streams of one store in memory. */
export class StreamCache {
  readonly #backend: LogBackend;
  readonly #now: () => number;
  /** True for a stream that must stay (changed in the batch being written). */
  readonly #pinned: (s: StreamState) => boolean;
  readonly #streams = new Map<string, StreamState>();
  #uses = 0;

  constructor(backend: LogBackend, now: () => number, pinned: (s: StreamState) => boolean) {
    this.#backend = backend;
    this.#now = now;
    this.#pinned = pinned;
  }

  /** The stream in memory, loading it if need be; undefined when there is none. */
  load(name: string): StreamState | undefined {
    const cached = this.#streams.get(name);
    if (cached) {
      cached.used = ++this.#uses;
      return cached;
    }
    let s: StreamState | undefined;
    try {
      s = StreamState.load(this.#backend, name, this.#now());
    } catch (err) {
      throw storageError(err, `stream ${name}`);
    }
    if (s) this.add(s);
    return s;
  }

  /** The stream, or `ERR_UNKNOWN_STREAM`. */
  require(name: string): StreamState {
    const s = typeof name === 'string' ? this.load(name) : undefined;
    if (!s) throw new CallsignError('ERR_UNKNOWN_STREAM', `no stream ${JSON.stringify(name)} here`);
    return s;
  }

  /** Keeps `s` (just made or loaded). */
  add(s: StreamState): void {
    s.used = ++this.#uses;
    this.#streams.set(s.name, s);
    if (this.#streams.size > CACHED_STREAMS) this.#evict(s);
  }

  /** True while `s` is the stream of its name here. */
  has(s: StreamState): boolean {
    return this.#streams.get(s.name) === s;
  }

  get(name: string): StreamState | undefined {
    return this.#streams.get(name);
  }

  delete(name: string): void {
    this.#streams.delete(name);
  }

  /** Forgets everything (memory may be ahead of the backend after a failed write). */
  clear(): void {
    this.#streams.clear();
  }

  names(): string[] {
    return [...this.#streams.keys()];
  }

  /** Drops the least recently used streams that are not busy, down to 3/4 of the cache. */
  #evict(keep: StreamState): void {
    const idle = [...this.#streams.values()]
      .filter((s) => s !== keep && !s.busy && !this.#pinned(s))
      .sort((a, b) => a.used - b.used);
    const excess = this.#streams.size - Math.floor((CACHED_STREAMS * 3) / 4);
    for (const s of idle.slice(0, excess)) this.#streams.delete(s.name);
  }
}
