/**
 * The deliveries a `nats` store handed out and not yet settled: JetStream
 * settles a delivery through its reply subject, so the driver keeps that
 * subject per (consumer, partition, sequence), with when it is due again.
 * Pure.
 *
 * @module
 */

/** What the reply subject of a JetStream delivery says of it. */
export interface AckSubjectInfo {
  readonly stream: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  /** Nanoseconds since the epoch, as text (too large for a number). */
  readonly timestampNanos: string;
}

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`
 * (and the longer form with domain and account hash); undefined for anything else.
 */
export function parseAckSubject(reply: string | undefined): AckSubjectInfo | undefined {
  if (!reply?.startsWith('$JS.ACK.')) return undefined;
  const t = reply.split('.');
  // v1: 9 tokens; v2: $JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<random>]
  const at = t.length === 9 ? 2 : t.length >= 11 ? 4 : -1;
  if (at < 0) return undefined;
  const deliveryCount = Number(t[at + 2]);
  const streamSequence = Number(t[at + 3]);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence))
    return undefined;
  return {
    stream: t[at] as string,
    consumer: t[at + 1] as string,
    deliveryCount,
    streamSequence,
    timestampNanos: t[at + 5] as string,
  };
}

/** One delivery awaiting its settlement. */
export interface OpenDelivery {
  readonly reply: string;
  /** When JetStream sends it again unless settled (ms since the epoch, by this process's clock). */
  due: number;
}

const slot = (stream: string, consumer: string) => `${stream}\u0000${consumer}`;
const place = (partition: number, sequence: number) => `${partition}:${sequence}`;

/** The open deliveries of every consumer of one store. */
export class OpenDeliveries {
  readonly #byConsumer = new Map<string, Map<string, OpenDelivery>>();

  /** Files a delivery (again, when it was sent again). */
  add(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    open: OpenDelivery,
  ): void {
    const key = slot(stream, consumer);
    let book = this.#byConsumer.get(key);
    if (!book) {
      book = new Map();
      this.#byConsumer.set(key, book);
    }
    book.set(place(partition, sequence), open);
  }

  /** Takes a delivery out, to settle it; undefined when it was not open. */
  take(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
  ): OpenDelivery | undefined {
    const book = this.#byConsumer.get(slot(stream, consumer));
    const key = place(partition, sequence);
    const open = book?.get(key);
    if (open) book?.delete(key);
    return open;
  }

  /** Sets when an open delivery is due again (after a nak with a delay). */
  reschedule(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    due: number,
  ): void {
    const open = this.#byConsumer.get(slot(stream, consumer))?.get(place(partition, sequence));
    if (open) open.due = due;
  }

  /** How many open deliveries a consumer has in one partition. */
  count(stream: string, consumer: string, partition: number): number {
    let n = 0;
    const head = `${partition}:`;
    for (const key of this.#byConsumer.get(slot(stream, consumer))?.keys() ?? [])
      if (key.startsWith(head)) n++;
    return n;
  }

  /** The sequences of a consumer's open deliveries in `partition` from `from` to `to`, in order. */
  sequences(
    stream: string,
    consumer: string,
    partition: number,
    from: number,
    to: number,
  ): number[] {
    const out: number[] = [];
    const head = `${partition}:`;
    for (const key of this.#byConsumer.get(slot(stream, consumer))?.keys() ?? []) {
      if (!key.startsWith(head)) continue;
      const q = Number(key.slice(head.length));
      if (q >= from && q <= to) out.push(q);
    }
    return out.sort((a, b) => a - b);
  }

  /** The earliest due time of a consumer's open deliveries. */
  nextDue(stream: string, consumer: string): number | undefined {
    let next: number | undefined;
    for (const open of this.#byConsumer.get(slot(stream, consumer))?.values() ?? []) {
      if (next === undefined || open.due < next) next = open.due;
    }
    return next;
  }

  /** Takes out every open delivery of a consumer (or of every consumer of a stream). */
  drain(stream: string, consumer?: string): OpenDelivery[] {
    const out: OpenDelivery[] = [];
    for (const [key, book] of this.#byConsumer) {
      if (
        consumer === undefined ? !key.startsWith(`${stream}\u0000`) : key !== slot(stream, consumer)
      )
        continue;
      out.push(...book.values());
      this.#byConsumer.delete(key);
    }
    return out;
  }

  /** Takes out every open delivery. */
  drainAll(): OpenDelivery[] {
    const out = [...this.#byConsumer.values()].flatMap((book) => [...book.values()]);
    this.#byConsumer.clear();
    return out;
  }
}
