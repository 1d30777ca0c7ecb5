/**
 * Time as the runtime sees it. Timers and select timeouts go through a
 * {@link Clock} so tests can drive time by hand with {@link manualClock}.
 */
export interface Clock {
  /** Milliseconds since an arbitrary epoch. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a handle for {@link Clock.clear}. */
  after(ms: number, fn: () => void): unknown;
  /** Cancels a pending {@link Clock.after}. */
  clear(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and Node timers. Timers are not
 * unref'd: an actor waiting on one keeps its process alive, as `setTimeout` does.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    return setTimeout(fn, Math.max(0, ms));
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** A clock that only moves when told to, for tests. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void;
  /** How many timers are pending. */
  readonly pending: number;
}

/**
 * A {@link ManualClock} starting at 0.
 *
 * @example
 * ```ts
 * const clock = manualClock();
 * const node = new Node({ clock });
 * clock.advance(1000); // fires every timer due within the next second
 * ```
 */
export function manualClock(): ManualClock {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  return {
    now: () => now,
    after(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), seq: id, fn });
      return id;
    },
    clear(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: { id: number; at: number; seq: number; fn: () => void } | undefined;
        for (const [id, t] of timers) {
          if (
            t.at <= until &&
            (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))
          ) {
            next = { id, ...t };
          }
        }
        if (!next) break;
        timers.delete(next.id);
        now = next.at;
        next.fn();
      }
      now = until;
    },
    get pending() {
      return timers.size;
    },
  };
}
