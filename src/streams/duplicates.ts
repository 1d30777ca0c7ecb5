/**
 * The duplicate window of one stream: message ids seen lately and where
 * their message went, so that a producer that sends again (after a lost
 * reply, a reconnect) does not store twice. Pure.
 *
 * @module
 */

/** Where the first message with an id went. */
export interface FirstAppend {
  readonly partition: number;
  readonly sequence: number;
  readonly publishTime: number;
}

/** The most ids one stream remembers, whatever its window: the oldest go first. */
export const MAX_DUPLICATE_IDS = 1_000_000;

/** Message ids within a time window, oldest first. */
export class DuplicateWindow {
  readonly #ids = new Map<string, FirstAppend>();
  readonly #capacity: number;
  windowMs: number;

  constructor(windowMs: number, capacity = MAX_DUPLICATE_IDS) {
    this.windowMs = windowMs;
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#ids.size;
  }

  /** The first append with `id` if it is still within the window at `now`. */
  seen(id: string, now: number): FirstAppend | undefined {
    const first = this.#ids.get(id);
    if (first && first.publishTime >= now - this.windowMs) return first;
    return undefined;
  }

  /** Remembers `id`; returns ids pushed out by the capacity. */
  remember(id: string, first: FirstAppend): string[] {
    this.#ids.delete(id);
    this.#ids.set(id, first);
    const evicted: string[] = [];
    while (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.keys().next().value as string;
      this.#ids.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  /** Forgets ids out of the window at `now`; returns them. */
  expire(now: number): string[] {
    const cutoff = now - this.windowMs;
    const gone: string[] = [];
    for (const [id, first] of this.#ids) {
      if (first.publishTime >= cutoff) break;
      this.#ids.delete(id);
      gone.push(id);
    }
    return gone;
  }
}
