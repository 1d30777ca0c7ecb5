import { CallsignError, ERROR_CODES, type ErrorCode } from '../errors.ts';
import { Reader, Writer } from '../messages/binary.ts';

/**
 * The payloads of CONTROL records (see records.ts): pure encoders and
 * decoders. Every decoder checks its input completely and throws
 * `ERR_MALFORMED_FRAME` for anything it does not expect, so a peer cannot
 * make the connection act on half-read control data.
 *
 * @module
 */

/** Control operations carried in CONTROL records. */
export const CONTROL = {
  /** Keep-alive probe; answered by PONG. */
  ping: 1,
  /** Keep-alive answer. */
  pong: 2,
  /** The actor that owns this end of the connection, and the windows it grants. */
  open: 3,
  /** The sender is closing: a code and a reason. */
  close: 4,
  /** The receiver has taken messages and grants the window back: per destination actor. */
  credit: 5,
  /** The id by which later messages of this connection name a message type. */
  type: 6,
} as const;

/** How many message types one connection may name by id. */
export const MAX_TYPES = 65_536;

/** What an OPEN record says. */
export interface OpenPayload {
  /** The actor id that owns this end of the connection (connector or listener). */
  owner: number;
  /** Messages the sender of OPEN accepts in flight to one of its actors. */
  actorMessages: number;
  /** Bytes (of message bodies) it accepts in flight to one of its actors. */
  actorBytes: number;
  /** Bytes it accepts in flight over the whole connection. */
  connectionBytes: number;
}

/** What a CLOSE record says. */
export interface ClosePayload {
  /** Why, as a stable code; undefined for a plain close. */
  code: ErrorCode | undefined;
  reason: string;
}

/** One entry of a CREDIT record: what the receiver took for one of its actors. */
export interface Credit {
  to: number;
  messages: number;
  bytes: number;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const MAX_REASON = 256;

function malformed(text: string): CallsignError {
  return new CallsignError('ERR_MALFORMED_FRAME', text);
}

/** Runs a decoder over `payload`, turning every failure into ERR_MALFORMED_FRAME. */
function decode<T>(what: string, payload: Uint8Array, read: (r: Reader) => T): T {
  try {
    const r = new Reader(payload);
    const value = read(r);
    r.end();
    return value;
  } catch (err) {
    if (err instanceof CallsignError && err.code === 'ERR_MALFORMED_FRAME') throw err;
    throw new CallsignError('ERR_MALFORMED_FRAME', `bad ${what} payload`, { cause: err });
  }
}

export function encodeOpen(open: OpenPayload): Uint8Array {
  const w = new Writer(32);
  w.varuint(open.owner);
  w.varuint(open.actorMessages);
  w.varuint(open.actorBytes);
  w.varuint(open.connectionBytes);
  return w.finish();
}

export function decodeOpen(payload: Uint8Array): OpenPayload {
  return decode('OPEN', payload, (r) => {
    const open = {
      owner: r.varuint(),
      actorMessages: r.varuint(),
      actorBytes: r.varuint(),
      connectionBytes: r.varuint(),
    };
    if (open.owner < 1) throw malformed('OPEN names actor 0');
    if (open.actorMessages < 1 || open.actorBytes < 1 || open.connectionBytes < 1) {
      throw malformed('OPEN grants an empty window');
    }
    return open;
  });
}

export function encodeClose(close: ClosePayload): Uint8Array {
  const w = new Writer(64);
  w.string(close.code ?? '');
  w.string(close.reason.length > MAX_REASON ? close.reason.slice(0, MAX_REASON) : close.reason);
  return w.finish();
}

export function decodeClose(payload: Uint8Array): ClosePayload {
  return decode('CLOSE', payload, (r) => {
    const code = r.string();
    const reason = r.string();
    if (code !== '' && !KNOWN_CODES.has(code)) {
      // A newer peer's code: keep the reason, say what it was.
      return { code: 'ERR_CLOSED', reason: `${code}: ${reason}` };
    }
    return { code: code === '' ? undefined : (code as ErrorCode), reason };
  });
}

export function encodeCredits(credits: Iterable<Credit>): Uint8Array {
  const w = new Writer(64);
  for (const c of credits) writeCredit(w, c.to, c.messages, c.bytes);
  return w.finish();
}

/** Writes one destination's credit into a CREDIT payload being built (see {@link encodeCredits}). */
export function writeCredit(w: Writer, to: number, messages: number, bytes: number): void {
  w.varuint(to);
  w.varuint(messages);
  w.varuint(bytes);
}

export function decodeCredits(payload: Uint8Array): Credit[] {
  const out: Credit[] = [];
  readCredits(payload, (to, messages, bytes) => out.push({ to, messages, bytes }));
  return out;
}

/**
 * Reads a CREDIT payload, handing each destination's credit to `visit` as
 * it goes (no objects); a malformed payload throws ERR_MALFORMED_FRAME,
 * possibly after some credits were visited.
 */
export function readCredits(
  payload: Uint8Array,
  visit: (to: number, messages: number, bytes: number) => void,
): void {
  if (payload.length === 0) throw malformed('empty CREDIT');
  // As decode() does, without a closure per record: this runs once per frame of a busy connection.
  const r = new Reader(payload);
  while (r.remaining > 0) {
    let to: number;
    let messages: number;
    let bytes: number;
    try {
      to = r.varuint();
      messages = r.varuint();
      bytes = r.varuint();
    } catch (err) {
      throw new CallsignError('ERR_MALFORMED_FRAME', 'bad CREDIT payload', { cause: err });
    }
    if (messages < 1) throw malformed('CREDIT of no message');
    visit(to, messages, bytes);
  }
}

/** What a TYPE record says: messages that start with `id` are of type `name`. */
export interface TypePayload {
  id: number;
  name: string;
}

export function encodeType(type: TypePayload): Uint8Array {
  const w = new Writer(64);
  w.varuint(type.id);
  w.string(type.name);
  return w.finish();
}

export function decodeType(payload: Uint8Array): TypePayload {
  return decode('TYPE', payload, (r) => {
    const id = r.varuint();
    const name = r.string();
    if (id < 1 || id > MAX_TYPES) throw malformed(`TYPE id ${id} out of range`);
    if (name.length === 0) throw malformed('TYPE without a name');
    return { id, name };
  });
}
