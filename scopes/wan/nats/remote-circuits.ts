/**
 * Circuits whose two ends are at two relays of a cluster (`--nats`): a
 * node's OPEN to a peer that has no session here is asked of the relay that
 * holds it, through the {@link PeerBus}; the circuit's DATA then goes to
 * that relay addressed by the destination peer, with the circuit renamed to
 * the token the far relay chose, and comes back the same way. Each relay
 * knows its ends by a token of its own; the {@link CircuitBook} holds them
 * as ends at {@link REMOTE_SESSION}, so its limits count them. No relay
 * opens what it forwards.
 *
 * Relays keep liveness of each other per circuit: every
 * {@link LIVENESS_MS} each relay asks, for each peer and relay its circuits
 * lead to, whether that relay still holds that peer; a relay that died (or
 * a peer that left it) ends those circuits at once, long before the nodes'
 * keep-alive would. A peer with sessions at two relays answers an OPEN from
 * both: the first answer wins and the other relay's circuit is closed; an
 * answer later than {@link ASK_MS} is lost at the asker, so the relay that
 * gave it asks, until DATA came, whether the asker took it. While
 * the bus is down (the NATS connection lost) circuits to other relays end,
 * and OPENs to peers not here are refused, with `ERR_WAN_NATS`; circuits
 * between sessions here go on. docs/wan.md.
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
import type { PeerAnswer, PeerBus } from './peer-bus.ts';

/** How long an OPEN waits for the relay that holds its peer, ms. */
const ASK_MS = 2000;
/** How often the relays that circuits lead to are asked whether they still hold their peer, ms. */
export const LIVENESS_MS = 500;
/** How long such a question waits for its answer, ms (no relay holding the peer answers at once). */
const HOLDS_MS = 2000;

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
  /** The other relay's member id; '' until it answered the OPEN. */
  member: string;
  /**
   * Whether the other relay is known to hold its end: at once for an OPEN
   * this relay asked; for one it answered, once DATA came on it or the
   * asker said so (an answer later than {@link ASK_MS} is lost there).
   */
  confirmed: boolean;
  /** When this relay answered the OPEN (now() of the answer); 0 for ends it asked. */
  readonly since: number;
}

/** The circuits between relays: see the module. */
export class RemoteCircuits {
  readonly #init: RemoteCircuitsInit;
  readonly #ends = new Map<number, RemoteEnd>();
  /** `tenant\0peer` → how many local sessions it has, and the detach of its subject. */
  readonly #attached = new Map<string, { count: number; detach: () => void }>();
  #nextToken = 1;
  /** `tenant\0peer\0member` of the questions of liveness waiting for their answer. */
  readonly #asking = new Set<string>();
  #lastCheck = Number.NEGATIVE_INFINITY;

  constructor(init: RemoteCircuitsInit) {
    this.#init = init;
    init.bus.onConnected((up) => {
      if (up) return;
      this.#init.warn('the bus to the other relays is down: their circuits end (ERR_WAN_NATS)');
      for (const token of [...this.#ends.keys()]) this.#end(token, 'ERR_WAN_NATS', false);
    });
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
      if (e.tenant === s.tenant && e.peer === s.peer) this.#end(token, 'ERR_CONNECTION_LOST', true);
    }
    const key = `${s.tenant}\0${s.peer}`;
    const held = this.#attached.get(key);
    if (held) {
      held.count++;
      return;
    }
    const detach = this.#init.bus.attach(s.tenant, s.peer, (frame, from, reply) =>
      this.#arrived(s.tenant, s.peer, frame, from, reply),
    );
    this.#attached.set(key, { count: 1, detach });
  }

