import { type DefinedMessageClass, defineMessage, type MessageOf } from './registry.ts';
import { t } from './schema.ts';

/**
 * The standard messages: what the runtime and the transport send to actors.
 * Their type names start with `callsign.`.
 *
 * Each is declared as an interface as well as a class, so that `instanceof`
 * narrows in both branches (see {@link DefinedMessageClass}).
 *
 * @module
 */

/** Why a message was not delivered; see {@link Undelivered}. */
export const UNDELIVERED_REASONS = [
  'mailbox-full',
  'no-such-actor',
  'saved-overflow',
  'closed',
] as const;

// ---------------------------------------------------------------------------
// Actors

const startFields = {};
/** A {@link Start} message. */
export interface Start extends MessageOf<typeof startFields> {}
/**
 * Sent to a machine actor as its first message, before anything else it receives.
 */
export const Start: DefinedMessageClass<typeof startFields, 'callsign.Start', Start> =
  defineMessage('callsign.Start', startFields);

const stopFields = {};
/** A {@link Stop} message. */
export interface Stop extends MessageOf<typeof stopFields> {}
/**
 * Asks an actor to end. Sent by a parent to its children, and to every actor
 * when the node shuts down. It is queued like any other message; the actor
 * ends by completing (a machine actor completes with {@link Aborted}).
 */
export const Stop: DefinedMessageClass<typeof stopFields, 'callsign.Stop', Stop> = defineMessage(
  'callsign.Stop',
  stopFields,
);

const completedFields = { value: t.any };
/** A {@link Completed} message. */
export interface Completed extends MessageOf<typeof completedFields> {}
/**
 * Sent to an actor's parent when the actor ends normally; `value` is what the
 * actor completed with (the return value of a function actor). Any `t.any`
 * value crosses the wire; see `docs/messages.md`.
 */
export const Completed: DefinedMessageClass<
  typeof completedFields,
  'callsign.Completed',
  Completed
> = defineMessage('callsign.Completed', completedFields);

const ackFields = {};
/** A {@link Ack} message. */
export interface Ack extends MessageOf<typeof ackFields> {}
/**
 * A positive reply: the request was done.
 */
export const Ack: DefinedMessageClass<typeof ackFields, 'callsign.Ack', Ack> = defineMessage(
  'callsign.Ack',
  ackFields,
);

const nakFields = { reason: t.optional(t.string) };
/** A {@link Nak} message. */
export interface Nak extends MessageOf<typeof nakFields> {}
/**
 * A negative reply: the request was refused, for `reason` when given.
 */
export const Nak: DefinedMessageClass<typeof nakFields, 'callsign.Nak', Nak> = defineMessage(
  'callsign.Nak',
  nakFields,
);

const enquiryFields = {};
/** A {@link Enquiry} message. */
export interface Enquiry extends MessageOf<typeof enquiryFields> {}
/**
 * Asks an actor whether it is there and working; it answers with {@link Ack}
 * (or {@link Nak} with a reason).
 */
export const Enquiry: DefinedMessageClass<typeof enquiryFields, 'callsign.Enquiry', Enquiry> =
  defineMessage('callsign.Enquiry', enquiryFields);

const pingFields = { sent: t.optional(t.float) };
/** A {@link Ping} message. */
export interface Ping extends MessageOf<typeof pingFields> {}
/**
 * A liveness probe between actors or nodes. `sent` is the sender's clock, in
 * seconds, when it was sent; a reply that carries it back lets the sender
 * measure the round trip.
 */
export const Ping: DefinedMessageClass<typeof pingFields, 'callsign.Ping', Ping> = defineMessage(
  'callsign.Ping',
  pingFields,
);

const abortedFields = { reason: t.optional(t.string) };
/** A {@link Aborted} message. */
export interface Aborted extends MessageOf<typeof abortedFields> {}
/**
 * The outcome of an actor that was stopped or aborted before it finished
 * (it received {@link Stop}, or its abort signal fired), sent to its parent in
 * place of {@link Completed}; `reason` says why when known.
 */
export const Aborted: DefinedMessageClass<typeof abortedFields, 'callsign.Aborted', Aborted> =
  defineMessage('callsign.Aborted', abortedFields);

const timedOutFields = { seconds: t.optional(t.float) };
/** A {@link TimedOut} message. */
export interface TimedOut extends MessageOf<typeof timedOutFields> {}
/**
 * The outcome of an actor, or of a wait, that ran out of time; `seconds` is
 * the limit that was exceeded.
 */
export const TimedOut: DefinedMessageClass<typeof timedOutFields, 'callsign.TimedOut', TimedOut> =
  defineMessage('callsign.TimedOut', timedOutFields);

const faultedFields = {
  code: t.string,
  message: t.string,
  stack: t.optional(t.string),
};
/** A {@link Faulted} message. */
export interface Faulted extends MessageOf<typeof faultedFields> {}
/**
 * Sent to an actor's parent when the actor crashed (threw, or its promise
 * rejected): the error's stable `code` (`ERR_ACTOR_FAULTED` when it had
 * none), its `message` and, when known, its `stack`.
 */
export const Faulted: DefinedMessageClass<typeof faultedFields, 'callsign.Faulted', Faulted> =
  defineMessage('callsign.Faulted', faultedFields);

const selectTimerFields = { seconds: t.float };
/** A {@link SelectTimer} message. */
export interface SelectTimer extends MessageOf<typeof selectTimerFields> {}
/**
 * What `select` returns when its timeout of `seconds` runs out before a
 * message it waits for arrives.
 */
