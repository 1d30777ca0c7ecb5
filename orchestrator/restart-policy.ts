import { type BackoffInit, backoffDelays } from '../src/index.ts';

/** Options of {@link RestartPolicy}; the defaults are {@link DEFAULT_RESTART_POLICY}. */
export interface RestartPolicyInit extends BackoffInit {
  /** A process that fails this many times within {@link windowMs} is given up on. */
  maxFailures?: number;
  /** The window in which failures are counted, in ms. */
  windowMs?: number;
}

/**
 * How a background group treats a process that ends: exit code 0 is
 * `completed` (not restarted); a non-zero code or a signal is a failure,
 * restarted after a jittered exponential backoff from 0.5 s up to 30 s; the
 * 5th failure within 60 s is `failed` (not restarted). When a process has not
 * failed for 60 s, its backoff starts again from 0.5 s.
 */
export const DEFAULT_RESTART_POLICY = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
  maxFailures: 5,
  windowMs: 60_000,
} as const satisfies RestartPolicyInit;

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to do about a process that ended. */
export type RestartDecision =
  | { kind: 'completed' }
  | { kind: 'restart'; delayMs: number; failures: number }
  | { kind: 'failed'; failures: number };

/**
 * The restart policy of one process: told of each exit, it decides whether
 * the process has completed, is restarted after a delay, or has failed.
 *
 * @example
 * ```ts
 * const policy = new RestartPolicy();
 * policy.onExit({ code: 1, signal: null }); // { kind: 'restart', delayMs: 250..500, failures: 1 }
 * ```
 */
export class RestartPolicy {
  readonly #init: Required<Omit<RestartPolicyInit, 'random'>> & Pick<RestartPolicyInit, 'random'>;
  #failures: number[] = [];
  #delays: Generator<number, never>;

  constructor(init: RestartPolicyInit = {}) {
    this.#init = { ...DEFAULT_RESTART_POLICY, ...init };
    this.#delays = backoffDelays(this.#init);
  }

  /** Failures counted in the current window. */
  get failures(): number {
    return this.#failures.length;
  }

  /** Forgets the failures: the process starts afresh (`callsign restart`). */
  reset(): void {
    this.#failures = [];
    this.#delays = backoffDelays(this.#init);
  }

  /** Decides what follows the exit of the process at time `now` (ms). */
  onExit(exit: ProcessExit, now: number = Date.now()): RestartDecision {
    if (exit.code === 0 && exit.signal === null) return { kind: 'completed' };
    const { windowMs, maxFailures } = this.#init;
    this.#failures = this.#failures.filter((t) => now - t < windowMs);
    // A process that has run without failing for a whole window starts its backoff afresh.
    if (this.#failures.length === 0) this.#delays = backoffDelays(this.#init);
    this.#failures.push(now);
    const failures = this.#failures.length;
    if (failures >= maxFailures) return { kind: 'failed', failures };
    return { kind: 'restart', delayMs: this.#delays.next().value, failures };
  }
}
