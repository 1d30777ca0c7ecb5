/**
 * Circuits whose two ends are at two relays of a cluster (`--nats`): a
 * node's OPEN to a peer that has no session here is asked of the relay that
 * holds it, through the {@link PeerBus}; the circuit's DATA then goes to
 * that relay addressed by the destination peer, with the circuit renamed to
 * the token the far relay chose, and comes back the same way. Each relay
 * knows its ends by a token of its own; the {@link CircuitBook} holds them
 * as ends at {@link REMOTE_SESSION}, so its limits count them. No relay
 * opens what it forwards. docs/wan.md.
 *
 * @module
 */
import type { ErrorCode } from '../../../src/errors.ts';
import {
  circuitOf,
  decodeCircuitFrame,
  encodeBare,
  encodeClose,
  encodeOpen,
  RELAY_FRAME,
  setCircuit,
} from '../../../src/internal.ts';
import { type CircuitBook, type CircuitOutput, REMOTE_SESSION } from '../circuit-book.ts';
import type { PeerBus } from './peer-bus.ts';

/** How long an OPEN waits for the relay that holds its peer, ms. */
const ASK_MS = 2000;

/** A local session, as remote circuits need it. */
export interface RemoteSession {
  readonly id: number;
  readonly tenant: string;
  readonly peer: string;
}

/** Options of {@link RemoteCircuits}. */
export interface RemoteCircuitsInit {
  readonly bus: PeerBus;
  readonly book: CircuitBook;
  /** Sends `frame` to the local session `id`. */
  toSession(id: number, frame: Uint8Array): void;
  /** Sends what the book decided (as the forwarder does). */
  perform(outputs: CircuitOutput[]): void;
  now(): number;
  /** Told every DATA frame it forwards to a local session, for counts. */
  forwarded(bytes: number): void;
  warn(text: string): void;
}

interface RemoteEnd {
  readonly session: number;
  readonly circuit: number;
  readonly tenant: string;
  /** The peer of the local session. */
  readonly local: string;
  /** The peer at the other relay. */
  readonly peer: string;
  /** The other relay's token; 0 until it answered the OPEN. */
  far: number;
}

/** The circuits between relays: see the module. */
export class RemoteCircuits {
  readonly #init: RemoteCircuitsInit;
  readonly #ends = new Map<number, RemoteEnd>();
  /** `tenant\0peer` → how many local sessions it has, and the detach of its subject. */
  readonly #attached = new Map<string, { count: number; detach: () => void }>();
  #nextToken = 1;

  constructor(init: RemoteCircuitsInit) {
    this.#init = init;
  }

  /** Circuits with an end at another relay, now. */
  get size(): number {
    return this.#ends.size;
  }

  /**
   * A session was admitted here: frames for its peer come to this relay.
   * Circuits that reached the peer at another relay end: it moved here (its
   * relay died, most often), and they would only wait for its keep-alive.
   */
  attached(s: RemoteSession): void {
    for (const [token, e] of [...this.#ends]) {
      if (e.tenant !== s.tenant || e.peer !== s.peer) continue;
      this.#ends.delete(token);
      if (e.far !== 0)
        this.#init.bus.send(e.tenant, e.peer, encodeClose(e.far, 'ERR_CONNECTION_LOST'));
      this.#init.perform(this.#init.book.closeRemote(e.session, e.circuit, 'ERR_CONNECTION_LOST'));
    }
    const key = `${s.tenant}\0${s.peer}`;
    const held = this.#attached.get(key);
    if (held) {
      held.count++;
      return;
    }
    const detach = this.#init.bus.attach(s.tenant, s.peer, (frame, reply) =>
      this.#arrived(s.tenant, s.peer, frame, reply),
    );
    this.#attached.set(key, { count: 1, detach });
  }

  /** A session ended: its circuits to other relays end there too. */
  detached(s: RemoteSession): void {
    for (const { token } of this.#init.book.remoteCircuitsOf(s.id)) {
      const e = this.#ends.get(token);
      this.#ends.delete(token);
      if (e && e.far !== 0)
        this.#init.bus.send(e.tenant, e.peer, encodeClose(e.far, 'ERR_CONNECTION_LOST'));
    }
    const key = `${s.tenant}\0${s.peer}`;
    const held = this.#attached.get(key);
    if (held && --held.count === 0) {
      this.#attached.delete(key);
      held.detach();
    }
  }

