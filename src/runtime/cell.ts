import type { ErrorCode } from '../errors.ts';
import { infoOf, infoOfClass, type Message, type MessageClass } from '../messages/registry.ts';
import type { ActorAddress } from './address.ts';
import { BoundedQueue } from './mailbox.ts';

/**
 * Told when a message that came over a connection leaves the mailbox (taken,
 * saved, refused or discarded), so the connection can give its sender credit
 * back; see src/transport/flow.ts.
 */
export interface Receipt {
  taken(to: number, bytes: number): void;
  /** The node refused what came over here as the peer's offence (a control message, say). */
  refused?(code: ErrorCode, reason: string): void;
  /** Whether local actor `local` has sent to the peer's actor `remote` this way (see Node.deliver on `Undelivered`). */
  sentTo?(local: number, remote: number): boolean;
}

/** A message together with the address it came from. */
export interface Envelope {
  readonly message: Message;
  readonly from: ActorAddress | undefined;
  /** The connection it came over, to be told when it leaves the mailbox. */
  readonly via?: Receipt | undefined;
  /** Its encoded size, for {@link Receipt.taken}. */
  readonly size?: number;
}

/** What an actor does with a message it looks at. */
export type Verdict = 'take' | 'save' | 'drop';

/** Decides, for a waiting actor, what to do with each message. */
export type Examiner = (message: Message) => Verdict;

/** Why a message did not reach an actor. */
export type Refusal = 'mailbox-full' | 'no-such-actor' | 'saved-overflow' | 'closed';

/**
 * Merges notice `next` into `into` (a queued message) when they say the same
 * thing (an `Undelivered` of the same type, reason, code and receiver), and
 * answers whether it did.
 */
export type NoticeMerger = (into: Envelope, next: Envelope) => boolean;

/** Places kept beyond a mailbox's capacity for notices that cannot be merged. */
export const NOTICE_RESERVE = 1024;

/** Called when a message is refused or discarded, so the node can count, log and report it. */
export type RefusalHandler = (cell: Cell, envelope: Envelope, reason: Refusal | 'dropped') => void;

interface Waiter {
  examine: Examiner;
  resolve: (envelope: Envelope) => void;
}

/**
 * The inside of one actor: its mailbox (messages not yet looked at), its
 * saved queue (looked at, not yet wanted) and at most one waiter. Actors
 * handle one message at a time: a message reaches the actor only through
 * {@link Cell.next}.
 */
export class Cell {
  readonly id: number;
  readonly name: string;
  readonly address: ActorAddress;
  readonly parent: ActorAddress | undefined;
  readonly children = new Set<Cell>();
  readonly mailbox: BoundedQueue<Envelope>;
  readonly saved: BoundedQueue<Envelope>;
  /** Set once the actor has ended; later messages are refused. */
  ended = false;
  /** Run once when the actor ends (cancel its timers, ...). */
  readonly endHooks: (() => void)[] = [];
  #waiter: Waiter | undefined;
  #onRefusal: RefusalHandler;
  readonly #merge: NoticeMerger | undefined;

  constructor(init: {
    id: number;
    name: string;
    address: ActorAddress;
    parent: ActorAddress | undefined;
    mailboxCapacity: number;
    savedCapacity: number;
    onRefusal: RefusalHandler;
    merge?: NoticeMerger;
  }) {
    this.id = init.id;
    this.name = init.name;
    this.address = init.address;
    this.parent = init.parent;
    this.mailbox = new BoundedQueue(init.mailboxCapacity);
    this.saved = new BoundedQueue(init.savedCapacity);
    this.#onRefusal = init.onRefusal;
    this.#merge = init.merge;
  }

