/**
 * A node's session with a WAN relay: one WebSocket, admitted with the node's
 * pass (HELLO, CHALLENGE, PROOF, WELCOME: the ticket itself never crosses),
 * then carrying the node's circuits, with a keep-alive of its own. Used by
 * {@link RelayClient}; docs/wan.md.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CallsignError, type ErrorCode, toError } from '../../errors.ts';
import { background } from '../../runtime/repeating-task.ts';
import { KeepAlive } from '../keepalive.ts';
import type { LinkContext, LinkHandshake } from '../link.ts';
import { type CircuitCarrier, RelayCircuit } from './circuit.ts';
import {
  CIRCUIT_HEADER,
  decodeAdmission,
  decodeCircuitFrame,
  encodeBare,
  encodeClose,
  encodeData,
  encodeHello,
  encodeMac,
  encodeOpen,
  RELAY_NONCE_LENGTH,
} from './frames.ts';
import { admissionProof, type RelayPass, sameMac, welcomeProof } from './pass.ts';
import { writeDataFrame, zeroMask } from './ws-frame.ts';

/** The largest message a relay session accepts: a sealed frame of 16 MiB and its header. */
const MAX_PAYLOAD = 16 * 1024 * 1024 + 1024;
const LOW_WATER = 256 * 1024;

/** Options of a {@link RelaySession}. */
export interface RelaySessionInit {
  readonly url: string;
  readonly pass: RelayPass;
  readonly context: LinkContext;
  /** How long connecting and admission may take, in ms. */
  readonly timeoutMs: number;
  readonly keepaliveMs: number;
  readonly deadAfterMs: number;
  /** Admitted: circuits may be opened. */
  onOpen(session: RelaySession): void;
  /** Ended (never admitted, refused, or lost): `code` says why. */
  onEnd(session: RelaySession, code: ErrorCode, reason: string): void;
  /** The relay brings a circuit another node opened to this one; answer false to refuse it. */
  onIncoming(circuit: (init: IncomingCircuitInit) => RelayCircuit): boolean;
}

/** What the acceptor of an incoming circuit sets. */
export interface IncomingCircuitInit {
  readonly maxFrameBytes: number;
  readonly onAuthenticated?: () => void;
}

interface Opening {
  circuit: RelayCircuit;
  resolve(c: RelayCircuit): void;
  reject(err: CallsignError): void;
  timer: unknown;
}

/** One session: see the module. */
export class RelaySession implements CircuitCarrier {
  readonly #init: RelaySessionInit;
  readonly #ws: WebSocket;
  #socket: Duplex | undefined;
  #state: 'connecting' | 'admitting' | 'open' | 'ended' = 'connecting';
  readonly #nonce = randomBytes(RELAY_NONCE_LENGTH);
  readonly #circuits = new Map<number, RelayCircuit>();
  readonly #opening = new Map<number, Opening>();
  readonly #draining = new Set<number>();
  #nextCircuit = 1;
  #keepalive: KeepAlive | undefined;
  #tick: unknown;
  #due = 0;
  readonly #deadline: unknown;