  /** OPEN from `s` of `circuit` to `peer`, which has no session here. */
  open(s: RemoteSession, circuit: number, peer: string): void {
    const { book, bus } = this.#init;
    const token = this.#token();
    const refused = book.openRemote(s.id, circuit, token);
    if (refused) {
      this.#init.perform(refused);
      return;
    }
    const end: RemoteEnd = {
      session: s.id,
      circuit,
      tenant: s.tenant,
      local: s.peer,
      peer,
      far: 0,
    };
    this.#ends.set(token, end);
    void bus
      .ask(s.tenant, peer, encodeOpen(token, s.peer), ASK_MS)
      .catch(() => undefined)
      .then((answer) => this.#answered(token, end, answer));
  }

  /** DATA from a local node on a circuit whose other end is `token`'s. */
  data(token: number, frame: Uint8Array): boolean {
    const e = this.#ends.get(token);
    if (!e || e.far === 0) return false;
    setCircuit(frame, e.far);
    this.#init.bus.send(e.tenant, e.peer, frame);
    return true;
  }

  /** CLOSE from a local node of the circuit whose other end is `token`'s. */
  close(token: number, code: ErrorCode): void {
    const e = this.#ends.get(token);
    if (!e) return;
    this.#ends.delete(token);
    if (e.far !== 0) this.#init.bus.send(e.tenant, e.peer, encodeClose(e.far, code));
  }

  #token(): number {
    let t = this.#nextToken;
    while (this.#ends.has(t)) t = t >= 0xfffffffe ? 1 : t + 1;
    this.#nextToken = t >= 0xfffffffe ? 1 : t + 1;
    return t;
  }

  #answered(token: number, end: RemoteEnd, answer: Uint8Array | undefined): void {
    const { book } = this.#init;
    if (this.#ends.get(token) !== end) {
      // Closed meanwhile: the far relay, if it joined, is told.
      const f = answer && safeDecode(answer);
      if (f?.type === 'opened')
        this.#init.bus.send(end.tenant, end.peer, encodeClose(f.circuit, 'ERR_CONNECTION_LOST'));
      return;
    }
    const f = answer && safeDecode(answer);
    if (f?.type === 'opened' && f.circuit !== 0) {
      end.far = f.circuit;
      this.#init.toSession(end.session, encodeBare('opened', end.circuit));
      return;
    }
    this.#ends.delete(token);
    book.close(end.session, end.circuit, 'ERR_NOT_AVAILABLE');
    if (f?.type === 'close') {
      this.#init.toSession(end.session, encodeClose(end.circuit, f.code));
      return;
    }
    // No relay holds the peer: wait here for it, as a single relay does.
    this.#init.perform(book.open(end.session, end.circuit, end.peer, this.#init.now()));
  }

  /** A frame from another relay for local `peer` of `tenant`. */
  #arrived(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    reply: ((answer: Uint8Array) => void) | undefined,
  ): void {
    const { book } = this.#init;
    if (frame[0] === RELAY_FRAME.data && frame.length >= 5) {
      const e = this.#ends.get(circuitOf(frame));
      if (!e || e.tenant !== tenant || e.local !== peer || e.far === 0) return;
      setCircuit(frame, e.circuit);
      this.#init.toSession(e.session, frame);
      this.#init.forwarded(frame.length);
      return;
    }
    const f = safeDecode(frame);
    if (!f) {
      this.#init.warn(`a relay sent a frame that is not one (${frame.length} bytes): ignored`);
      return;
    }
    if (f.type === 'open' && reply) {
      const token = this.#token();
      const r = book.acceptRemote(tenant, peer, token);
      if ('refused' in r) {
        reply(encodeClose(f.circuit, r.refused));
        return;
      }
      this.#ends.set(token, {
        session: r.session,
        circuit: r.circuit,
        tenant,
        local: peer,
        peer: f.peer,
        far: f.circuit,
      });
      this.#init.perform(r.outputs);
      reply(encodeBare('opened', token));
    } else if (f.type === 'close') {
      const e = this.#ends.get(f.circuit);
      if (!e || e.tenant !== tenant || e.local !== peer) return;
      this.#ends.delete(f.circuit);
      this.#init.perform(book.closeRemote(e.session, e.circuit, f.code));
    }
  }
}

function safeDecode(frame: Uint8Array): ReturnType<typeof decodeCircuitFrame> | undefined {
  try {
    return decodeCircuitFrame(frame);
  } catch {
    return undefined;
  }
}

export { REMOTE_SESSION };
