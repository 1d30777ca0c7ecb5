/**
 * The pulls ahead of the `nats` consumers: per partition of each consumer,
 * a {@link PrefetchBuffer} (which decides), the pull ahead on its way, and
 * the timer that gives back what waited too long.
 *
 * @module
 */
import type { Msg } from '@nats-io/transport-node';
import { type Ahead, PrefetchBuffer, type PrefetchContext } from './prefetch.ts';
import type { PullAnswer } from './pull-request.ts';

/** What one partition of one consumer has pulled ahead, and the pull ahead on its way. */
export interface AheadSlot {
  readonly buffer: PrefetchBuffer<Msg>;
  inFlight?: Promise<void>;
  /** Gives back what waited too long. */
  hold?: ReturnType<typeof setTimeout>;
  /** Set once the consumer or its stream is gone: what still arrives is dropped. */
  gone?: boolean;
}

/** What {@link PulledAhead} does its I/O with. */
export interface PulledAheadInit {
  /** One `no_wait` pull. */
  readonly fetch: (
    jsName: string,
    consumer: string,
    batch: number,
    maxBytes: number,
  ) => Promise<PullAnswer>;
  /** Sends a nak at once, unconfirmed. */
  readonly nak: (reply: string) => void;
  /** Sends a nak with the settlements of this turn, confirmed. */
  readonly nakConfirmed: (group: string, reply: string) => Promise<unknown>;
}

/** About what JetStream counts of a message against max bytes. */
const sizeOf = (m: Msg) => m.data.length + m.subject.length + (m.headers ? 64 : 0);

const slotKey = (stream: string, consumer: string, partition: number) =>
  `${stream}\u0000${consumer}\u0000${partition}`;

/** Every consumer's pulls ahead in one store. */
export class PulledAhead {
  readonly #slots = new Map<string, AheadSlot>();
  readonly #io: PulledAheadInit;
  #closing = false;

  constructor(io: PulledAheadInit) {
    this.#io = io;
  }

  /** The slot of one partition of one consumer, made when missing. */
  slot(stream: string, consumer: string, partition: number): AheadSlot {
    const key = slotKey(stream, consumer, partition);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { buffer: new PrefetchBuffer<Msg>() };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  /** The slot, when there is one, once its pull ahead (if any) has landed. */
  async settled(stream: string, consumer: string, partition: number) {
    const slot = this.#slots.get(slotKey(stream, consumer, partition));
    if (slot?.inFlight) await slot.inFlight;
    return slot;
  }

  /** Up to `max` of what was pulled ahead, waiting for the pull ahead when nothing is held. */
  async take(slot: AheadSlot, max: number, budget: number, holdMs: number): Promise<Ahead<Msg>[]> {
    if (slot.inFlight && slot.buffer.count === 0) await slot.inFlight;
    let { taken, expired } = slot.buffer.take(max, budget, Date.now(), holdMs);
    this.#giveBack(expired);
    if (taken.length === 0 && slot.inFlight) {
      await slot.inFlight;
      ({ taken, expired } = slot.buffer.take(max, budget, Date.now(), holdMs));
      this.#giveBack(expired);
    }
    return taken;
  }

  /** Naks what was pulled ahead and not handed out, so that JetStream sends it again at once. */
  #giveBack(msgs: readonly Msg[]): void {
    for (const m of msgs) if (m.reply) this.#io.nak(m.reply);
  }

  /** Pulls the next batch of one partition ahead of its caller, when {@link PrefetchBuffer.ask} says so. */
  pullAhead(slot: AheadSlot, jsName: string, consumer: string, context: PrefetchContext): void {
    const ask = this.#closing ? undefined : slot.buffer.ask(context);
    if (!ask) return;
    slot.buffer.pulling = true;
    const landed = (answer: PullAnswer) => {
      slot.inFlight = undefined;
      slot.buffer.pulling = false;
      if (slot.gone) return;
      const at = Date.now();
      const wasEmpty = slot.buffer.count === 0;
      slot.buffer.push(
        answer.messages.map((msg) => ({ msg, bytes: sizeOf(msg), at })),
        answer.full,
      );
      if (wasEmpty && slot.buffer.count > 0) this.#armHold(slot, context.holdMs);
    };
    slot.inFlight = this.#io.fetch(jsName, consumer, ask.batch, ask.maxBytes).then(landed, () => {
      slot.inFlight = undefined;
      slot.buffer.pulling = false;
    });
  }

  /** Gives back, once it has waited `holdMs`, what is held ahead and not pulled. */
  #armHold(slot: AheadSlot, holdMs: number): void {
    clearTimeout(slot.hold);
    const first = slot.buffer.oldestAt;
    if (first === undefined) return;
    slot.hold = setTimeout(
      () => {
        slot.hold = undefined;
        if (slot.gone) return;
        this.#giveBack(slot.buffer.expire(Date.now(), holdMs));
        this.#armHold(slot, holdMs);
      },
      Math.max(0, first + holdMs - Date.now()),
    );
    slot.hold.unref?.();
  }

  /** Forgets the slots whose key starts with `head` (their consumer or stream is gone). */
  drop(stream: string, consumer?: string): void {
    const head = consumer === undefined ? `${stream}\u0000` : `${stream}\u0000${consumer}\u0000`;
    for (const [key, slot] of this.#slots) {
      if (!key.startsWith(head)) continue;
      slot.gone = true;
      clearTimeout(slot.hold);
      slot.buffer.drain();
      this.#slots.delete(key);
    }
  }

  /**
   * Naks, and waits for JetStream to confirm, what is pulled ahead for one
   * consumer (or, without `stream`, for all, and pulls no more ahead: the store closes).
   */
  async giveBack(stream?: string, consumer?: string): Promise<void> {
    if (stream === undefined) this.#closing = true;
    const head = stream === undefined ? '' : `${stream}\u0000${consumer}\u0000`;
    const slots = [...this.#slots].filter(([key]) => key.startsWith(head));
    await Promise.all(slots.map(([, slot]) => slot.inFlight));
    const back: Promise<unknown>[] = [];
    for (const [key, slot] of slots) {
      clearTimeout(slot.hold);
      slot.buffer.more = false;
      for (const m of slot.buffer.drain()) {
        if (m.reply) back.push(this.#io.nakConfirmed(key, m.reply));
      }
    }
    await Promise.allSettled(back);
  }
}
