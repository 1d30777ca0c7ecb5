/**
 * A bounded first-in first-out queue: the mailbox of one actor, and the queue
 * of messages an actor has looked at but not yet selected ("saved").
 *
 * It never grows past its capacity; `push` says whether it took the item, so
 * the caller decides what overflow means (see docs/runtime.md).
 */
export class BoundedQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item`; false (and nothing changes) when the queue is full. */
  push(item: T): boolean {
    if (this.length >= this.capacity) return false;
    this.#items.push(item);
    return true;
  }

  /** The newest item, left in place. */
  last(): T | undefined {
    return this.length > 0 ? this.#items[this.#items.length - 1] : undefined;
  }

  /**
   * Appends `item` into up to `reserve` places beyond the capacity (room kept
   * for notices that must not be lost); false when those are taken too.
   */
  pushReserved(item: T, reserve: number): boolean {
    if (this.length >= this.capacity + reserve) return false;
    this.#items.push(item);
    return true;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns the first item for which `match` is true. */
  take(match: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (match(item)) {
        if (i === this.#head) return this.shift();
        this.#items.splice(i, 1);
        return item;
      }
    }
    return undefined;
  }

  /** Removes everything, returning what was there, oldest first. */
  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return out;
  }
}
