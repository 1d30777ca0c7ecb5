import type { WebSocket } from 'ws';
import { CallsignError, codeOf, type ErrorCode, toError } from '../errors.ts';
import type { AddressCodec } from '../messages/address.ts';
import type { Reader, Writer } from '../messages/binary.ts';
import { Writer as BodyWriter } from '../messages/binary.ts';
import { type CodecContext, decodeMessage, writeMessage } from '../messages/codec.ts';
import type { Message } from '../messages/registry.ts';
import { ActorAddress, type Channel } from '../runtime/address.ts';
import type { Node } from '../runtime/node.ts';
import { CONTROL, FramePacker, FrameUnpacker, type RecordHandler } from '../wire/records.ts';
import type { FrameOpener, FrameSealer } from '../wire/seal.ts';

/** Tunables of a connection; see docs/transport.md. */
export interface ConnectionOptions {
  /** The largest frame plaintext, in bytes. Default 1 MiB. */
  maxFrameSize: number;
  /** The largest message (after fragments are put together), in bytes. Default 64 MiB. */
  maxMessageSize: number;
  /** Send a keep-alive probe after this much silence from the peer, in ms. Default 1000. */
  keepaliveMs: number;
  /** Close as Abandoned after this much silence from the peer, in ms. Default 2500. */
  deadAfterMs: number;
}

/** How a connection ended, as its owner hears it. */
export interface Ending {
  /** True when this side ended it (Closed); false when the peer did or it was lost (Abandoned). */
  here: boolean;
  code: ErrorCode | undefined;
  reason: string;
}

const PRESSURE_HIGH = 0.5;
/** {@link Connection.drained} waits while more than this is buffered for the socket. */
const SEND_HIGH_WATER = 1024 * 1024;

/**
 * One authenticated, encrypted connection between two nodes, after the
 * handshake. It is a {@link Channel}: any local actor can post to any actor
 * of the peer over it. Messages posted in the same event-loop turn go out in
 * one frame (several when they exceed the maximum frame size).
 */
export class Connection implements Channel {
  readonly label: string;
  /** The text form of the endpoint (what was connected to, or listened on). */
  readonly endpoint: string;
  /** The peer's long-term public key, base64. */
  readonly peerKey: string;
  /** The local actor told of this connection's end (connector or listener). */
  readonly owner: ActorAddress;
  /** The peer's actor at the other end (its listener or connector), once known. */
  remoteOwner: ActorAddress | undefined;
  #closed = false;
  readonly #node: Node;
  readonly #ws: WebSocket;
  readonly #sealer: FrameSealer;
  readonly #opener: FrameOpener;
  readonly #packer: FramePacker;
  readonly #unpacker: FrameUnpacker;
  readonly #options: ConnectionOptions;
  readonly #body = new BodyWriter(256);
  readonly #codec: CodecContext;
  readonly #remotes = new Map<number, ActorAddress>();
  readonly #onEnd: (connection: Connection, ending: Ending) => void;
  readonly #onOpen: (connection: Connection) => void;
  readonly #handler: RecordHandler;
  #flushScheduled = false;
  #lastHeard: number;
  #keepalive: NodeJS.Timeout | undefined;
  #paused = false;
  #drainWaiters: (() => void)[] = [];
  readonly #written = (): void => {
    if (this.#drainWaiters.length > 0 && this.#ws.bufferedAmount < SEND_HIGH_WATER)
      this.#wakeDrainWaiters();
  };
  /** What went through, and what went wrong without ending the connection. */
  readonly counters = {
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    undecodable: 0,
  };

