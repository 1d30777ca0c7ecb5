import { CallsignError } from '../errors.ts';
import type { OpenPayload } from '../wire/control.ts';

/**
 * Credit-based flow control for one connection, as pure bookkeeping.
 *
 * Each side grants the other, in its OPEN record, a window per destination
 * actor (messages and bytes of message bodies) and one for the whole
 * connection. A sender may have at most that much in flight: written but not
 * yet given back. The receiver gives credit back (CREDIT records) as its
 * actors *take* messages from their mailboxes, so a slow actor slows its
 * senders down instead of filling memory, while the socket is always read
 * and keep-alive keeps working. A single message larger than a window may go
 * when nothing else is in flight to that actor.
 *
 * A receiver that is sent more than it granted closes the connection with
 * ERR_FLOW_CONTROL; so does a sender given back more than it had in flight.
 *
 * @module
 */

/** The windows one side grants; the defaults are in docs/transport.md. */
export type Windows = Omit<OpenPayload, 'owner'>;

/** A message written to the peer and not yet given back, kept to report it if the link is lost. */
export interface InFlight {
  readonly from: number;
  readonly to: number;
  readonly typeName: string;
}

interface Outgoing {
  messages: number;
  bytes: number;
  /**
   * Senders and type names of what is in flight, oldest first, at
   * [head, tail); the arrays keep their room when the actor is idle.
   */
  froms: number[];
  types: string[];
  head: number;
  tail: number;
}

/**
 * Book entries of actors with nothing in flight are kept for the next
 * message (no object per round trip) while there are at most this many.
 */
const KEEP_IDLE = 64;

function violation(text: string): CallsignError {
  return new CallsignError('ERR_FLOW_CONTROL', text);
}

/** The sending side's view of what the peer granted. */
export class SendFlow {
  #windows: Windows | undefined;
  readonly #out = new Map<number, Outgoing>();
  #bytes = 0;

  /** True once the peer's OPEN said what it grants. */
  get isOpen(): boolean {
    return this.#windows !== undefined;
  }

  /** Bytes in flight over the whole connection. */
  get bytesInFlight(): number {
    return this.#bytes;
  }

  /** The peer's grant, from its OPEN. */
  open(windows: Windows): void {
    this.#windows = windows;
  }