export const SelectTimer: DefinedMessageClass<
  typeof selectTimerFields,
  'callsign.SelectTimer',
  SelectTimer
> = defineMessage('callsign.SelectTimer', selectTimerFields);

const undeliveredFields = {
  typeName: t.string,
  reason: t.enumOf(UNDELIVERED_REASONS),
};
/** A {@link Undelivered} message. */
export interface Undelivered extends MessageOf<typeof undeliveredFields> {}
/**
 * Returned to the sender of a message that could not be delivered:
 * `typeName` is the type of the lost message and `reason` says why: the
 * receiver's mailbox was full, there is no such actor (any more), its store of
 * saved messages overflowed, or the connection to it was closed.
 */
export const Undelivered: DefinedMessageClass<
  typeof undeliveredFields,
  'callsign.Undelivered',
  Undelivered
> = defineMessage('callsign.Undelivered', undeliveredFields);

// ---------------------------------------------------------------------------
// Connections: sent by the transport (see docs/transport.md). `endpoint` is
// the endpoint as printed; `code` is a stable error code from src/errors.ts.

const listeningFields = { endpoint: t.string };
/** A {@link Listening} message. */
export interface Listening extends MessageOf<typeof listeningFields> {}
/**
 * Sent to the actor that asked to listen, once listening on `endpoint` has
 * started; `endpoint` has the real port.
 */
export const Listening: DefinedMessageClass<
  typeof listeningFields,
  'callsign.Listening',
  Listening
> = defineMessage('callsign.Listening', listeningFields);

const notListeningFields = { endpoint: t.string, code: t.string, reason: t.string };
/** A {@link NotListening} message. */
export interface NotListening extends MessageOf<typeof notListeningFields> {}
/**
 * Sent to the actor that asked to listen when listening on `endpoint` could
 * not start (`code` e.g. `ERR_LISTEN_FAILED`, `ERR_INVALID_ENDPOINT`).
 */
export const NotListening: DefinedMessageClass<
  typeof notListeningFields,
  'callsign.NotListening',
  NotListening
> = defineMessage('callsign.NotListening', notListeningFields);

const connectedFields = { endpoint: t.string, peerKey: t.string };
/** A {@link Connected} message. */
export interface Connected extends MessageOf<typeof connectedFields> {}
/**
 * Sent to the actor that asked to connect, from the listening actor, once the
 * handshake with `endpoint` has completed; `peerKey` is the peer node's
 * long-term public key (base64), proven by the handshake.
 */
export const Connected: DefinedMessageClass<
  typeof connectedFields,
  'callsign.Connected',
  Connected
> = defineMessage('callsign.Connected', connectedFields);

const notConnectedFields = { endpoint: t.string, code: t.string, reason: t.string };
/** A {@link NotConnected} message. */
export interface NotConnected extends MessageOf<typeof notConnectedFields> {}
/**
 * Sent to the actor that asked to connect when connecting to `endpoint`
 * failed: nobody listens (`ERR_CONNECT_FAILED`), wrong realm
 * (`ERR_WRONG_REALM`), unexpected key (`ERR_PEER_KEY_MISMATCH`), ...
 */
export const NotConnected: DefinedMessageClass<
  typeof notConnectedFields,
  'callsign.NotConnected',
  NotConnected
> = defineMessage('callsign.NotConnected', notConnectedFields);

const acceptedFields = {
  endpoint: t.string,
  peerKey: t.string,
  /** The peer's address as this side sees it (`ip:port`), for TCP connections. */
  remote: t.optional(t.string),
};
/** A {@link Accepted} message. */
export interface Accepted extends MessageOf<typeof acceptedFields> {}
/**
 * Sent to the listening actor, from the connecting actor, when a node of the
 * realm has connected on `endpoint` and completed the handshake; `peerKey` is
 * that node's long-term public key (base64).
 */
export const Accepted: DefinedMessageClass<typeof acceptedFields, 'callsign.Accepted', Accepted> =
  defineMessage('callsign.Accepted', acceptedFields);

const closedFields = {
  endpoint: t.string,
  code: t.optional(t.string),
  reason: t.optional(t.string),
};
/** A {@link Closed} message. */
export interface Closed extends MessageOf<typeof closedFields> {}
/**
 * Sent to the owner of a connection (the connector or the listener) when it
 * was ended on this side, with `close(self, address)`; `code` and `reason`
 * say why when there was an error.
 */
export const Closed: DefinedMessageClass<typeof closedFields, 'callsign.Closed', Closed> =
  defineMessage('callsign.Closed', closedFields);

const abandonedFields = { endpoint: t.string, code: t.string, reason: t.string };
/** A {@link Abandoned} message. */
export interface Abandoned extends MessageOf<typeof abandonedFields> {}
/**
 * Sent to the owner of a connection when it ended without being closed on
 * this side: ended by the peer (`ERR_CLOSED`), lost (`ERR_CONNECTION_LOST`),
 * silent (`ERR_KEEPALIVE_TIMEOUT`), or the peer broke the protocol
 * (`ERR_FRAME_*`, `ERR_MALFORMED_FRAME`).
 */
export const Abandoned: DefinedMessageClass<
  typeof abandonedFields,
  'callsign.Abandoned',
  Abandoned
> = defineMessage('callsign.Abandoned', abandonedFields);
