import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CallsignError, ERROR_CODES, type ErrorCode, toError } from '../errors.ts';
import { HandshakeGuard } from './handshake-guard.ts';
import type { Link, LinkContext, LinkEnding, LinkEvents, LinkHandshake } from './link.ts';
import { writeBinaryFrame } from './ws-frame.ts';

/** Above this much buffered for the socket, the link reports `drain` when it falls below LOW_WATER. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** A peer that does not finish the closing handshake is cut after this long, in ms. */
const CLOSE_DEADLINE_MS = 1000;
/** ws close code for a close with one of our error codes as its reason (private-use range). */
const CLOSE_WITH_CODE = 4000;
/** The largest payload of a handshake message (M1, M2, M3, REJECT are 3 to 116 bytes). */
const HANDSHAKE_MAX_PAYLOAD = 256;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Options of {@link wsLink}. */
export interface WsLinkInit {
  readonly context: LinkContext;
  /** The socket under the WebSocket (errors and the handshake guard are watched on it). */
  readonly socket: Duplex;
  readonly remote: string | undefined;
  /** The guard of the handshake phase, already reading the socket (see {@link guardSocket}). */
  readonly guard: SocketGuard | undefined;
  /** Told once, when the handshake has completed (a listener frees its pending slot). */
  readonly onAuthenticated?: () => void;
  /** Credentials the handshake over this link uses instead of the node's (see {@link Link.handshake}). */
  readonly handshake?: LinkHandshake;
  /** The peer's first frame, carried in its upgrade request (see `ws-hello.ts`): given before any other. */
  readonly hello?: Uint8Array;
  /** True on the dialing side, whose frames carry a masking key (zero, see ws-transport.ts). */
  readonly masked?: boolean;
}

/** A {@link HandshakeGuard} attached to a socket; see {@link guardSocket}. */
export interface SocketGuard {
  /** The refusal, once the guard has cut the socket. */
  readonly refusal: string | undefined;
  /** Stops watching the socket. */
  remove(): void;
}

/**
 * Watches what a stranger sends on `socket` during the handshake: the first
 * frame announcing more than a handshake message needs destroys the socket.
 * Attach it right after the ws library took the socket (in the upgrade's
 * callback, or at `'open'`): its reader goes before the library's, so it
 * sees every chunk first, and the bytes that came with the upgrade (put
 * back into the socket by the library) reach both. Attached earlier, its
 * reader would set the socket flowing, and those bytes would pass before
 * the library listens.
 */
export function guardSocket(socket: Duplex, context: LinkContext, label: string): SocketGuard {
  const guard = new HandshakeGuard({ maxPayload: HANDSHAKE_MAX_PAYLOAD });
  let refusal: string | undefined;
  const onData = (chunk: Buffer) => {
    const verdict = guard.feed(chunk);
    if (verdict.kind === 'ok') return;
    socket.off('data', onData);
    refusal = verdict.reason;
    context.log('WARNING', `${label} refused: ${verdict.reason} (ERR_HANDSHAKE_TOO_LARGE)`);
    socket.destroy();
  };
  socket.prependListener('data', onData);
  return {
    get refusal() {
      return refusal;
    },
    remove: () => socket.off('data', onData),
  };
}

/** The code a ws error stands for. */
function wsErrorCode(err: Error): ErrorCode {
  const code = (err as { code?: string }).code;
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'ERR_FRAME_TOO_LARGE';
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) return 'ERR_WS_PROTOCOL';
  return 'ERR_CONNECTION_LOST';
}

/**
 * A {@link Link} over a WebSocket that has completed its HTTP upgrade. Every
 * way the socket or the ws library can fail ends the link with a code: it
 * never raises an unhandled `'error'`, and an exception thrown by the layer
 * above while handling a frame ends only this link.
 */
export function wsLink(ws: WebSocket, init: WsLinkInit): Link {
  return new WsLink(ws, init);
}

class WsLink implements Link {
  readonly remote: string | undefined;
  readonly handshake: LinkHandshake | undefined;
  readonly #ws: WebSocket;
  readonly #init: WsLinkInit;
  #events: LinkEvents | undefined;
  #early: Uint8Array[] = [];
  #ending: LinkEnding | undefined;
  /** The first error seen (ws, socket, or ours), which names the ending. */
  #failure: { code: ErrorCode; reason: string } | undefined;
  #closing: { here: true; code: ErrorCode; reason: string } | undefined;
  #wantDrain = false;
  #guard: SocketGuard | undefined;
  #closeTimer: unknown;
  readonly #closed: Promise<LinkEnding>;
  #resolveClosed: (ending: LinkEnding) => void = () => {};

