import { CallsignError, codeOf, type ErrorCode, toError } from '../errors.ts';
import { type CodecContext, decodeMessage, writeMessage } from '../messages/codec.ts';
import { infoOf, type Message } from '../messages/registry.ts';
import { ActorAddress, type Channel } from '../runtime/address.ts';
import type { Receipt } from '../runtime/cell.ts';
import type { Node } from '../runtime/node.ts';
import { CONTROL, encodeClose, encodeOpen, encodeType, readCredits } from '../wire/control.ts';
import { FrameUnpacker, type RecordHandler } from '../wire/records.ts';
import type { FrameOpener, FrameSealer } from '../wire/seal.ts';
import { addressCodec } from './address-codec.ts';
import type { ConnectionOptions, Ending } from './connection-options.ts';
import { controlReceiver } from './control-receiver.ts';
import { ReceiveFlow } from './flow.ts';
import { FrameSender } from './frame-sender.ts';
import { KeepAlive } from './keepalive.ts';
import { keepAliveTimer } from './keepalive-timer.ts';
import type { Link, LinkEnding } from './link.ts';
import { Outbox } from './outbox.ts';
import type { Overflow, Waiting } from './overflow.ts';
import { SentPairs } from './sent-pairs.ts';
import type { TrafficMeter } from './traffic-meter.ts';
import { ConnectionTypes } from './type-table.ts';

export type { ConnectionOptions, Ending } from './connection-options.ts';

/** Endings after which what was written may not have been read. */
const LOSSES: ReadonlySet<ErrorCode> = new Set(['ERR_CONNECTION_LOST', 'ERR_KEEPALIVE_TIMEOUT']);

/**
 * One authenticated, encrypted connection between two nodes, after the
 * handshake, over a {@link Link} of any transport. It is a {@link Channel}:
 * any local actor can post to any actor of the peer over it. Messages posted
 * in the same event-loop turn go out in one frame (several when they exceed
 * the maximum frame size), within the windows the peer granted; the rest
 * waits under its sender's overflow policy.
 */
/** How many refused messages a connection forgives its peer before it closes (see {@link Connection.refused}). */
export const REFUSALS_FORGIVEN = 8;

export class Connection implements Channel, Receipt {
  readonly label: string;
  /** The text form of the endpoint (what was connected to, or listened on). */
  readonly endpoint: string;
  /** The peer's long-term public key, base64. */
  readonly peerKey: string;
  /** The local actor told of this connection's end (connector or listener). */
  readonly owner: ActorAddress;
  /** The peer's actor at the other end (its listener or connector), once known. */
  remoteOwner: ActorAddress | undefined;
  /** What went through, and what went wrong without ending the connection. */
  readonly counters = {
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    undecodable: 0,
    /** Messages that had to wait for the peer's window. */
    waited: 0,
    /** Messages from the peer the node refused as offences (see {@link Connection.refused}). */
    refused: 0,
  };
  /** Counts traffic per pair of actors while someone watches (see traffic-meter.ts); none otherwise. */
  meter: TrafficMeter | undefined = undefined;
  readonly #node: Node;
  readonly #link: Link;
  readonly #opener: FrameOpener;
  readonly #sender: FrameSender;
  readonly #unpacker: FrameUnpacker;
  readonly #options: ConnectionOptions;
  readonly #codec: CodecContext;
  readonly #types = new ConnectionTypes();
  readonly #remotes = new Map<number, ActorAddress>();
  readonly #sent: SentPairs;
  readonly #onEnd: (connection: Connection, ending: Ending) => void;
  readonly #onOpen: (connection: Connection) => void;
  readonly #handler: RecordHandler;
  readonly #outbox: Outbox;
  readonly #receiveFlow: ReceiveFlow;
  readonly #keepalive: KeepAlive;
  readonly #keepaliveTimer: { stop(): void };
  /** No more sending: close() was called, the peer said CLOSE, or it failed. */
  #closing = false;
  #ending: Ending | undefined;