  /** Whether a message of `bytes` may go to actor `to` now. */
  fits(to: number, bytes: number): boolean {
    const w = this.#windows;
    if (w === undefined) return false;
    if (this.#bytes > 0 && this.#bytes + bytes > w.connectionBytes) return false;
    const out = this.#out.get(to);
    if (out === undefined) return true;
    if (out.messages >= w.actorMessages) return false;
    return out.bytes === 0 || out.bytes + bytes <= w.actorBytes;
  }

  /**
   * Whether the window to actor `to` (and the connection's) is at most half
   * used: a sender that waits for this between bursts keeps every message of
   * a burst of up to half a window on the fast path.
   */
  halfOpen(to: number): boolean {
    const w = this.#windows;
    if (w === undefined) return false;
    if (this.#bytes * 2 > w.connectionBytes) return false;
    const out = this.#out.get(to);
    return (
      out === undefined || (out.messages * 2 <= w.actorMessages && out.bytes * 2 <= w.actorBytes)
    );
  }

  /** A message of `bytes` from local actor `from`, of type `typeName`, was written to actor `to`. */
  sent(to: number, bytes: number, from: number, typeName: string): void {
    let out = this.#out.get(to);
    if (out === undefined) {
      out = { messages: 0, bytes: 0, froms: [], types: [], head: 0, tail: 0 };
      this.#out.set(to, out);
    }
    out.messages++;
    out.bytes += bytes;
    out.froms[out.tail] = from;
    out.types[out.tail] = typeName;
    out.tail++;
    this.#bytes += bytes;
  }

  /**
   * The peer gave back `messages` messages and `bytes` bytes of actor `to`.
   * @throws CallsignError ERR_FLOW_CONTROL for more than was in flight.
   */
  credit(to: number, messages: number, bytes: number): void {
    const out = this.#out.get(to);
    if (out === undefined || messages > out.messages || bytes > out.bytes) {
      throw violation(`credit for actor ${to} beyond what was in flight`);
    }
    out.messages -= messages;
    out.bytes -= bytes;
    this.#bytes -= bytes;
    out.head += messages;
    if (out.messages === 0) {
      if (this.#out.size > KEEP_IDLE) {
        this.#out.delete(to);
      } else {
        out.head = 0;
        out.tail = 0;
      }
    } else if (out.head > 1024 && out.head * 2 > out.tail) {
      out.froms.copyWithin(0, out.head, out.tail);
      out.types.copyWithin(0, out.head, out.tail);
      out.tail -= out.head;
      out.head = 0;
    }
  }

  /** Everything still in flight (for the report when the connection is lost), and forgets it. */
  takeInFlight(): InFlight[] {
    const all: InFlight[] = [];
    for (const [to, out] of this.#out) {
      for (let i = out.head; i < out.tail; i++) {
        all.push({ from: out.froms[i]!, to, typeName: out.types[i]! });
      }
    }
    this.#out.clear();
    this.#bytes = 0;
    return all;
  }
}

interface Incoming {
  /** Arrived and not yet given back. */
  messages: number;
  bytes: number;
  /** Taken by the actor (or refused) and not yet given back. */
  owedMessages: number;
  owedBytes: number;
}

/** The receiving side: enforces what it granted and decides when to give credit back. */
export class ReceiveFlow {
  readonly #windows: Windows;
  readonly #in = new Map<number, Incoming>();
  #bytes = 0;
  /** Destinations whose credit should go out with the next frame. */
  readonly #ready = new Set<number>();

  constructor(windows: Windows) {
    this.#windows = windows;
  }

  /** What this side grants, for its OPEN. */
  get windows(): Windows {
    return this.#windows;
  }

  /** True when credit is waiting to be sent. */
  get hasCredit(): boolean {
    return this.#ready.size > 0;
  }

  /**
   * A message of `bytes` arrived for actor `to`.
   * @throws CallsignError ERR_FLOW_CONTROL when it is beyond the window granted.
   */
  arrived(to: number, bytes: number): void {
    const w = this.#windows;
    if (this.#bytes > 0 && this.#bytes + bytes > w.connectionBytes) {
      throw violation(`the peer sent beyond the connection window of ${w.connectionBytes} bytes`);
    }
    let inc = this.#in.get(to);
    if (inc === undefined) {
      inc = { messages: 0, bytes: 0, owedMessages: 0, owedBytes: 0 };
      this.#in.set(to, inc);
    }
    if (inc.messages >= w.actorMessages || (inc.bytes > 0 && inc.bytes + bytes > w.actorBytes)) {
      throw violation(`the peer sent beyond the window of actor ${to}`);
    }
    inc.messages++;
    inc.bytes += bytes;
    this.#bytes += bytes;
  }

  /** The actor `to` took (or refused) one message of `bytes`: credit is owed. */
  taken(to: number, bytes: number): void {
    const inc = this.#in.get(to);
    if (inc === undefined || inc.owedMessages >= inc.messages) return;
    inc.owedMessages++;
    inc.owedBytes += bytes;
    const w = this.#windows;
    // Give back in batches, or at once when the actor has caught up with this sender.
    if (
      inc.owedMessages === inc.messages ||
      inc.owedMessages * 4 >= w.actorMessages ||
      inc.owedBytes * 4 >= w.actorBytes
    ) {
      this.#ready.add(to);
    }
  }

  /** Hands `give` the credit to send now, one destination at a time; it counts as given back. */
  takeCredit(give: (to: number, messages: number, bytes: number) => void): void {
    for (const to of this.#ready) {
      const inc = this.#in.get(to);
      if (inc === undefined || inc.owedMessages === 0) continue;
      give(to, inc.owedMessages, inc.owedBytes);
      inc.messages -= inc.owedMessages;
      inc.bytes -= inc.owedBytes;
      this.#bytes -= inc.owedBytes;
      inc.owedMessages = 0;
      inc.owedBytes = 0;
      if (inc.messages === 0 && this.#in.size > KEEP_IDLE) this.#in.delete(to);
    }
    this.#ready.clear();
  }
}
