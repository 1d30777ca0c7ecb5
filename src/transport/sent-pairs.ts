/**
 * Which local actor has sent to which actor of the peer over one
 * connection. An `Undelivered` from the peer can only be true about a
 * message that went that way, so the node admits one only when this says
 * so (see Node.deliver); every other is a forgery.
 *
 * @module
 */

/** How many receivers are remembered per local sender; past it the sender is vouched for with any receiver. */
export const RECEIVERS_PER_SENDER = 256;

/** The number of senders past which ended ones are swept out (the bound doubles with the live ones). */
const SWEEP_FROM = 1024;

const ANY = 'any';

/**
 * The pairs (local sender, remote receiver) of one connection. Memory stays
 * bounded: at most {@link RECEIVERS_PER_SENDER} receivers per sender, and
 * senders that no longer exist (as `exists` says) are swept out as their
 * number grows. Only local sends add to it, never what the peer sends.
 */
export class SentPairs {
  readonly #pairs = new Map<number, Set<number> | typeof ANY>();
  readonly #exists: (local: number) => boolean;
  #sweepAt = SWEEP_FROM;
  // The last pair noted: a stream of messages between the same two actors costs two comparisons each.
  #lastFrom = -1;
  #lastTo = -1;

  /** `exists(local)` says whether local actor `local` still runs. */
  constructor(exists: (local: number) => boolean) {
    this.#exists = exists;
  }

  /** Local actor `from` sent (or queued) a message for remote actor `to`. */
  note(from: number, to: number): void {
    if (from === this.#lastFrom && to === this.#lastTo) return;
    this.#lastFrom = from;
    this.#lastTo = to;
    let receivers = this.#pairs.get(from);
    if (receivers === undefined) {
      if (this.#pairs.size >= this.#sweepAt) this.#sweep();
      receivers = new Set();
      this.#pairs.set(from, receivers);
    }
    if (receivers === ANY || receivers.has(to)) return;
    if (receivers.size >= RECEIVERS_PER_SENDER) this.#pairs.set(from, ANY);
    else receivers.add(to);
  }

  /** Whether local actor `from` has sent to remote actor `to` here. */
  has(from: number, to: number): boolean {
    const receivers = this.#pairs.get(from);
    return receivers !== undefined && (receivers === ANY || receivers.has(to));
  }

  /** Senders remembered (for tests and counters). */
  get senders(): number {
    return this.#pairs.size;
  }

  #sweep(): void {
    for (const from of this.#pairs.keys()) if (!this.#exists(from)) this.#pairs.delete(from);
    this.#sweepAt = Math.max(SWEEP_FROM, this.#pairs.size * 2);
    this.#lastFrom = -1;
    this.#lastTo = -1;
  }
}
