/**
 * Every error that callsign raises or reports carries a stable string `code`.
 * Compare by `code`, never by message text. Every code is listed in
 * `docs/errors.md`.
 *
 * @example
 * ```ts
 * try { decodeMessage(bytes) } catch (err) {
 *   if (isCallsignError(err) && err.code === 'ERR_MALFORMED_MESSAGE') { ... }
 * }
 * ```
 */
export const ERROR_CODES = [
  // messages
  'ERR_DUPLICATE_MESSAGE_TYPE',
  'ERR_UNKNOWN_MESSAGE',
  'ERR_MALFORMED_MESSAGE',
  'ERR_INVALID_MESSAGE',
  'ERR_MESSAGE_TOO_LARGE',
  // runtime
  'ERR_ACTOR_FAULTED',
  'ERR_ACTOR_STOPPED',
  'ERR_NO_SUCH_ACTOR',
  'ERR_INVALID_SETTINGS',
  'ERR_INVALID_STATE',
  'ERR_TIMEOUT',
  'ERR_ABORTED',
  'ERR_MAILBOX_FULL',
  'ERR_SAVED_OVERFLOW',
  'ERR_OVERFLOW_REFUSED',
  'ERR_OVERFLOW_DROPPED',
  'ERR_CONTROL_REFUSED',
  // wire
  'ERR_HANDSHAKE_FAILED',
  'ERR_WRONG_REALM',
  'ERR_PEER_KEY_MISMATCH',
  'ERR_PEER_NOT_TRUSTED',
  'ERR_PROTOCOL_VERSION',
  'ERR_FRAME_TRUNCATED',
  'ERR_FRAME_TOO_LARGE',
  'ERR_FRAME_FORGED',
  'ERR_FRAME_REPLAYED',
  'ERR_FRAME_REORDERED',
  'ERR_MALFORMED_FRAME',
  'ERR_INVALID_KEY',
  'ERR_INVALID_REALM',
  // transport
  'ERR_INVALID_ENDPOINT',
  'ERR_LISTEN_FAILED',
  'ERR_CONNECT_FAILED',
  'ERR_CONNECTION_LOST',
  'ERR_KEEPALIVE_TIMEOUT',
  'ERR_CLOSED',
  'ERR_TOO_MANY_CONNECTIONS',
  'ERR_TOO_MANY_PENDING',
  'ERR_HANDSHAKE_TIMEOUT',
  'ERR_HANDSHAKE_TOO_LARGE',
  'ERR_BAD_UPGRADE',
  'ERR_WS_PROTOCOL',
  'ERR_FRAGMENT_BUDGET',
  'ERR_FLOW_CONTROL',
  'ERR_INTERNAL',
  // directory
  'ERR_INVALID_LISTING',
  'ERR_INVALID_SEARCH',
  // publish / subscribe
  'ERR_DUPLICATE_LISTING',
  'ERR_NOT_AVAILABLE',
  'ERR_SESSION_REFUSED',
  'ERR_CLEARED',
  'ERR_RETRACTED',
  'ERR_PUBLISHER_ENDED',
  'ERR_SUBSCRIBER_ENDED',
  'ERR_ROUTE_REMOVED',
  // wan (the relay and its tenants)
  'ERR_WAN_NOT_ADMITTED',
  'ERR_WAN_LIMIT',
  'ERR_WAN_INVALID_ACCESS',
  'ERR_WAN_UNKNOWN_TENANT',
  'ERR_WAN_TENANT_EXISTS',
  'ERR_WAN_UNKNOWN_SITE',
  'ERR_WAN_SITE_EXISTS',
  'ERR_WAN_NATS',
  // streams
  'ERR_INVALID_SUBJECT',
  'ERR_INVALID_STREAM',
  'ERR_UNKNOWN_STREAM',
  'ERR_STREAM_EXISTS',
  'ERR_STREAM_FULL',
  'ERR_SUBJECT_NOT_BOUND',
  'ERR_WRONG_LAST_SEQUENCE',
  'ERR_INVALID_PARTITION',
  'ERR_NO_SUCH_RECORD',
  'ERR_INVALID_CONSUMER',
  'ERR_UNKNOWN_CONSUMER',
  'ERR_CONSUMER_EXISTS',
  'ERR_CONSUMER_BUSY',
  'ERR_STORAGE_CORRUPT',
  'ERR_STORAGE_FAILED',
  'ERR_STORAGE_BUSY',
  'ERR_STREAM_UNSUPPORTED',
  'ERR_STREAM_UNAVAILABLE',
  'ERR_NOT_SEALED',
  'ERR_SEALED_KEY',
  'ERR_SEALED_TAMPERED',
  'ERR_NOT_STREAM_ADMIN',
  // orchestrator (the callsign command line)
  'ERR_USAGE',
  'ERR_NO_HOME',
  'ERR_HOME_EXISTS',
  'ERR_INVALID_HOME',
  'ERR_INVALID_ROLE_NAME',
  'ERR_ROLE_EXISTS',
  'ERR_UNKNOWN_ROLE',
  'ERR_NO_ROLES',
  'ERR_PROGRAM_NOT_FOUND',
  'ERR_NOT_A_PROGRAM',
  'ERR_GROUP_RUNNING',
  'ERR_GROUP_NOT_RUNNING',
  'ERR_GROUP_DIRECTORY_FAILED',
  'ERR_SUPERVISOR_FAILED',
  'ERR_SUPERVISOR_DIED',
  'ERR_HOST_RUNNING',
  'ERR_HOST_NOT_RUNNING',
  'ERR_LAN_RUNNING',
  'ERR_LAN_NOT_RUNNING',
] as const;

/** One of the stable error codes in {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

declare const unknownCode: unique symbol;

/**
 * A code this version does not list, received from a peer of a newer
 * version. It is kept as it came (so it can be shown and passed on), but it
 * cannot be written by hand: only {@link ErrorCode}s can.
 */
export type UnknownErrorCode = string & { readonly [unknownCode]: true };

/**
 * The type of an error code that crosses the wire (the `code` of
 * NotPublished, Dropped, NotConnected, ...): one of {@link ErrorCode} when
 * sending; when receiving, possibly a newer peer's code, which decodes
 * without failing. {@link isErrorCode} tells the two apart.
 */
export type WireErrorCode = ErrorCode | UnknownErrorCode;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `code` is one of this version's {@link ERROR_CODES}. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/** The base of every error callsign raises. */
export class CallsignError extends Error {
  /** The stable code of this error; see {@link ERROR_CODES}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'CallsignError';
  }
}

/** True when `err` is a {@link CallsignError}, optionally with the given code. */
export function isCallsignError(err: unknown, code?: ErrorCode): err is CallsignError {
  return err instanceof CallsignError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into an Error, keeping a CallsignError as it is. */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}

/** The code of `err` if it has one, else `fallback`. */
export function codeOf(err: unknown, fallback: ErrorCode): ErrorCode {
  if (err instanceof CallsignError) return err.code;
  return fallback;
}