  /**
   * Hands the actor a notice about its own messages (an `Undelivered`) that
   * must not be lost to a full queue: where the mailbox (or, when the actor
   * saves it, the saved queue) is full, the notice is merged into the newest
   * one there like it, else it takes one of {@link NOTICE_RESERVE} places
   * kept beyond the capacity. False only when the actor has ended, or when
   * even the reserve is taken by notices that cannot be merged.
   */
  putNotice(envelope: Envelope): boolean {
    if (this.ended || this.mailbox.length < this.mailbox.capacity) return this.put(envelope);
    const last = this.mailbox.last();
    const kept =
      (last !== undefined && this.#merge?.(last, envelope) === true) ||
      this.mailbox.pushReserved(envelope, NOTICE_RESERVE);
    // A merged notice is done with at once; a lost one too.
    if (!kept || this.mailbox.last() !== envelope) this.#release(envelope);
    return kept;
  }

  /**
   * Hands a message to the actor. A waiting actor that wants it gets it at
   * once; otherwise it queues. Returns false when the message was refused
   * (the refusal handler has then been told).
   */
  put(envelope: Envelope): boolean {
    if (this.ended) {
      this.#release(envelope);
      this.#onRefusal(this, envelope, 'no-such-actor');
      return false;
    }
    const waiter = this.#waiter;
    if (waiter && this.mailbox.length === 0) {
      const verdict = waiter.examine(envelope.message);
      if (verdict === 'take') {
        this.#waiter = undefined;
        this.#release(envelope);
        waiter.resolve(envelope);
        return true;
      }
      if (verdict === 'save') return this.#save(envelope);
      this.#release(envelope);
      this.#onRefusal(this, envelope, 'dropped');
      return true;
    }
    if (!this.mailbox.push(envelope)) {
      this.#release(envelope);
      this.#onRefusal(this, envelope, 'mailbox-full');
      return false;
    }
    return true;
  }

  /**
   * The actor is done holding a message that came over a connection (it took
   * it, or it was refused or discarded): its sender gets credit back. A saved
   * message still holds its credit, so an actor that never takes what it
   * saves slows its senders down rather than growing without bound.
   */
  #release(envelope: Envelope): void {
    envelope.via?.taken(this.id, envelope.size ?? 0);
  }

  /**
   * The next message `examine` takes: first from the saved queue (oldest
   * first), then from the mailbox, saving or dropping what it passes over.
   * Resolves when one arrives if none is there yet.
   */
  next(examine: Examiner): Envelope | Promise<Envelope> {
    const fromSaved = this.saved.take((e) => examine(e.message) === 'take');
    if (fromSaved) {
      this.#release(fromSaved);
      return fromSaved;
    }
    for (;;) {
      const envelope = this.mailbox.shift();
      if (!envelope) break;
      const verdict = examine(envelope.message);
      if (verdict === 'save') {
        this.#save(envelope);
        continue;
      }
      this.#release(envelope);
      if (verdict === 'take') return envelope;
      this.#onRefusal(this, envelope, 'dropped');
    }
    return new Promise<Envelope>((resolve) => {
      this.#waiter = { examine, resolve };
    });
  }

  /** Withdraws a pending {@link Cell.next}; it will never resolve. */
  cancelWait(): void {
    this.#waiter = undefined;
  }

  /** Ends the actor: nothing more is delivered; pending messages are returned. */
  end(): Envelope[] {
    this.ended = true;
    this.#waiter = undefined;
    const left = [...this.saved.drain(), ...this.mailbox.drain()];
    for (const envelope of left) this.#release(envelope);
    for (const hook of this.endHooks.splice(0)) hook();
    return left;
  }

  #save(envelope: Envelope): boolean {
    if (this.saved.push(envelope)) return true;
    const last = this.saved.last();
    if (last && this.#merge?.(last, envelope)) {
      this.#release(envelope);
      return true;
    }
    const oldest = this.saved.shift();
    if (oldest) {
      this.#release(oldest);
      this.#onRefusal(this, oldest, 'saved-overflow');
    }
    this.saved.push(envelope);
    return true;
  }
}

/** An examiner that takes messages of the given classes (any message when none) and saves the rest. */
export function takeTypes(types: readonly MessageClass[]): Examiner {
  if (types.length === 0) return () => 'take';
  // By type, not by constructor: a message decoded before its class was first used is taken too.
  const infos = types.map(infoOfClass);
  if (infos.length === 1) {
    const only = infos[0];
    return (m) => (infoOf(m) === only ? 'take' : 'save');
  }
  return (m) => {
    const info = infoOf(m);
    return info !== undefined && infos.includes(info) ? 'take' : 'save';
  };
}
