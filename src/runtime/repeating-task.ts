import { CallsignError } from '../errors.ts';

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

/** Sleeps `ms`, or rejects with ERR_ABORTED as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CallsignError('ERR_ABORTED', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CallsignError('ERR_ABORTED', 'aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options of {@link retry}. */
export interface RetryInit extends BackoffInit {
  /** Stops retrying: the pending wait rejects with ERR_ABORTED. */
  signal?: AbortSignal;
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
      await sleep(delay, init.signal);
    }
  }
}