  constructor(init: RelaySessionInit) {
    this.#init = init;
    const { clock } = init.context;
    this.#deadline = background(
      clock.after(init.timeoutMs, () => {
        if (this.#state !== 'open')
          this.#fail('ERR_CONNECT_FAILED', `no relay session within ${init.timeoutMs} ms`);
      }),
    );
    this.#ws = new WebSocket(init.url, {
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD,
      handshakeTimeout: init.timeoutMs,
      skipUTF8Validation: true,
      generateMask: zeroMask,
    });
    const ws = this.#ws;
    ws.on('error', (err: Error) => this.#fail('ERR_CONNECT_FAILED', err.message));
    ws.on('upgrade', (res: IncomingMessage) => {
      this.#socket = res.socket;
      res.socket.on('error', () => {});
      res.socket.on('drain', () => this.#drained());
    });
    ws.on('open', () => {
      (this.#socket as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.#state = 'admitting';
      const { tenant, site, peer } = init.pass;
      ws.send(encodeHello({ kind: 'session', tenant, site, peer, nonce: this.#nonce }));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        if (!isBinary) throw new CallsignError('ERR_WS_PROTOCOL', 'a text frame from the relay');
        this.#receive(data);
      } catch (err) {
        const e = toError(err);
        const code = err instanceof CallsignError ? err.code : 'ERR_INTERNAL';
        this.#fail(code, e.message);
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const said = reason.toString('utf8');
      if (code === 4000 && said.startsWith('ERR_'))
        this.#fail(said as ErrorCode, `the relay closed with ${said}`);
      else this.#fail('ERR_CONNECTION_LOST', 'the relay session was lost');
    });
  }

  /** The relay this session goes to. */
  get url(): string {
    return this.#init.url;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  get buffered(): number {
    return this.#ws.bufferedAmount;
  }

  /** Circuits open now. */
  get circuits(): number {
    return this.#circuits.size;
  }

  /**
   * Opens a circuit to `peer`: resolves once the relay has passed it on,
   * rejects with the relay's code (no such peer: `ERR_NOT_AVAILABLE`; a
   * limit: `ERR_WAN_LIMIT`) or `ERR_CONNECT_FAILED`.
   */
  open(
    peer: string,
    init: { timeoutMs: number; maxFrameBytes: number; handshake?: LinkHandshake },
  ): Promise<RelayCircuit> {
    if (this.#state !== 'open') {
      return Promise.reject(
        new CallsignError('ERR_CONNECT_FAILED', 'the relay session is not open'),
      );
    }
    const id = this.#takeId();
    const circuit = new RelayCircuit({
      id,
      carrier: this,
      maxFrameBytes: init.maxFrameBytes,
      ...(init.handshake ? { handshake: init.handshake } : {}),
    });
    this.#circuits.set(id, circuit);
    return new Promise<RelayCircuit>((resolve, reject) => {
      const timer = this.#init.context.clock.after(init.timeoutMs, () => {
        if (!this.#opening.delete(id)) return;
        circuit.close(new CallsignError('ERR_CONNECT_FAILED', 'no answer'));
        reject(
          new CallsignError(
            'ERR_CONNECT_FAILED',
            `the relay did not open a circuit to ${short(peer)} within ${init.timeoutMs} ms`,
          ),
        );
      });
      this.#opening.set(id, { circuit, resolve, reject, timer });
      this.#ws.send(encodeOpen(id, peer));
    });
  }

  /** Ends the session and its circuits. */
  close(code: ErrorCode = 'ERR_CLOSED', reason = 'closed'): void {
    if (this.#state === 'ended') return;
    try {
      this.#ws.close(code === 'ERR_CLOSED' ? 1000 : 4000, code === 'ERR_CLOSED' ? undefined : code);
    } catch {}
    const ws = this.#ws;
    background(this.#init.context.clock.after(1000, () => ws.terminate()));
    this.#fail(code, reason);
  }

  // ------------------------------------------------------- CircuitCarrier

  sendData(circuit: number, frame: Uint8Array | readonly Uint8Array[]): void {
    if (this.#state !== 'open') return;
    // Header and sealed frame in one writev, the frame not copied (ws-frame.ts).
    if (this.#socket && this.#ws.readyState === WebSocket.OPEN)
      writeDataFrame(this.#socket, circuit, frame);
    else
      this.#ws.send(
        encodeData(circuit, frame instanceof Uint8Array ? frame : Buffer.concat(frame)),
      );
  }

  sendClose(circuit: number, code: ErrorCode): void {
    const opening = this.#opening.get(circuit);
    if (opening) {
      this.#opening.delete(circuit);
      this.#init.context.clock.clear(opening.timer);
    }
    if (this.#state === 'open') this.#ws.send(encodeClose(circuit, code));
  }

  forget(circuit: number): void {
    this.#circuits.delete(circuit);
    this.#draining.delete(circuit);
  }

  wantDrain(circuit: number): void {
    this.#draining.add(circuit);
  }

  // ------------------------------------------------------------- receiving

  #receive(data: Buffer): void {
    this.#keepalive?.heard(this.#init.context.clock.now());
    if (this.#state === 'admitting') {
      this.#admission(data);
      return;
    }
    if (this.#state !== 'open') return;
    const f = decodeCircuitFrame(data);
    switch (f.type) {
      case 'data':
        this.#circuits.get(f.circuit)?.received(f.payload);
        return;
      case 'opened': {
        const o = this.#opening.get(f.circuit);
        if (!o) return;
        this.#opening.delete(f.circuit);
        this.#init.context.clock.clear(o.timer);
        o.resolve(o.circuit);
        return;
      }
      case 'close': {
        const o = this.#opening.get(f.circuit);
        if (o) {
          this.#opening.delete(f.circuit);
          this.#init.context.clock.clear(o.timer);
          this.#circuits.delete(f.circuit);
          o.circuit.remoteClosed(f.code);
          o.reject(new CallsignError(f.code, `the relay refused the circuit (${f.code})`));
          return;
        }
        this.#circuits.get(f.circuit)?.remoteClosed(f.code);
        return;
      }
      case 'incoming':
        this.#incoming(f.circuit);
        return;
      case 'ping':
        this.#ws.send(encodeBare('pong'));
        return;
      case 'pong':
        return;
      case 'open':
        throw new CallsignError('ERR_MALFORMED_FRAME', 'the relay sent OPEN');
    }
  }

  #admission(data: Buffer): void {
    const f = decodeAdmission(data);
    const { ticket } = this.#init.pass;
    if (f.type === 'challenge') {
      this.#relayNonce = f.nonce;
      this.#ws.send(encodeMac('proof', admissionProof(ticket, this.#nonce, f.nonce)));
      return;
    }
    if (f.type === 'refused') {
      this.close(f.code, `the relay refused this node: ${f.reason}`);
      return;
    }
    if (f.type === 'welcome' && this.#relayNonce) {
      if (!sameMac(f.mac, welcomeProof(ticket, this.#nonce, this.#relayNonce))) {
        this.close('ERR_PEER_NOT_TRUSTED', 'the relay could not prove it knows this node’s ticket');
        return;
      }
      this.#opened();
      return;
    }
    throw new CallsignError('ERR_MALFORMED_FRAME', `unexpected ${f.type} during admission`);
  }

  #relayNonce: Uint8Array | undefined;

  #opened(): void {
    const { clock } = this.#init.context;
    this.#state = 'open';
    clock.clear(this.#deadline);
    this.#keepalive = new KeepAlive(
      { keepaliveMs: this.#init.keepaliveMs, deadAfterMs: this.#init.deadAfterMs },
      clock.now(),
    );
    this.#schedule();
    this.#init.onOpen(this);
  }

  #schedule(): void {
    const k = this.#keepalive;
    if (!k || this.#state !== 'open') return;
    const { clock } = this.#init.context;
    this.#due = clock.now() + k.tickMs;
    this.#tick = background(clock.after(k.tickMs, () => this.#onTick()));
  }

  #onTick(): void {
    const k = this.#keepalive;
    if (!k || this.#state !== 'open') return;
    const action = k.tick(this.#init.context.clock.now(), this.#due);
    if (action === 'dead') {
      this.#ws.terminate();
      this.#fail(
        'ERR_KEEPALIVE_TIMEOUT',
        `nothing from the relay for ${this.#init.deadAfterMs} ms`,
      );
      return;
    }
    if (action === 'ping') this.#ws.send(encodeBare('ping'));
    this.#schedule();
  }

  #incoming(id: number): void {
    if (this.#circuits.has(id))
      throw new CallsignError('ERR_MALFORMED_FRAME', `circuit ${id} is open already`);
    let made: RelayCircuit | undefined;
    const accepted = this.#init.onIncoming((init) => {
      made = new RelayCircuit({ id, carrier: this, ...init });
      this.#circuits.set(id, made);
      return made;
    });
    if (!accepted || !made) {
      if (made) this.#circuits.delete(id);
      this.#ws.send(encodeClose(id, 'ERR_CONNECT_FAILED'));
    }
  }

  #takeId(): number {
    // Ids this side chooses are odd; the relay names incoming circuits with even ones.
    for (;;) {
      const id = this.#nextCircuit;
      this.#nextCircuit = this.#nextCircuit >= 0x7ffffffd ? 1 : this.#nextCircuit + 2;
      if (!this.#circuits.has(id)) return id;
    }
  }

  #drained(): void {
    if (this.#draining.size === 0 || this.#ws.bufferedAmount > LOW_WATER) return;
    const waiting = [...this.#draining];
    this.#draining.clear();
    for (const id of waiting) this.#circuits.get(id)?.drained();
  }

  #fail(code: ErrorCode, reason: string): void {
    if (this.#state === 'ended') return;
    const { clock } = this.#init.context;
    this.#state = 'ended';
    clock.clear(this.#deadline);
    if (this.#tick !== undefined) clock.clear(this.#tick);
    for (const o of this.#opening.values()) {
      clock.clear(o.timer);
      o.reject(new CallsignError(code === 'ERR_CLOSED' ? 'ERR_CONNECT_FAILED' : code, reason));
    }
    this.#opening.clear();
    const circuits = [...this.#circuits.values()];
    this.#circuits.clear();
    for (const c of circuits) c.lost(reason);
    if (this.#ws.readyState === WebSocket.CONNECTING || this.#ws.readyState === WebSocket.OPEN) {
      if (code !== 'ERR_CLOSED') this.#ws.terminate();
    }
    this.#init.onEnd(this, code, reason);
  }
}

/** The circuit header length, for callers that size frames. */
export const RELAY_CIRCUIT_HEADER = CIRCUIT_HEADER;

function short(peer: string): string {
  return peer.length > 12 ? `${peer.slice(0, 12)}…` : peer;
}