  constructor(init: {
    node: Node;
    ws: WebSocket;
    sealer: FrameSealer;
    opener: FrameOpener;
    endpoint: string;
    peerId: string;
    peerKey: string;
    owner: ActorAddress;
    options: ConnectionOptions;
    /** Told once, when the peer's OPEN arrives. */
    onOpen: (connection: Connection) => void;
    /** Told once, when the connection ends, however it ends. */
    onEnd: (connection: Connection, ending: Ending) => void;
  }) {
    this.#node = init.node;
    this.#ws = init.ws;
    this.#sealer = init.sealer;
    this.#opener = init.opener;
    this.endpoint = init.endpoint;
    this.peerKey = init.peerKey;
    this.label = init.peerId;
    this.owner = init.owner;
    this.#options = init.options;
    this.#onEnd = init.onEnd;
    this.#onOpen = init.onOpen;
    this.#packer = new FramePacker({
      maxFrameSize: init.options.maxFrameSize,
      onFrame: (plaintext) => {
        this.counters.framesSent++;
        this.#ws.send(this.#sealer.seal(plaintext), this.#written);
      },
    });
    this.#unpacker = new FrameUnpacker({ maxMessageSize: init.options.maxMessageSize });
    this.#codec = { addresses: this.#addressCodec() };
    this.#handler = {
      message: (to, from, body) => this.#receiveMessage(to, from, body),
      control: (op, payload) => this.#receiveControl(op, payload),
    };
    this.#lastHeard = performance.now();
    this.#ws.on('message', (data: Buffer) => this.#receiveFrame(data));
    this.#ws.on('close', () => this.#lost());
    this.#ws.on('error', (err) =>
      this.#node.log('DEBUG', `connection ${this.label}: ${err.message}`),
    );
    this.#startKeepalive();
    this.#control(CONTROL.open, encodeId(init.owner.id));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The address of actor `id` on the peer node, one object per actor. */
  remote(id: number): ActorAddress {
    let address = this.#remotes.get(id);
    if (!address) {
      address = new ActorAddress(id, this);
      this.#remotes.set(id, address);
    }
    return address;
  }

  post(to: number, from: number, message: Message): boolean {
    if (this.#closed) return false;
    const body = this.#body;
    body.reset();
    writeMessage(body, message, this.#codec);
    if (body.length > this.#options.maxMessageSize) {
      throw new CallsignError(
        'ERR_MESSAGE_TOO_LARGE',
        `a message of ${body.length} bytes exceeds the limit of ${this.#options.maxMessageSize}`,
      );
    }
    this.counters.messagesSent++;
    this.#packer.message(to, from, body.view());
    this.#scheduleFlush();
    return true;
  }

  /**
   * Sends what is pending now and resolves once less than 1 MiB waits to be
   * written to the socket (at once if that is already so, or when the
   * connection ends). A sender that awaits it between bursts never buffers
   * more than about a megabyte, however slow the receiver.
   */
  drained(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#flush();
    if (this.#ws.bufferedAmount < SEND_HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Ends the connection from this side: what was posted is sent, the peer is
   * told, and the owner receives Closed. Safe to call twice.
   */
  close(reason = 'closed', code?: ErrorCode): void {
    if (this.#closed) return;
    this.#control(CONTROL.close, new TextEncoder().encode(reason));
    this.#flush();
    this.#end({ here: true, code, reason });
    this.#ws.close(1000);
    // A peer that does not finish the closing handshake is cut off.
    setTimeout(() => this.#ws.terminate(), 1000).unref();
  }

  #end(ending: Ending): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.#wakeDrainWaiters();
    this.#onEnd(this, ending);
  }

  /** The socket ended, or the peer misbehaved: end it as Abandoned. */
  #abandon(code: ErrorCode, reason: string): void {
    if (this.#closed) return;
    this.#node.log(
      'WARNING',
      `connection ${this.label} (${this.endpoint}) abandoned: ${reason} (${code})`,
    );
    this.#end({ here: false, code, reason });
    this.#ws.terminate();
  }

  #lost(): void {
    this.#abandon('ERR_CONNECTION_LOST', 'the connection was lost');
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#ws.readyState !== 1) return;
    this.#packer.flush();
  }

  #control(op: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    this.#packer.control(op, payload);
    this.#scheduleFlush();
  }

  #receiveFrame(data: Buffer): void {
    if (this.#closed) return;
    this.#lastHeard = performance.now();
    this.counters.framesReceived++;
    let plaintext: Uint8Array;
    try {
      plaintext = this.#opener.open(data);
      this.#unpacker.unpack(plaintext, this.#handler);
    } catch (err) {
      this.#abandon(codeOf(err, 'ERR_MALFORMED_FRAME'), toError(err).message);
    }
  }

  #receiveMessage(to: number, from: number, body: Uint8Array): void {
    let message: Message;
    try {
      message = decodeMessage(body, this.#codec);
    } catch (err) {
      // One bad message from an authenticated peer (a newer version, say) costs only itself.
      this.counters.undecodable++;
      const code = codeOf(err, 'ERR_MALFORMED_MESSAGE');
      this.#node.log(
        'WARNING',
        `connection ${this.label}: message skipped: ${toError(err).message} (${code})`,
      );
      return;
    }
    this.counters.messagesReceived++;
    this.#node.deliver(to, message, from === 0 ? undefined : this.remote(from));
    const cell = this.#node.cell(to);
    if (cell && !this.#paused && cell.pressure > PRESSURE_HIGH) {
      // Stop reading until the actor catches up; TCP then slows the sender down.
      this.#paused = true;
      this.#ws.pause();
      cell.whenDrained(() => {
        this.#paused = false;
        if (!this.#closed) this.#ws.resume();
      });
    }
  }

  #receiveControl(op: number, payload: Uint8Array): void {
    switch (op) {
      case CONTROL.ping:
        this.#control(CONTROL.pong);
        return;
      case CONTROL.pong:
        return;
      case CONTROL.open: {
        if (this.remoteOwner) throw new CallsignError('ERR_MALFORMED_FRAME', 'OPEN sent twice');
        this.remoteOwner = this.remote(decodeId(payload));
        this.#onOpen(this);
        return;
      }
      case CONTROL.close: {
        const reason = new TextDecoder().decode(payload) || 'closed by peer';
        this.#end({ here: false, code: 'ERR_CLOSED', reason });
        this.#ws.close(1000);
        return;
      }
      default:
        throw new CallsignError('ERR_MALFORMED_FRAME', `unknown control operation ${op}`);
    }
  }

  #startKeepalive(): void {
    const { keepaliveMs, deadAfterMs } = this.#options;
    // Checked four times per keep-alive period, so a dead peer is noticed at most
    // a quarter period after the deadline.
    const tick = Math.max(50, Math.min(keepaliveMs, deadAfterMs) / 4);
    this.#keepalive = setInterval(() => {
      const silent = performance.now() - this.#lastHeard;
      if (silent >= deadAfterMs) {
        this.#abandon(
          'ERR_KEEPALIVE_TIMEOUT',
          `no word from the peer for ${Math.round(silent)} ms`,
        );
      } else if (silent >= keepaliveMs) {
        this.#control(CONTROL.ping);
      }
    }, tick);
    this.#keepalive.unref();
  }

  #addressCodec(): AddressCodec {
    return {
      write: (w: Writer, address) => {
        if (!(address instanceof ActorAddress)) {
          throw new CallsignError(
            'ERR_INVALID_MESSAGE',
            `not an actor address: ${String(address)}`,
          );
        }
        if (address.isLocal) {
          w.u8(0); // an actor of the sending node
          w.varuint(address.id);
        } else if (address.channel === this) {
          w.u8(1); // an actor of the receiving node
          w.varuint(address.id);
        } else {
          throw new CallsignError(
            'ERR_INVALID_MESSAGE',
            `address ${address} belongs to a third node and cannot cross ${this.label}`,
          );
        }
      },
      read: (r: Reader) => {
        const where = r.u8();
        const id = r.varuint();
        if (where === 0) return this.remote(id);
        if (where === 1) return new ActorAddress(id);
        throw new CallsignError('ERR_MALFORMED_MESSAGE', `bad address tag ${where}`);
      },
    };
  }
}

function encodeId(id: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, id);
  return bytes;
}

function decodeId(payload: Uint8Array): number {
  if (payload.length !== 8) throw new CallsignError('ERR_MALFORMED_FRAME', 'bad OPEN payload');
  const id = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new CallsignError('ERR_MALFORMED_FRAME', 'bad OPEN id');
  return id;
}
