import type { ErrorCode } from '../errors.ts';

/**
 * What happens to a message that a sender posts while the receiver's window
 * is closed (see flow.ts): the sender's policy for that receiver decides.
 *
 * | policy        | the message waits...                           | past `limit` waiting                               |
 * | ------------- | ---------------------------------------------- | -------------------------------------------------- |
 * | `block`       | in order, for as long as it takes (default)    | still waits; the sender should `await drain()`     |
 * | `drop-oldest` | in order                                       | the oldest waiting one is dropped: `Undelivered`   |
 * | `refuse`      | in order                                       | the new one is refused: `Undelivered`              |
 *
 * Nothing is lost silently: every message dropped or refused gives its
 * sender `Undelivered { reason: 'overflow', code }`.
 *
 * @module
 */

/** The overflow policies, in their wire order. */
export const OVERFLOW_POLICIES = ['block', 'drop-oldest', 'refuse'] as const;

/** How a sender wants overflow handled; see the module comment. */
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

/** A policy and how many messages may wait under it. */
export interface Overflow {
  readonly policy: OverflowPolicy;
  /** Messages that may wait per sender and receiver. Default 1024. */
  readonly limit: number;
}

/** The policy a sender gets when it has not chosen one: wait, lose nothing. */
export const DEFAULT_OVERFLOW: Overflow = { policy: 'block', limit: 1024 };

/** One message waiting for the window to open. */
export interface Waiting {
  readonly from: number;
  readonly to: number;
  readonly typeName: string;
  /** The encoded body (a copy owned by the queue). */
  readonly body: Uint8Array;
}

/** What {@link SendQueues.add} did with a message. */
export type Added =
  | { readonly kind: 'queued' }
  | { readonly kind: 'refused'; readonly code: ErrorCode }
  | { readonly kind: 'dropped'; readonly oldest: Waiting; readonly code: ErrorCode };

/** Messages of one sender for one receiver, oldest first. */
class Queue {
  items: Waiting[] = [];
  head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  shift(): Waiting | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    if (this.head > 256 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  peek(): Waiting | undefined {
    return this.items[this.head];
  }
}

/**
 * The messages waiting on one connection, per receiving actor and within it
 * per sender (served in turn, so one busy sender cannot starve another).
 */
export class SendQueues {
  /** By receiver, then by sender, in the order the senders started waiting. */
  readonly #byReceiver = new Map<number, Map<number, Queue>>();
  #count = 0;

  /** How many messages wait in all. */
  get size(): number {
    return this.#count;
  }

  /** How many messages of `from` wait for `to`. */
  waiting(from: number, to: number): number {
    return this.#byReceiver.get(to)?.get(from)?.length ?? 0;
  }

  /** The receivers that have messages waiting. */
  receivers(): IterableIterator<number> {
    return this.#byReceiver.keys();
  }

  /** Puts a message behind the others of its sender, as `overflow` says. */
  add(item: Waiting, overflow: Overflow): Added {
    let senders = this.#byReceiver.get(item.to);
    let queue = senders?.get(item.from);
    const length = queue?.length ?? 0;
    if (overflow.policy === 'refuse' && length >= overflow.limit) {
      return { kind: 'refused', code: 'ERR_OVERFLOW_REFUSED' };
    }
    if (!senders) {
      senders = new Map();
      this.#byReceiver.set(item.to, senders);
    }
    if (!queue) {
      queue = new Queue();
      senders.set(item.from, queue);
    }
    queue.items.push(item);
    this.#count++;
    if (overflow.policy === 'drop-oldest' && queue.length > overflow.limit) {
      const oldest = queue.shift()!;
      this.#count--;
      return { kind: 'dropped', oldest, code: 'ERR_OVERFLOW_DROPPED' };
    }
    return { kind: 'queued' };
  }

  /**
   * Takes, in turn across senders, the messages for `to` that `fits` lets
   * go, oldest first per sender; stops at the first that does not fit.
   */
  *release(to: number, fits: (item: Waiting) => boolean): Generator<Waiting> {
    const senders = this.#byReceiver.get(to);
    if (!senders) return;
    while (senders.size > 0) {
      let progressed = false;
      for (const [from, queue] of senders) {
        const item = queue.peek();
        if (!item) {
          senders.delete(from);
          continue;
        }
        if (!fits(item)) {
          if (senders.size === 0) this.#byReceiver.delete(to);
          return;
        }
        queue.shift();
        this.#count--;
        if (queue.length === 0) senders.delete(from);
        progressed = true;
        yield item;
      }
      if (!progressed) break;
    }
    if (senders.size === 0) this.#byReceiver.delete(to);
  }

  /** Everything that waits, and forgets it (when the connection ends). */
  takeAll(): Waiting[] {
    const all: Waiting[] = [];
    for (const senders of this.#byReceiver.values()) {
      for (const queue of senders.values()) {
        for (let i = queue.head; i < queue.items.length; i++) all.push(queue.items[i]!);
      }
    }
    this.#byReceiver.clear();
    this.#count = 0;
    return all;
  }
}