  constructor(ws: WebSocket, init: WsLinkInit) {
    this.#ws = ws;
    this.#init = init;
    this.remote = init.remote;
    this.handshake = init.handshake;
    this.#guard = init.guard;
    if (init.hello) this.#early.push(init.hello);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    ws.on('error', (err: Error) => this.#fail(wsErrorCode(err), err.message));
    init.socket.on('error', (err: Error) => this.#fail('ERR_CONNECTION_LOST', err.message));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#receive(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.#ended(code, reason));
    init.socket.on('drain', () => this.#drained());
  }

  get buffered(): number {
    return this.#ws.bufferedAmount;
  }

  get isClosed(): boolean {
    return this.#ending !== undefined || this.#closing !== undefined;
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

  send(frame: Uint8Array, written?: () => void): void {
    if (this.isClosed || this.#ws.readyState !== 1) return;
    if (written) {
      // ws copies nothing (the mask is zero): the socket holds the bytes until written.
      this.#ws.send(frame, (err) => {
        if (!err) written();
      });
    } else {
      this.#ws.send(frame);
    }
    if (!this.#wantDrain && this.#ws.bufferedAmount > HIGH_WATER) this.#wantDrain = true;
  }

  sendParts(parts: readonly Uint8Array[]): void {
    if (this.isClosed || this.#ws.readyState !== 1) return;
    // Straight to the socket, in one writev: ws's sender would want the pieces in one buffer.
    writeBinaryFrame(this.#init.socket, this.#init.masked === true, parts);
    if (!this.#wantDrain && this.#ws.bufferedAmount > HIGH_WATER) this.#wantDrain = true;
  }

  authenticated(): void {
    this.#guard?.remove();
    this.#guard = undefined;
    this.#init.onAuthenticated?.();
  }

  close(err?: CallsignError): void {
    if (this.isClosed) return;
    const code: ErrorCode = err ? err.code : 'ERR_CLOSED';
    this.#closing = { here: true, code, reason: err ? err.message : 'closed' };
    const ws = this.#ws;
    if (ws.readyState === 1) {
      if (err) ws.close(CLOSE_WITH_CODE, err.code);
      else ws.close(1000);
      const { clock } = this.#init.context;
      this.#closeTimer = clock.after(CLOSE_DEADLINE_MS, () => ws.terminate());
    } else {
      ws.terminate();
    }
  }

  sever(): void {
    this.#ws.terminate();
  }

  closed(): Promise<LinkEnding> {
    return this.#closed;
  }

  #receive(data: Buffer, isBinary: boolean): void {
    // The guard cut the socket, but ws may still parse the rest of the chunk it saw.
    if (this.#ending || this.#closing || this.#guard?.refusal !== undefined) return;
    if (!isBinary) {
      this.#fail('ERR_WS_PROTOCOL', 'a text frame');
      this.close(new CallsignError('ERR_WS_PROTOCOL', 'text frames are not spoken here'));
      return;
    }
    if (!this.#events) {
      this.#early.push(data);
      return;
    }
    this.#deliver(data);
  }

  #deliver(frame: Uint8Array): void {
    try {
      this.#events?.frame(frame);
    } catch (err) {
      // A fault above must never reach the socket's 'data' handler: it would end the process.
      const e = toError(err);
      this.#init.context.log('FAULT', `link ${this.remote ?? ''}: ${e.stack ?? e.message}`);
      this.close(new CallsignError('ERR_INTERNAL', e.message, { cause: e }));
    }
  }

  #fail(code: ErrorCode, reason: string): void {
    this.#failure ??= { code, reason };
  }

  #drained(): void {
    if (!this.#wantDrain || this.#ws.bufferedAmount > LOW_WATER) return;
    this.#wantDrain = false;
    if (!this.isClosed) this.#events?.drain();
  }

  #ended(code: number, reasonBytes: Buffer): void {
    if (this.#ending) return;
    if (this.#closeTimer !== undefined) this.#init.context.clock.clear(this.#closeTimer);
    this.#guard?.remove();
    const reason = reasonBytes.toString('utf8');
    let ending: LinkEnding;
    if (this.#closing) {
      ending = this.#closing;
    } else if (this.#guard?.refusal ?? this.#init.guard?.refusal) {
      ending = {
        here: true,
        code: 'ERR_HANDSHAKE_TOO_LARGE',
        reason: this.#init.guard?.refusal ?? '',
      };
    } else if (code === CLOSE_WITH_CODE && KNOWN_CODES.has(reason)) {
      ending = { here: false, code: reason as ErrorCode, reason: `the peer closed with ${reason}` };
    } else if (this.#failure) {
      ending = { here: false, ...this.#failure };
    } else if (code === 1000) {
      ending = { here: false, code: 'ERR_CLOSED', reason: 'closed by the peer' };
    } else {
      ending = { here: false, code: 'ERR_CONNECTION_LOST', reason: 'the connection was lost' };
    }
    this.#ending = ending;
    this.#early = [];
    const events = this.#events;
    this.#events = undefined;
    this.#resolveClosed(ending);
    events?.end(ending);
  }
}