  /** A session ended: its circuits to other relays end there too. */
  detached(s: RemoteSession): void {
    for (const { token } of this.#init.book.remoteCircuitsOf(s.id)) {
      const e = this.#ends.get(token);
      this.#ends.delete(token);
      if (e) this.#tell(e, 'ERR_CONNECTION_LOST');
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
    if (!bus.connected) {
      // Whether another relay holds the peer cannot be known now: refused, with why.
      this.#init.toSession(s.id, encodeClose(circuit, 'ERR_WAN_NATS'));
      return;
    }
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
      member: '',
      confirmed: true,
      since: 0,
    };
    this.#ends.set(token, end);
    void bus
      .ask(s.tenant, peer, encodeOpen(token, s.peer), ASK_MS, (late) => this.#unwanted(end, late))
      .catch(() => undefined)
      .then((answer) => this.#answered(token, end, answer));
  }

  /** DATA from a local node on a circuit whose other end is `token`'s. */
  data(token: number, frame: Uint8Array): boolean {
    const e = this.#ends.get(token);
    if (!e || e.far === 0) return false;
    setCircuit(frame, e.far);
    this.#init.bus.send(e.tenant, e.peer, e.member, frame);
    return true;
  }

  /** CLOSE from a local node of the circuit whose other end is `token`'s. */
  close(token: number, code: ErrorCode): void {
    const e = this.#ends.get(token);
    if (!e) return;
    this.#ends.delete(token);
    this.#tell(e, code);
  }

  /**
   * Asks, every {@link LIVENESS_MS}, each relay that circuits lead to whether
   * it still holds their peer; the circuits of a relay that does not end
   * with `ERR_CONNECTION_LOST`. Called by the forwarder's ticker.
   */
  tick(now: number): void {
    if (now - this.#lastCheck < LIVENESS_MS || !this.#init.bus.connected) return;
    this.#lastCheck = now;
    const asked = new Set<string>();
    for (const e of this.#ends.values()) {
      if (e.member === '') continue;
      const key = `${e.tenant}\0${e.peer}\0${e.member}`;
      if (asked.has(key) || this.#asking.has(key)) continue;
      asked.add(key);
      this.#asking.add(key);
      const { tenant, peer, member } = e;
      void this.#init.bus
        .holds(tenant, peer, member, HOLDS_MS)
        .catch(() => false)
        .then((held) => {
          this.#asking.delete(key);
          if (held || !this.#init.bus.connected) return;
          for (const [token, o] of [...this.#ends]) {
            if (o.tenant === tenant && o.peer === peer && o.member === member)
              this.#end(token, 'ERR_CONNECTION_LOST', false);
          }
        });
    }
    for (const [token, e] of this.#ends) {
      if (!e.confirmed && now - e.since >= ASK_MS) this.#confirm(token, e);
    }
  }

  /**
   * Asks the relay that opened `e` whether it took this relay's answer: an
   * answer that came after its {@link ASK_MS} was lost there (it took
   * another relay's, or waits for the peer itself), and the end, which no
   * frame would ever reach, ends here.
   */
  #confirm(token: number, e: RemoteEnd): void {
    const key = `${token}\0${e.member}`;
    if (this.#asking.has(key)) return;
    this.#asking.add(key);
    void this.#init.bus
      .holds(e.tenant, e.peer, e.member, HOLDS_MS, e.far)
      .catch(() => false)
      .then((held) => {
        this.#asking.delete(key);
        if (this.#ends.get(token) !== e || !this.#init.bus.connected) return;
        if (held) e.confirmed = true;
        else this.#end(token, 'ERR_CONNECTION_LOST', false);
      });
  }

  /** Ends circuit `token` here with `code`, telling the other relay when `tell`. */
  #end(token: number, code: ErrorCode, tell: boolean): void {
    const e = this.#ends.get(token);
    if (!e) return;
    this.#ends.delete(token);
    if (tell) this.#tell(e, code);
    this.#init.perform(this.#init.book.closeRemote(e.session, e.circuit, code));
  }

  /** Tells the other relay of `e`, if it answered, that the circuit ended. */
  #tell(e: RemoteEnd, code: ErrorCode): void {
    if (e.far !== 0) this.#init.bus.send(e.tenant, e.peer, e.member, encodeClose(e.far, code));
  }

  /** A second relay also opened `end`'s circuit (its peer is there too): closed there. */
  #unwanted(end: RemoteEnd, answer: PeerAnswer): void {
    const f = safeDecode(answer.frame);
    if (f?.type === 'opened' && f.circuit !== 0)
      this.#init.bus.send(
        end.tenant,
        end.peer,
        answer.from,
        encodeClose(f.circuit, 'ERR_CONNECTION_LOST'),
      );
  }

  #token(): number {
    let t = this.#nextToken;
    while (this.#ends.has(t)) t = t >= 0xfffffffe ? 1 : t + 1;
    this.#nextToken = t >= 0xfffffffe ? 1 : t + 1;
    return t;
  }

  #answered(token: number, end: RemoteEnd, answer: PeerAnswer | undefined): void {
    const { book } = this.#init;
    if (this.#ends.get(token) !== end) {
      // Closed meanwhile: the far relay, if it joined, is told.
      if (answer) this.#unwanted(end, answer);
      return;
    }
    const f = answer && safeDecode(answer.frame);
    if (answer && f?.type === 'opened' && f.circuit !== 0) {
      end.far = f.circuit;
      end.member = answer.from;
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
    from: string,
    reply: ((answer: Uint8Array) => void) | undefined,
  ): void {
    const { book } = this.#init;
    if (frame[0] === RELAY_FRAME.data && frame.length >= 5) {
      const e = this.#ends.get(circuitOf(frame));
      if (!e || e.tenant !== tenant || e.local !== peer || e.member !== from) return;
      e.confirmed = true;
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
        member: from,
        confirmed: false,
        since: this.#init.now(),
      });
      this.#init.perform(r.outputs);
      reply(encodeBare('opened', token));
    } else if (f.type === 'close') {
      const e = this.#ends.get(f.circuit);
      if (!e || e.tenant !== tenant || e.local !== peer || e.member !== from) return;
      this.#end(f.circuit, f.code, false);
    } else if (f.type === 'ping' && reply) reply(this.#pong(tenant, peer, from, circuitOf(frame)));
  }

  /**
   * The answer to a PING from relay `from` for local `peer`: PONG, when it
   * names no circuit (is the peer here?) or one of this relay's ends that
   * leads to `from`; else CLOSE (that relay holds an end this one never took).
   */
  #pong(tenant: string, peer: string, from: string, circuit: number): Uint8Array {
    if (circuit === 0) return encodeBare('pong');
    const e = this.#ends.get(circuit);
    return e && e.tenant === tenant && e.local === peer && e.member === from
      ? encodeBare('pong')
      : encodeClose(circuit, 'ERR_CONNECTION_LOST');
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
