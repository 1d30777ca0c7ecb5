import { CallsignError } from '../errors.ts';
import type { Credit, OpenPayload } from '../wire/control.ts';

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
  /** Oldest first; `head` is the index of the oldest. */
  inFlight: InFlight[];
  head: number;
}

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

  /** A message of `bytes` was written to actor `to`. */
  sent(to: number, bytes: number, entry: InFlight): void {
    let out = this.#out.get(to);
    if (out === undefined) {
      out = { messages: 0, bytes: 0, inFlight: [], head: 0 };
      this.#out.set(to, out);
    }
    out.messages++;
    out.bytes += bytes;
    out.inFlight.push(entry);
    this.#bytes += bytes;
  }

  /**
   * The peer gave back `credit`.
   * @throws CallsignError ERR_FLOW_CONTROL for more than was in flight.
   */
  credit(credit: Credit): void {
    const out = this.#out.get(credit.to);
    if (out === undefined || credit.messages > out.messages || credit.bytes > out.bytes) {
      throw violation(`credit for actor ${credit.to} beyond what was in flight`);
    }
    out.messages -= credit.messages;
    out.bytes -= credit.bytes;
    this.#bytes -= credit.bytes;
    out.head += credit.messages;
    if (out.messages === 0) {
      this.#out.delete(credit.to);
    } else if (out.head > 1024 && out.head * 2 > out.inFlight.length) {
      out.inFlight = out.inFlight.slice(out.head);
      out.head = 0;
    }
  }

  /** Everything still in flight (for the report when the connection is lost), and forgets it. */
  takeInFlight(): InFlight[] {
    const all: InFlight[] = [];
    for (const out of this.#out.values()) {
      for (let i = out.head; i < out.inFlight.length; i++) all.push(out.inFlight[i]!);
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
    if (inc === undefined) return;
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

  /** The credit to send now; it counts as given back. */
  takeCredit(): Credit[] {
    const out: Credit[] = [];
    for (const to of this.#ready) {
      const inc = this.#in.get(to);
      if (inc === undefined || inc.owedMessages === 0) continue;
      out.push({ to, messages: inc.owedMessages, bytes: inc.owedBytes });
      inc.messages -= inc.owedMessages;
      inc.bytes -= inc.owedBytes;
      this.#bytes -= inc.owedBytes;
      inc.owedMessages = 0;
      inc.owedBytes = 0;
      if (inc.messages === 0) this.#in.delete(to);
    }
    this.#ready.clear();
    return out;
  }
}
