import { CallsignError } from '../errors.ts';
import { type Clock, systemClock } from './clock.ts';

/** Options of {@link backoffDelays} and {@link retry}. */
export interface BackoffInit {
  /** The first delay, in ms. Default 100. */
  initialMs?: number;
  /** The largest delay, in ms. Default 8000. */
  maxMs?: number;
  /** Each delay is the previous one times this. Default 2. */
  factor?: number;
  /** Each delay is drawn uniformly from [delay × (1 − jitter), delay]. Default 0.5. */
  jitter?: number;
  /** Where randomness comes from, for tests. Default `Math.random`. */
  random?: () => number;
}

/**
 * An endless sequence of jittered, exponentially growing delays (ms).
 *
 * @example
 * ```ts
 * const delays = backoffDelays({ initialMs: 100, maxMs: 5000 });
 * delays.next().value; // somewhere in 50..100
 * ```
 */
export function* backoffDelays(init: BackoffInit = {}): Generator<number, never> {
  const { initialMs = 100, maxMs = 8000, factor = 2, jitter = 0.5, random = Math.random } = init;
  let base = initialMs;
  for (;;) {
    yield Math.round(base * (1 - jitter * random()));
    base = Math.min(maxMs, base * factor);
  }
}

/**
 * Sleeps `ms` on `clock` (the system clock by default), or rejects with
 * ERR_ABORTED as soon as `signal` aborts.
 */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CallsignError('ERR_ABORTED', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clock.clear(timer);
      reject(new CallsignError('ERR_ABORTED', 'aborted', { cause: signal?.reason }));
    };
    const timer = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options of {@link RetrySchedule}. */
export interface RetryScheduleInit extends BackoffInit {
  /** Where time comes from: the node's clock, so that tests drive it with `manualClock`. */
  clock: Clock;
}

/**
 * The timing of one reconnect loop: each failure schedules the next attempt
 * after a jittered, growing delay ({@link backoffDelays}) on the node's
 * clock; a success starts the delays again from the first. One attempt is
 * pending at a time: scheduling again replaces it. Every reconnect loop of
 * the runtime (the link to the directory above, a LAN directory's watch for
 * a preferred one) uses it; an actor passes a callback that posts a message
 * to itself, so that the attempt runs in the actor's own turn. A scheduled
 * attempt does not keep the process alive.
 *
 * @example
 * ```ts
 * const retries = new RetrySchedule({ clock: node.clock, initialMs: 100, maxMs: 1000 });
 * retries.failed(() => node.send(new Retry(), self.address, self.address));
 * ```
 */
export class RetrySchedule {
  readonly #init: RetryScheduleInit;
  #delays: Generator<number, never>;
  #pending: unknown;
  #stopped = false;

  constructor(init: RetryScheduleInit) {
    this.#init = init;
    this.#delays = backoffDelays(init);
  }

  /** An attempt failed: `attempt` runs after the next delay, which is returned (ms). */
  failed(attempt: () => void): number {
    const ms = this.#delays.next().value;
    this.after(ms, attempt);
    return ms;
  }

  /** `attempt` runs after `ms`, whatever the backoff (a quick retry after a loss). */
  after(ms: number, attempt: () => void): void {
    this.cancel();
    if (this.#stopped) return;
    this.#pending = background(
      this.#init.clock.after(ms, () => {
        this.#pending = undefined;
        if (!this.#stopped) attempt();
      }),
    );
  }

  /** An attempt succeeded: the next failure waits the first delay again. */
  succeeded(): void {
    this.#delays = backoffDelays(this.#init);
  }

  /** True while an attempt is scheduled. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /** Cancels the scheduled attempt, if any. */
  cancel(): void {
    if (this.#pending !== undefined) this.#init.clock.clear(this.#pending);
    this.#pending = undefined;
  }

  /** Cancels and schedules nothing more. Safe to call twice. */
  stop(): void {
    this.cancel();
    this.#stopped = true;
  }
}

/** Options of {@link retry}. */
export interface RetryInit extends BackoffInit {
  /** Stops retrying: the pending wait rejects with ERR_ABORTED. */
  signal?: AbortSignal;
  /** Where the waits are timed. Default: the system clock. */
  clock?: Clock;
  /** Give up after this many attempts. Default: never. */
  attempts?: number;
  /** Told of each failure before the wait that follows it. */
  onFailure?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `attempt` until it succeeds, waiting a jittered, growing delay after
 * each failure; the repeating-task helper that reconnects use. Rejects with
 * ERR_ABORTED when `signal` aborts, or with the last error after `attempts`.
 */
export async function retry<T>(
  attempt: (n: number) => Promise<T>,
  init: RetryInit = {},
): Promise<T> {
  const delays = backoffDelays(init);
  for (let n = 1; ; n++) {
    init.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (err) {
      if (init.attempts !== undefined && n >= init.attempts) throw err;
      if (init.signal?.aborted) throw new CallsignError('ERR_ABORTED', 'aborted', { cause: err });
      const delay = delays.next().value;
      init.onFailure?.(err, n, delay);
      await sleep(delay, init.signal, init.clock);
    }
  }
}

/**
 * A timer handle that does not keep the process alive (a Node timer is
 * unref'd; a manual clock's handle is left as it is): a reconnect loop waits
 * in the background.
 */
export function background<H>(handle: H): H {
  (handle as { unref?: () => unknown } | undefined)?.unref?.();
  return handle;
}