  constructor(init: {
    node: Node;
    link: Link;
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
    this.#link = init.link;
    this.#opener = init.opener;
    this.endpoint = init.endpoint;
    this.peerKey = init.peerKey;
    this.label = init.peerId;
    this.owner = init.owner;
    this.#options = init.options;
    this.#onEnd = init.onEnd;
    this.#onOpen = init.onOpen;
    this.#receiveFlow = new ReceiveFlow(init.options.windows);
    this.#sent = new SentPairs((id) => init.node.cell(id) !== undefined);
    this.#outbox = new Outbox({
      overflow: init.options.overflow,
      write: (item) => this.#write(item),
      report: (item, message, reason, code) => {
        const sender = item.from === 0 ? undefined : new ActorAddress(item.from);
        this.#node.undelivered(item.typeName, reason, code, message, sender, this.remote(item.to));
      },
      buffered: () => this.#link.buffered,
      log: (text) => this.#node.log('WARNING', `connection ${this.label}: ${text}`),
    });
    this.#sender = new FrameSender({
      link: init.link,
      sealer: init.sealer,
      maxFrameSize: init.options.maxFrameSize,
      receiveFlow: this.#receiveFlow,
      counters: this.counters,
    });
    this.#unpacker = new FrameUnpacker({
      maxMessageSize: init.options.maxMessageSize,
      maxReassemblyBytes: init.options.maxReassemblyBytes,
    });
    this.#codec = { addresses: addressCodec(this), viewBytes: true, types: this.#types };
    this.#handler = {
      message: (to, from, body) => this.#receiveMessage(to, from, body),
      control: controlReceiver({
        ping: () => this.#sender.control(CONTROL.pong),
        open: (open) => {
          if (this.remoteOwner) throw new CallsignError('ERR_MALFORMED_FRAME', 'OPEN sent twice');
          this.remoteOwner = this.remote(open.owner);
          this.#outbox.open(open);
          if (!this.closed) this.#onOpen(this);
        },
        close: (close) => {
          this.#closing = true;
          this.#link.close();
          this.#end({ here: false, code: close.code ?? 'ERR_CLOSED', reason: close.reason });
        },
        type: (type) => this.#types.define(type),
        credit: (payload) => {
          readCredits(payload, this.#takeCredit);
          this.#outbox.credited();
        },
      }),
    };
    const clock = init.node.clock;
    this.#keepalive = new KeepAlive(init.options, clock.now());
    this.#link.attach({
      frame: (bytes) => this.#receiveFrame(bytes),
      drain: () => this.#outbox.wake(),
      end: (ending) => this.#linkEnd(ending),
    });
    this.#keepaliveTimer = keepAliveTimer(this.#keepalive, clock, {
      ping: () => this.#sender.control(CONTROL.ping),
      dead: (silent) =>
        this.#fail('ERR_KEEPALIVE_TIMEOUT', `no word from the peer for ${silent} ms`),
      ended: () => this.#ending !== undefined,
    });
    this.#sender.control(
      CONTROL.open,
      encodeOpen({ owner: init.owner.id, ...init.options.windows }),
    );
  }

  /** True once no more can be sent: closing, closed or lost. */
  get closed(): boolean {
    return this.#closing || this.#ending !== undefined;
  }

  /** Why it ended, once it has. */
  get closeCode(): ErrorCode | undefined {
    return this.#ending
      ? (this.#ending.code ?? 'ERR_CLOSED')
      : this.#closing
        ? 'ERR_CLOSED'
        : undefined;
  }

  /** Messages waiting for the peer's window, in all. */
  get waiting(): number {
    return this.#outbox.waiting;
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

  /** Sets what happens to messages of local actor `from` to remote actor `to` that must wait. */
  setOverflow(from: number, to: number, overflow: Overflow): void {
    this.#outbox.setOverflow(from, to, overflow);
  }

  post(to: number, from: number, message: Message): boolean {
    if (this.closed) return false;
    const info = infoOf(message);
    if (info === undefined) {
      throw new CallsignError(
        'ERR_INVALID_MESSAGE',
        'cannot send it: not an instance of a class made by defineMessage',
      );
    }
    const packer = this.#sender.packer;
    // The first message of a type names it; the TYPE record goes into the frame before it.
    const type = this.#types.announce(info);
    if (type) packer.control(CONTROL.type, encodeType(type));
    // Encoded straight into the frame; taken back out only if it has to wait.
    const w = packer.beginMessage(to, from);
    try {
      writeMessage(w, message, this.#codec);
    } catch (err) {
      packer.abortMessage();
      throw err;
    }
    const size = packer.bodyLength;
    if (size > this.#options.maxMessageSize) {
      packer.abortMessage();
      throw new CallsignError(
        'ERR_MESSAGE_TOO_LARGE',
        `a message of ${size} bytes exceeds the limit of ${this.#options.maxMessageSize}`,
      );
    }
    const typeName = info.typeName;
    if (from !== 0) this.#sent.note(from, to);
    if (this.#outbox.mayGo(from, to, size)) {
      this.counters.messagesSent++;
      this.meter?.sent(from, to, size);
      this.#outbox.sent(from, to, typeName, size);
      packer.commitMessage();
      this.#sender.schedule();
      return true;
    }
    this.counters.waited++;
    this.#outbox.wait({ from, to, typeName, body: packer.retractMessage() }, message);
    return true;
  }

  /**
   * Resolves once nothing of local actor `from` waits for remote actor `to`,
   * the window to `to` is at most half used, and less than 1 MiB is buffered
   * for the link (at once if that is already so, or when the connection ends).
   */
  drained(from: number, to: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.#sender.flush();
    return this.#outbox.drained(from, to);
  }

  /**
   * Receipt: the node refused a message from the peer as an offence (a
   * control message to an actor without a session with its sender). A few
   * are forgiven; from the {@link REFUSALS_FORGIVEN}+1th on the connection
   * is the peer's to lose, closed with `code`.
   */
  refused(code: ErrorCode, reason: string): void {
    this.counters.refused++;
    if (this.counters.refused > REFUSALS_FORGIVEN) {
      this.#fail(code, `${this.counters.refused} refused messages, the last: ${reason}`);
    }
  }

  /** Receipt: whether local actor `local` has sent to the peer's actor `remote` here, so an `Undelivered` about it can be true. */
  sentTo(local: number, remote: number): boolean {
    return this.#sent.has(local, remote);
  }

  /** Receipt: local actor `to` took (or refused) a message of `bytes` that came over here. */
  taken(to: number, bytes: number): void {
    if (this.#ending) return;
    this.#receiveFlow.taken(to, bytes);
    if (this.#receiveFlow.hasCredit) this.#sender.schedule();
  }

  /**
   * Ends the connection from this side: what was written is delivered, what
   * still waits for the peer's window is reported `Undelivered`, the peer is
   * told, and the owner receives Closed. Safe to call twice.
   */
  close(reason = 'closed', code?: ErrorCode): void {
    if (this.closed) return;
    this.#closing = true;
    this.#sender.control(CONTROL.close, encodeClose({ code, reason }));
    this.#sender.flush();
    this.#link.close();
    this.#end({ here: true, code, reason });
  }

  #write(item: Waiting): void {
    this.counters.messagesSent++;
    this.meter?.sent(item.from, item.to, item.body.length);
    this.#outbox.sent(item.from, item.to, item.typeName, item.body.length);
    this.#sender.packer.message(item.to, item.from, item.body);
    this.#sender.schedule();
  }

  #end(ending: Ending): void {
    if (this.#ending) return;
    this.#ending = ending;
    this.#closing = true;
    this.#keepaliveTimer.stop();
    this.#unpacker.release();
    this.#sender.release();
    const code = ending.code ?? 'ERR_CLOSED';
    this.#outbox.end(code, LOSSES.has(code));
    this.#onEnd(this, ending);
  }

  /** The peer broke the protocol or went silent: tell it why where possible, and end. */
  #fail(code: ErrorCode, reason: string): void {
    if (this.#ending) return;
    this.#node.log(
      'WARNING',
      `connection ${this.label} (${this.endpoint}) abandoned: ${reason} (${code})`,
    );
    this.#closing = true;
    if (!this.#sender.linkEnded) {
      // Sealed, so the peer learns the real code, not only that the socket went.
      const packer = this.#sender.packer;
      packer.control(CONTROL.close, encodeClose({ code, reason }));
      packer.flush();
      this.#link.close(new CallsignError(code, reason));
    }
    this.#end({ here: false, code, reason });
  }

  #linkEnd(ending: LinkEnding): void {
    this.#sender.linkEnd();
    if (this.#ending) return;
    if (ending.code !== 'ERR_CLOSED' && ending.code !== 'ERR_CONNECTION_LOST') {
      this.#node.log(
        'WARNING',
        `connection ${this.label} (${this.endpoint}) abandoned: ${ending.reason} (${ending.code})`,
      );
    }
    this.#end({ here: false, code: ending.code, reason: ending.reason });
  }

  /** Credit the peer gave back for actor `to`. */
  readonly #takeCredit = (to: number, messages: number, bytes: number) =>
    this.#outbox.credit(to, messages, bytes);

  #receiveFrame(data: Uint8Array): void {
    if (this.#sender.linkEnded || (this.#ending && !this.#ending.here)) return;
    this.#keepalive.heard(this.#node.clock.now());
    this.counters.framesReceived++;
    try {
      // The link hands over a frame nobody else reads: it is opened where it lies.
      const plaintext = this.#opener.openInPlace(data);
      this.#unpacker.unpack(plaintext, this.#handler);
    } catch (err) {
      this.#fail(codeOf(err, 'ERR_MALFORMED_FRAME'), toError(err).message);
    }
  }

  #receiveMessage(to: number, from: number, body: Uint8Array): void {
    const size = body.length;
    this.#receiveFlow.arrived(to, size);
    let message: Message;
    try {
      message = decodeMessage(body, this.#codec);
    } catch (err) {
      // One bad message from an authenticated peer (a newer version, say) costs only itself.
      this.counters.undecodable++;
      this.taken(to, size);
      const code = codeOf(err, 'ERR_MALFORMED_MESSAGE');
      this.#node.log(
        'WARNING',
        `connection ${this.label}: message skipped: ${toError(err).message} (${code})`,
      );
      return;
    }
    this.counters.messagesReceived++;
    this.meter?.received(to, from, size);
    this.#node.deliver(to, message, from === 0 ? undefined : this.remote(from), this, size);
  }
}
