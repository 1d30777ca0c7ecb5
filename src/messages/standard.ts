import { defineMessage } from './registry.ts';
import { t } from './schema.ts';

/**
 * The standard messages: what the runtime and the transport send to actors.
 * Their type names start with `callsign.`.
 *
 * Each is one class declaration that extends its definition, so that
 * `instanceof` narrows in both branches.
 *
 * @module
 */

/** Why a message was not delivered; see {@link Undelivered}. */
export const UNDELIVERED_REASONS = [
  'mailbox-full',
  'no-such-actor',
  'saved-overflow',
  'closed',
  'overflow',
  'unconfirmed',
  'refused',
] as const;

// ---------------------------------------------------------------------------
// Actors

/**
 * Sent to a machine actor as its first message, before anything else it receives.
 */
export class Start extends defineMessage('callsign.Start', {}) {}

/**
 * Asks an actor to end. Sent by a parent to its children, and to every actor
 * when the node shuts down. It is queued like any other message; the actor
 * ends by completing (a machine actor completes with {@link Aborted}).
 */
export class Stop extends defineMessage('callsign.Stop', {}) {}

/**
 * Sent to an actor's parent when the actor ends normally; `value` is what the
 * actor completed with (the return value of a function actor). Any `t.any`
 * value crosses the wire; see `docs/messages.md`.
 */
export class Completed extends defineMessage('callsign.Completed', { value: t.any }) {}

/**
 * A positive reply: the request was done.
 */
export class Ack extends defineMessage('callsign.Ack', {}) {}

/**
 * A negative reply: the request was refused, for `reason` when given.
 */
export class Nak extends defineMessage('callsign.Nak', { reason: t.optional(t.string) }) {}

/**
 * Asks an actor whether it is there and working; it answers with {@link Ack}
 * (or {@link Nak} with a reason).
 */
export class Enquiry extends defineMessage('callsign.Enquiry', {}) {}

/**
 * A liveness probe between actors or nodes. `sent` is the sender's clock, in
 * seconds, when it was sent; a reply that carries it back lets the sender
 * measure the round trip.
 */
export class Ping extends defineMessage('callsign.Ping', { sent: t.optional(t.float) }) {}

/**
 * The outcome of an actor that was stopped or aborted before it finished
 * (it received {@link Stop}, or its abort signal fired), sent to its parent in
 * place of {@link Completed}; `reason` says why when known.
 */
export class Aborted extends defineMessage('callsign.Aborted', { reason: t.optional(t.string) }) {}

/**
 * The outcome of an actor, or of a wait, that ran out of time; `seconds` is
 * the limit that was exceeded.
 */
export class TimedOut extends defineMessage('callsign.TimedOut', {
  seconds: t.optional(t.float),
}) {}

/**
 * Sent to an actor's parent when the actor crashed (threw, or its promise
 * rejected): the error's stable `code` (`ERR_ACTOR_FAULTED` when it had
 * none), its `message` and, when known, its `stack`.
 */
export class Faulted extends defineMessage('callsign.Faulted', {
  code: t.string,
  message: t.string,
  stack: t.optional(t.string),
}) {}

/**
 * What `select` returns when its timeout of `seconds` runs out before a
 * message it waits for arrives.
 */
export class SelectTimer extends defineMessage('callsign.SelectTimer', { seconds: t.float }) {}

/**
 * Returned to the sender of a message that could not be delivered:
 * `typeName` is the type of the lost message and `reason` says why: the
 * receiver's mailbox was full, there is no such actor (any more), its store of
 * saved messages overflowed, the connection to it was closed before the
 * message was written (`closed`), the sender's overflow policy refused or
 * dropped it (`overflow`), or the connection was lost after it was written
 * and before the receiver confirmed taking it (`unconfirmed`: it may or may
 * not have arrived), or it was a runtime control message from a peer the
 * receiver has no session with (`refused`). `code` is the stable error code of the cause (see
 * docs/errors.md), e.g. `ERR_MAILBOX_FULL` or `ERR_CONNECTION_LOST`.
 * `count` (1 when absent) is how many lost messages this one notice stands
 * for: notices that find their sender's mailbox full are merged into the
 * newest one there like them (same type, reason, code and receiver), so a
 * sender that floods a dead peer learns of every message without its own
 * mailbox growing.
 */
export class Undelivered extends defineMessage('callsign.Undelivered', {
  typeName: t.string,
  reason: t.enumOf(UNDELIVERED_REASONS),
  code: t.optional(t.string),
  count: t.optional(t.uint),
}) {}

// ---------------------------------------------------------------------------
// Connections: sent by the transport (see docs/transport.md). `endpoint` is
// the endpoint as printed; `code` is a stable error code from src/errors.ts.

/**
 * Sent to the actor that asked to listen, once listening on `endpoint` has
 * started; `endpoint` has the real port.
 */
export class Listening extends defineMessage('callsign.Listening', { endpoint: t.string }) {}

/**
 * Sent to the actor that asked to listen when listening on `endpoint` could
 * not start (`code` e.g. `ERR_LISTEN_FAILED`, `ERR_INVALID_ENDPOINT`).
 */
export class NotListening extends defineMessage('callsign.NotListening', {
  endpoint: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/**
 * Sent to the actor that asked to connect, from the listening actor, once the
 * handshake with `endpoint` has completed; `peerKey` is the peer node's
 * long-term public key (base64), proven by the handshake.
 */
export class Connected extends defineMessage('callsign.Connected', {
  endpoint: t.string,
  peerKey: t.string,
}) {}

/**
 * Sent to the actor that asked to connect when connecting to `endpoint`
 * failed: nobody listens (`ERR_CONNECT_FAILED`), wrong realm
 * (`ERR_WRONG_REALM`), unexpected key (`ERR_PEER_KEY_MISMATCH`), ...
 */
export class NotConnected extends defineMessage('callsign.NotConnected', {
  endpoint: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/**
 * Sent to the listening actor, from the connecting actor, when a node of the
 * realm has connected on `endpoint` and completed the handshake; `peerKey` is
 * that node's long-term public key (base64).
 */
export class Accepted extends defineMessage('callsign.Accepted', {
  endpoint: t.string,
  peerKey: t.string,
  /** The peer's address as this side sees it (`ip:port`), for TCP connections. */
  remote: t.optional(t.string),
}) {}

/**
 * Sent to the owner of a connection (the connector or the listener) when it
 * was ended on this side, with `close(self, address)`; `code` and `reason`
 * say why when there was an error.
 */
export class Closed extends defineMessage('callsign.Closed', {
  endpoint: t.string,
  code: t.optional(t.errorCode),
  reason: t.optional(t.string),
}) {}

/**
 * Sent to the owner of a connection when it ended without being closed on
 * this side: ended by the peer (`ERR_CLOSED`), lost (`ERR_CONNECTION_LOST`),
 * silent (`ERR_KEEPALIVE_TIMEOUT`), or the peer broke the protocol
 * (`ERR_FRAME_*`, `ERR_MALFORMED_FRAME`).
 */
export class Abandoned extends defineMessage('callsign.Abandoned', {
  endpoint: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}
