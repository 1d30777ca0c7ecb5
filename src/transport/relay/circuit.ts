/**
 * One circuit through a WAN relay, as a {@link Link}: the frames of an
 * end-to-end connection between two nodes, carried over each node's relay
 * session. The relay sees only sealed bytes; the link's handshake is the
 * nodes' own (the realm's), with the peer's key expected when dialled.
 *
 * @module
 */
import { CallsignError, type ErrorCode } from '../../errors.ts';
import type { Link, LinkEnding, LinkEvents, LinkHandshake } from '../link.ts';

/** The largest frame a stranger may send on a circuit before its handshake completes. */
const HANDSHAKE_MAX_FRAME = 256;
/** Frames kept for a circuit nobody has attached to yet, at most. */
const MAX_EARLY_FRAMES = 64;

/** What a circuit needs from the session that carries it. */
export interface CircuitCarrier {
  /** Bytes waiting in the session's socket. */
  readonly buffered: number;
  /** DATA of `circuit`: a sealed frame, in one buffer or the pieces that make it. */
  sendData(circuit: number, frame: Uint8Array | readonly Uint8Array[]): void;
  sendClose(circuit: number, code: ErrorCode): void;
  /** The circuit has ended: forget it. */
  forget(circuit: number): void;
  /** The circuit wants `drain` when the session's socket has room again. */
  wantDrain(circuit: number): void;
}

/** Options of a {@link RelayCircuit}. */
export interface CircuitInit {
  readonly id: number;
  readonly carrier: CircuitCarrier;
  /** The largest frame accepted after the handshake. */
  readonly maxFrameBytes: number;
  /** Dialled: the key the far node must prove it holds. */
  readonly handshake?: LinkHandshake;
  /** Told once, when the handshake has completed (an incoming circuit frees its pending slot). */
  readonly onAuthenticated?: () => void;
}

/** Above this much buffered on the session, a circuit asks to be told when it drains. */
export const CIRCUIT_HIGH_WATER = 1024 * 1024;

/** A circuit: see the module. */
export class RelayCircuit implements Link {
  readonly remote: string | undefined = undefined;
  readonly handshake: LinkHandshake | undefined;
  readonly id: number;
  readonly #init: CircuitInit;
  #events: LinkEvents | undefined;
  #early: Uint8Array[] = [];
  #ending: LinkEnding | undefined;
  #closing = false;
  #authenticated = false;
  readonly #closed: Promise<LinkEnding>;
  #resolve: (ending: LinkEnding) => void = () => {};

  constructor(init: CircuitInit) {
    this.#init = init;
    this.id = init.id;
    this.handshake = init.handshake;
    this.#closed = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get buffered(): number {
    return this.#init.carrier.buffered;
  }

  get isClosed(): boolean {
    return this.#ending !== undefined || this.#closing;
  }

  attach(events: LinkEvents): void {
    this.#events = events;
    const early = this.#early;
    this.#early = [];
    for (const frame of early) {
      if (this.#ending || this.#events !== events) return;
      this.#deliver(frame);
    }
  }

  send(frame: Uint8Array): void {
    this.sendParts(frame);
  }

  sendParts(frame: Uint8Array | readonly Uint8Array[]): void {
    if (this.isClosed) return;
    const carrier = this.#init.carrier;
    carrier.sendData(this.id, frame);
    if (carrier.buffered > CIRCUIT_HIGH_WATER) carrier.wantDrain(this.id);
  }

  authenticated(): void {
    if (this.#authenticated) return;
    this.#authenticated = true;
    this.#init.onAuthenticated?.();
  }

  close(err?: CallsignError): void {
    if (this.isClosed) return;
    this.#closing = true;
    const code: ErrorCode = err ? err.code : 'ERR_CLOSED';
    this.#init.carrier.sendClose(this.id, code);
    // After the caller's own ending, as a WebSocket's close is: the link's end then finds it ended here.
    const ending: LinkEnding = { here: true, code, reason: err ? err.message : 'closed' };
    queueMicrotask(() => this.#end(ending));
  }

  sever(): void {
    if (this.#ending) return;
    this.#init.carrier.sendClose(this.id, 'ERR_CONNECTION_LOST');
    this.#end({ here: false, code: 'ERR_CONNECTION_LOST', reason: 'the connection was lost' });
  }

  closed(): Promise<LinkEnding> {
    return this.#closed;
  }

  // ------------------------------------------------------- from the session

  /** A DATA frame for this circuit. */
  received(frame: Uint8Array): void {
    if (this.isClosed) return;
    if (frame.length > (this.#authenticated ? this.#init.maxFrameBytes : HANDSHAKE_MAX_FRAME)) {
      const code = this.#authenticated ? 'ERR_FRAME_TOO_LARGE' : 'ERR_HANDSHAKE_TOO_LARGE';
      this.close(new CallsignError(code, `a frame of ${frame.length} bytes on a relay circuit`));
      return;
    }
    if (!this.#events) {
      if (this.#early.length >= MAX_EARLY_FRAMES) {
        this.close(
          new CallsignError('ERR_FLOW_CONTROL', 'too many frames before the circuit was read'),
        );
        return;
      }
      this.#early.push(frame);
      return;
    }
    this.#deliver(frame);
  }

  /** The far side closed the circuit (or the relay did, with why). */
  remoteClosed(code: ErrorCode): void {
    const reason = code === 'ERR_CLOSED' ? 'closed by the peer' : `the peer closed with ${code}`;
    this.#end({ here: false, code, reason });
  }

  /** The session under the circuit is gone. */
  lost(reason: string): void {
    this.#end({ here: false, code: 'ERR_CONNECTION_LOST', reason });
  }

  /** The session's socket has room again. */
  drained(): void {
    if (!this.isClosed) this.#events?.drain();
  }

  #deliver(frame: Uint8Array): void {
    try {
      this.#events?.frame(frame);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.close(new CallsignError('ERR_INTERNAL', e.message, { cause: e }));
    }
  }

  #end(ending: LinkEnding): void {
    if (this.#ending) return;
    this.#ending = ending;
    this.#early = [];
    this.#init.carrier.forget(this.id);
    const events = this.#events;
    this.#events = undefined;
    this.#resolve(ending);
    events?.end(ending);
  }
}
