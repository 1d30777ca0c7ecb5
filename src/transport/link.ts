import type { CallsignError, ErrorCode } from '../errors.ts';
import type { Clock } from '../runtime/clock.ts';
import type { LogLevel } from '../runtime/log.ts';
import type { NodeKeys } from '../wire/keys.ts';
import type { Realm } from '../wire/realm.ts';

/**
 * The transport contract: a {@link Link} carries whole binary frames between
 * two nodes, in order, with backpressure; a {@link LinkTransport} listens for
 * and dials links. Everything above it (the handshake, sealing, records,
 * keep-alive, flow control) is the same whatever carries the frames: ws over
 * a unix socket or TCP (`wsTransport`), an in-process pair
 * (`memoryTransport`), and later a WAN relay. Every implementation runs the
 * compliance suite `describeTransport`.
 *
 * @module
 */

/** How a link ended, as the side that sees it. */
export interface LinkEnding {
  /** True when this side ended it with {@link Link.close}. */
  readonly here: boolean;
  /** Why: the code given to close, the code the peer sent, or ERR_CONNECTION_LOST. */
  readonly code: ErrorCode;
  readonly reason: string;
}

/** What a link tells the layer above. */
export interface LinkEvents {
  /** One whole frame from the peer; the bytes are the handler's to keep. */
  frame(bytes: Uint8Array): void;
  /** What was buffered for sending has gone below the link's low-water mark. */
  drain(): void;
  /** The link has ended; called once, and nothing is called after it. */
  end(ending: LinkEnding): void;
}

/**
 * What the handshake over one link uses instead of the node's own realm,
 * keys or expectations: a link to a WAN relay is secured with the relay's
 * credentials, never the realm's (docs/wan.md).
 */
export interface LinkHandshake {
  readonly realm?: Realm;
  readonly keys?: NodeKeys;
  /** The long-term key the peer must prove it holds. */
  readonly expectedPeerKey?: Uint8Array;
  /** Decides whether the (authenticated) peer may stay. */
  readonly trust?: (peerPublicKey: Uint8Array) => boolean;
}

/** One link between two nodes (before or after the handshake). */
export interface Link {
  /** The peer's address as this side sees it (`ip:port`), for TCP links. */
  readonly remote: string | undefined;
  /** When set, the handshake over this link uses these instead of the node's. */
  readonly handshake?: LinkHandshake | undefined;
  /** Bytes given to {@link Link.send} that the link has not yet handed on. */
  readonly buffered: number;
  /** True once the link has ended. */
  readonly isClosed: boolean;
  /**
   * Sets (or replaces) the handler of the link's events. Frames that arrive
   * before the first call wait for it.
   */
  attach(events: LinkEvents): void;
  /**
   * Sends one frame; the link owns `frame` from now on. Ignored once closed.
   *
   * `written`, when given, is called once the link has handed the frame's
   * bytes on (to the kernel, say) and keeps no reference to them, so that
   * the sender may fill the same buffer again. A link that passes the bytes
   * themselves to the peer never calls it, nor does one that was closed
   * before the frame went.
   */
  send(frame: Uint8Array, written?: () => void): void;
  /**
   * Sends one frame given as the pieces that make it, in order (see
   * `FrameSealer.sealParts`), as {@link Link.send} would send them joined;
   * the link owns them from now on. Optional: a link that can write pieces
   * without joining them first (a socket's writev) offers it.
   */
  sendParts?(parts: readonly Uint8Array[]): void;
  /**
   * The handshake has completed: lift the limits that hold for strangers
   * (pending count, handshake deadline, handshake frame size).
   */
  authenticated(): void;
  /**
   * Ends the link. Without `err`, what was sent is delivered first; with
   * `err`, its code is passed to the peer where the link can still say it,
   * and the link is cut soon after. Safe to call twice.
   */
  close(err?: CallsignError): void;
  /**
   * Cuts the link at once, without a goodbye, as the death of this process
   * would: the peer sees ERR_CONNECTION_LOST.
   */
  sever(): void;
  /** Resolves once the link has ended. */
  closed(): Promise<LinkEnding>;
}

/** Limits that protect a listener from strangers; see docs/transport.md. */
export interface ListenerLimits {
  /** The most links one listener holds at once. */
  maxConnections: number;
  /** The most links that have not finished their handshake. */
  maxPending: number;
  /** Time from accepting a link to its finished handshake, in ms. */
  handshakeMs: number;
  /** The largest frame accepted after the handshake (sealed frame bytes). */
  maxFrameBytes: number;
}

/** What a listening or dialling transport needs from the node. */
export interface LinkContext {
  readonly clock: Clock;
  log(level: LogLevel, text: string): void;
}

/** Options of {@link LinkTransport.listen}. */
export interface ListenInit {
  readonly limits: ListenerLimits;
  readonly context: LinkContext;
  /** Called with each accepted link, before any of its frames is read. */
  onLink(link: Link): void;
}

/** A running listener. */
export interface LinkListener {
  /** The endpoint as bound (port 0 replaced by the real port). */
  readonly endpoint: string;
  /** Links held now, and how many of them have not finished their handshake. */
  readonly counts: { readonly links: number; readonly pending: number };
  /** Stops accepting and cuts the links that have not finished their handshake. */
  close(): Promise<void>;
}

/** Options of {@link LinkTransport.dial}. */
export interface DialInit {
  readonly context: LinkContext;
  /** Give up after this long, in ms. */
  readonly timeoutMs: number;
  /** The largest frame accepted after the handshake (sealed frame bytes). */
  readonly maxFrameBytes: number;
  /**
   * The dialler's first frame (the handshake's M1), given only to a
   * transport that says {@link LinkTransport.carriesHello}: it goes with the
   * opening of the link (the ws carrier puts it in its upgrade request), and
   * the listener's side of the link gives it as the link's first frame, so
   * the listener answers it without another round trip. The link that dial
   * resolves to must not ask for other credentials ({@link Link.handshake}):
   * the hello was made with the node's realm.
   */
  readonly hello?: Uint8Array;
}

/** Listens for and dials links of one kind. */
export interface LinkTransport {
  /** A short name for logs, e.g. `ws`. */
  readonly name: string;
  /** True when {@link LinkTransport.dial} carries {@link DialInit.hello} with the link's opening. */
  readonly carriesHello?: boolean;
  /** Starts listening at `endpoint` (its text form, see endpoint.ts). */
  listen(endpoint: string, init: ListenInit): Promise<LinkListener>;
  /** Opens a link to `endpoint`; rejects with ERR_CONNECT_FAILED when nobody answers. */
  dial(endpoint: string, init: DialInit): Promise<Link>;
}
