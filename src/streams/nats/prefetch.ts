/**
 * What a `nats` consumer pulls ahead of its caller, per partition, and when
 * it does. While a caller pulls steadily (each pull soon after the last),
 * the next batch is asked for as soon as a full one comes back, so that
 * JetStream's answer is on its way while the caller handles the batch it
 * has, as `consume()` of nats.js keeps a pull in flight.
 *
 * JetStream starts a message's ack wait when it sends it, so a message
 * pulled ahead is handed out only within {@link prefetchHoldMs} of its
 * arrival (the caller then has at least half its ack wait left); what waits
 * longer is given back with a nak, which JetStream counts as a delivery.
 * The buffer holds at most {@link PREFETCH_MAX_MESSAGES} messages and
 * {@link PREFETCH_MAX_BYTES} bytes, and what it holds counts against the
 * consumer's max ack pending. Pure: the consumer does the pulls and naks.
 *
 * @module
 */
import { MAX_BATCH_BYTES } from '../log-reads.ts';

/** Messages pulled ahead per partition of a consumer, at most. */
export const PREFETCH_MAX_MESSAGES = 1024;
/** Bytes pulled ahead per partition of a consumer, at most. */
export const PREFETCH_MAX_BYTES = MAX_BATCH_BYTES;
/** How long a message pulled ahead waits for a pull, at most (less for short ack waits). */
export const PREFETCH_HOLD_MS = 1_000;

/** How long a message pulled ahead may wait for a pull: 1 s, or half the ack wait when shorter. */
export const prefetchHoldMs = (ackWaitMs: number): number =>
  Math.max(1, Math.min(PREFETCH_HOLD_MS, Math.floor(ackWaitMs / 2)));

/** One message pulled ahead. */
export interface Ahead<M> {
  readonly msg: M;
  readonly bytes: number;
  /** When it arrived (ms since the epoch): JetStream's ack wait runs from about then. */
  readonly at: number;
}

/** What {@link PrefetchBuffer.take} gives. */
export interface Taken<M> {
  /** In arrival order, to hand out. */
  readonly taken: Ahead<M>[];
  /** Held too long: to give back to JetStream. */
  readonly expired: M[];
}

/** What a pull ahead asks JetStream for. */
export interface PrefetchAsk {
  readonly batch: number;
  readonly maxBytes: number;
}

/** What {@link PrefetchBuffer.ask} decides from. */
export interface PrefetchContext {
  /** Whether the consumer sends a message a limited number of times (then nothing is pulled ahead). */
  readonly limitedDeliveries: boolean;
  /** How many the caller asked for in the pull that just ended. */
  readonly wanted: number;
  /** How many more JetStream would send before the consumer's max ack pending. */
  readonly ackPendingRoom: number;
  /** When the pull that just ended started, and when the one before it ended (ms). */
  readonly startedAt: number;
  readonly previousEndAt: number | undefined;
  readonly holdMs: number;
}

/** The messages of one partition of one consumer pulled ahead of its caller. */
export class PrefetchBuffer<M> {
  #items: Ahead<M>[] = [];
  #bytes = 0;
  /** Whether JetStream's last answer was full, so that more is likely waiting. */
  more = false;
  /** Whether a pull ahead is on its way. */
  pulling = false;
  /** When the last pull of the caller ended (ms). */
  lastEndAt: number | undefined;

  get count(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The first message held, the one the next pull hands out. */
  get first(): M | undefined {
    return this.#items[0]?.msg;
  }

  /** When the first message held arrived. */
  get oldestAt(): number | undefined {
    return this.#items[0]?.at;
  }

  /** Takes out what has waited `holdMs` or more, to give back. */
  expire(now: number, holdMs: number): M[] {
    return this.take(0, 0, now, holdMs).expired;
  }

  /** Files what a pull ahead brought, with whether the answer was full. */
  push(items: readonly Ahead<M>[], full: boolean): void {
    for (const item of items) {
      this.#items.push(item);
      this.#bytes += item.bytes;
    }
    this.more = full;
  }

  /**
   * Up to `max` messages, in order, stopping once their bytes pass `budget`
   * (at least one is taken); what has waited `holdMs` or more is expired.
   */
  take(max: number, budget: number, now: number, holdMs: number): Taken<M> {
    const expired: M[] = [];
    let i = 0;
    while (i < this.#items.length && now - (this.#items[i] as Ahead<M>).at >= holdMs) {
      expired.push((this.#items[i] as Ahead<M>).msg);
      i++;
    }
    const taken: Ahead<M>[] = [];
    let bytes = 0;
    while (i < this.#items.length && taken.length < max) {
      const item = this.#items[i] as Ahead<M>;
      if (taken.length > 0 && bytes + item.bytes > budget) break;
      taken.push(item);
      bytes += item.bytes;
      i++;
    }
    this.#items = this.#items.slice(i);
    this.#bytes = this.#items.reduce((n, m) => n + m.bytes, 0);
    return { taken, expired };
  }

  /** Takes out everything held (to give back, or to forget). */
  drain(): M[] {
    const out = this.#items.map((m) => m.msg);
    this.#items = [];
    this.#bytes = 0;
    return out;
  }

  /**
   * Whether to pull ahead now, and how much: only while the caller pulls
   * steadily (this pull started within half the hold of the last one's
   * end), the last answer was full, no pull ahead is on its way, the
   * consumer has no delivery limit that a message given back would use up,
   * and the buffer is under half of what the caller asks for.
   */
  ask(c: PrefetchContext): PrefetchAsk | undefined {
    if (c.limitedDeliveries || !this.more || this.pulling) return undefined;
    if (c.previousEndAt === undefined || c.startedAt - c.previousEndAt > c.holdMs / 2)
      return undefined;
    const wanted = Math.min(c.wanted, PREFETCH_MAX_MESSAGES);
    if (this.count >= wanted / 2) return undefined;
    const batch = Math.min(wanted - this.count, c.ackPendingRoom);
    const maxBytes = PREFETCH_MAX_BYTES - this.#bytes;
    if (batch <= 0 || maxBytes <= 0) return undefined;
    return { batch, maxBytes };
  }
}
