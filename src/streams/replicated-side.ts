/**
 * The replicated side of a placed store (its NATS JetStream store), opened
 * when first needed. While no NATS server answers the side is *down*: the
 * placed store keeps serving its local streams, a warning says so once, and
 * the side is tried again (at most once a second when asked, and every few
 * seconds on its own while someone watches the store) until it answers.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { StreamStore } from './store.ts';

/** Asked again no sooner than this after a failure (a call meanwhile fails at once). */
const RETRY_GAP_MS = 1000;
/** How often a down side is tried on its own while the store is watched. */
const RETRY_EVERY_MS = 2000;

/** What {@link ReplicatedSide} tells its placed store. */
export interface ReplicatedSideHooks {
  /** A warning for people: the servers stopped answering, or answer again. */
  warn(message: string): void;
  /** The side is open; `again` when it had been down. */
  opened(store: StreamStore, again: boolean): void;
  /** Whether to keep trying on its own while down (someone watches the store). */
  wanted(): boolean;
}

/**
 * Whether `error` says the store's servers did not answer (rather than what
 * was asked being wrong): `ERR_STORAGE_FAILED`, or `ERR_STREAM_UNAVAILABLE`
 * from a `nats` store whose connection is lost.
 */
export function isUnreachable(error: unknown): boolean {
  return (
    error instanceof CallsignError &&
    (error.code === 'ERR_STORAGE_FAILED' || error.code === 'ERR_STREAM_UNAVAILABLE')
  );
}

/**
 * A stream that cannot be reached now because its NATS servers do not
 * answer: `known` when it is known to be replicated.
 */
export function unavailable(name: string, cause: unknown, known: boolean): CallsignError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new CallsignError(
    'ERR_STREAM_UNAVAILABLE',
    known
      ? `stream ${name} is replicated, and no NATS server answers: it is unavailable until one does (${why})`
      : `stream ${name} is not kept here, and no NATS server answers: if it is replicated, it is unavailable until one does (${why})`,
    { cause },
  );
}

/** See the module's comment. */
export class ReplicatedSide {
  readonly #open: () => Promise<StreamStore>;
  readonly #hooks: ReplicatedSideHooks;
  #store: Promise<StreamStore> | undefined;
  /** The last failure while down, and when it came. */
  #down: { error: unknown; at: number } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(open: () => Promise<StreamStore>, hooks: ReplicatedSideHooks) {
    this.#open = open;
    this.#hooks = hooks;
  }

  /** Whether the side is down now. */
  get down(): boolean {
    return this.#down !== undefined;
  }

  /** The store once open, if it is. */
  get current(): Promise<StreamStore> | undefined {
    return this.#store;
  }

  /**
   * The store, opened if needed.
   *
   * @throws the failure of opening it (`ERR_STORAGE_FAILED` when no server answers)
   */
  get(): Promise<StreamStore> {
    if (this.#store) return this.#store;
    const down = this.#down;
    if (down && Date.now() - down.at < RETRY_GAP_MS) return Promise.reject(down.error);
    const opening = this.#open();
    this.#store = opening;
    opening.then(
      (store) => this.#up(store, opening),
      (error) => this.#fail(error, opening),
    );
    return opening;
  }

  #up(store: StreamStore, opening: Promise<StreamStore>): void {
    if (this.#store !== opening) return;
    if (this.#closed) {
      store.close().catch(() => {});
      return;
    }
    const again = this.#down !== undefined;
    this.#down = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (again) this.#hooks.warn('the NATS servers answer again: replicated streams are available');
    this.#hooks.opened(store, again);
  }

  #fail(error: unknown, opening: Promise<StreamStore>): void {
    if (this.#store !== opening) return;
    this.#store = undefined;
    if (!this.#down) {
      this.#hooks.warn(
        `NATS is unreachable: replicated streams are unavailable until a server answers; local streams are served (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    this.#down = { error, at: Date.now() };
    if (!this.#timer && !this.#closed) {
      this.#timer = setInterval(() => {
        if (this.#hooks.wanted() && !this.#store) this.get().catch(() => {});
      }, RETRY_EVERY_MS);
      this.#timer.unref?.();
    }
  }

  /** Stops trying, and closes the store if it is open. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    const store = this.#store;
    this.#store = undefined;
    await store?.then((s) => s.close()).catch(() => {});
  }
}
