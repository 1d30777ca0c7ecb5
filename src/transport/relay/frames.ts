/**
 * The frames a node and a WAN relay exchange over one WebSocket (a relay
 * session), as pure encoders and decoders; docs/wan.md draws them. Every
 * decoder checks its input completely and throws `ERR_MALFORMED_FRAME`, so
 * that neither side acts on half-read bytes.
 *
 * First come the admission frames: HELLO (which tenant, which site, which
 * peer, a nonce), CHALLENGE, PROOF, WELCOME or REFUSED. A site's directory
 * sends a HELLO of kind `site` and then runs the callsign handshake with the
 * relay's credentials. After WELCOME a session carries circuits: each
 * frame is a type byte, a circuit id (u32, big-endian) and its payload; DATA
 * payloads are the sealed frames of an end-to-end connection, which the
 * relay passes on without reading.
 *
 * @module
 */
import { CallsignError, ERROR_CODES, type ErrorCode } from '../../errors.ts';

/** Frame types. */
export const RELAY_FRAME = {
  hello: 0x01,
  challenge: 0x02,
  proof: 0x03,
  welcome: 0x04,
  refused: 0x05,
  open: 0x10,
  opened: 0x11,
  incoming: 0x12,
  data: 0x13,
  close: 0x14,
  ping: 0x15,
  pong: 0x16,
} as const;

/** The start of every HELLO: the protocol and its version. */
const MAGIC = Buffer.from('cswan1', 'latin1');
const NONCE = 16;
const MAC = 32;
/** Type byte and circuit id. */
export const CIRCUIT_HEADER = 5;

/** Tenant and site names: lower-case letters, digits and inner dashes, 1 to 63 characters. */
export const RELAY_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A peer: a node's public key as the directories carry it (base64), or another short id. */
export const RELAY_PEER = /^[A-Za-z0-9+/=_-]{1,64}$/;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** A HELLO: the first frame of every link to the relay. */
export type Hello =
  | { kind: 'site'; tenant: string }
  | { kind: 'session'; tenant: string; site: string; peer: string; nonce: Uint8Array };

/** A frame of an admitted session. */
export type CircuitFrame =
  | { type: 'open'; circuit: number; peer: string }
  | { type: 'opened'; circuit: number }
  | { type: 'incoming'; circuit: number }
  | { type: 'data'; circuit: number; payload: Uint8Array }
  | { type: 'close'; circuit: number; code: ErrorCode }
  | { type: 'ping' }
  | { type: 'pong' };

function malformed(what: string): CallsignError {
  return new CallsignError('ERR_MALFORMED_FRAME', `relay frame: ${what}`);
}

function text8(value: string, what: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 255) throw new CallsignError('ERR_INVALID_SETTINGS', `${what} too long`);
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}

/** Reads a length-prefixed string at `at`; answers it and the offset after it. */
function readText8(bytes: Uint8Array, at: number, what: string): [string, number] {
  const n = bytes[at];
  if (n === undefined || at + 1 + n > bytes.length) throw malformed(`${what} truncated`);
  return [Buffer.from(bytes.buffer, bytes.byteOffset + at + 1, n).toString('utf8'), at + 1 + n];
}

function checkName(value: string, what: string): string {
  if (!RELAY_NAME.test(value)) throw malformed(`bad ${what} ${JSON.stringify(value.slice(0, 64))}`);
  return value;
}

function checkPeer(value: string): string {
  if (!RELAY_PEER.test(value)) throw malformed('bad peer id');
  return value;
}

// ------------------------------------------------------------------ admission

/** Encodes a HELLO. */
export function encodeHello(hello: Hello): Uint8Array {
  const parts: Uint8Array[] = [Buffer.of(RELAY_FRAME.hello), MAGIC];
  if (hello.kind === 'site') {
    parts.push(Buffer.of(1), text8(hello.tenant, 'tenant'));
  } else {
    if (hello.nonce.length !== NONCE) throw new RangeError(`a nonce is ${NONCE} bytes`);
    parts.push(
      Buffer.of(2),
      text8(hello.tenant, 'tenant'),
      text8(hello.site, 'site'),
      text8(hello.peer, 'peer'),
      Buffer.from(hello.nonce),
    );
  }
  return Buffer.concat(parts);
}

/** Decodes a HELLO; throws `ERR_MALFORMED_FRAME` for anything else. */
export function decodeHello(bytes: Uint8Array): Hello {
  if (bytes[0] !== RELAY_FRAME.hello) throw malformed('not a HELLO');
  if (!Buffer.from(bytes.buffer, bytes.byteOffset + 1, MAGIC.length).equals(MAGIC)) {
    throw malformed('not a callsign relay HELLO (or another version)');
  }
  let at = 1 + MAGIC.length;
  const kind = bytes[at++];
  let tenant: string;
  [tenant, at] = readText8(bytes, at, 'tenant');
  checkName(tenant, 'tenant');
  if (kind === 1) {
    if (at !== bytes.length) throw malformed('trailing bytes');
    return { kind: 'site', tenant };
  }
  if (kind !== 2) throw malformed(`unknown HELLO kind ${kind}`);
  const [site, afterSite] = readText8(bytes, at, 'site');
  const [peer, afterPeer] = readText8(bytes, afterSite, 'peer');
  at = afterPeer;
  if (at + NONCE !== bytes.length) throw malformed('bad HELLO length');
  return {
    kind: 'session',
    tenant,
    site: checkName(site, 'site'),
    peer: checkPeer(peer),
    nonce: Uint8Array.prototype.slice.call(bytes, at),
  };
}

/** The relay's CHALLENGE: a nonce of its own. */
export function encodeChallenge(nonce: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.of(RELAY_FRAME.challenge), Buffer.from(nonce)]);
}

/** A PROOF or WELCOME: the MAC it carries. */
export function encodeMac(type: 'proof' | 'welcome', mac: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.of(RELAY_FRAME[type]), Buffer.from(mac)]);
}

/** A REFUSED with its code and reason. */
export function encodeRefused(code: ErrorCode, reason: string): Uint8Array {
  return Buffer.concat([
    Buffer.of(RELAY_FRAME.refused),
    text8(code, 'code'),
    text8(reason.slice(0, 200), 'reason'),
  ]);
}

/** An admission frame as the client reads it. */
export type AdmissionFrame =
  | { type: 'challenge'; nonce: Uint8Array }
  | { type: 'proof'; mac: Uint8Array }
  | { type: 'welcome'; mac: Uint8Array }
  | { type: 'refused'; code: ErrorCode; reason: string };

/** Decodes CHALLENGE, PROOF, WELCOME or REFUSED. */
export function decodeAdmission(bytes: Uint8Array): AdmissionFrame {
  const type = bytes[0];
  const body = Uint8Array.prototype.slice.call(bytes, 1);
  if (type === RELAY_FRAME.challenge) {
    if (body.length !== NONCE) throw malformed('bad CHALLENGE length');
    return { type: 'challenge', nonce: body };
  }
  if (type === RELAY_FRAME.proof || type === RELAY_FRAME.welcome) {
    if (body.length !== MAC) throw malformed('bad MAC length');
    return { type: type === RELAY_FRAME.proof ? 'proof' : 'welcome', mac: body };
  }
  if (type === RELAY_FRAME.refused) {
    const [code, at] = readText8(bytes, 1, 'code');
    const [reason, end] = readText8(bytes, at, 'reason');
    if (end !== bytes.length) throw malformed('trailing bytes');
    return {
      type: 'refused',
      code: KNOWN_CODES.has(code) ? (code as ErrorCode) : 'ERR_INTERNAL',
      reason,
    };
  }
  throw malformed(`unexpected frame type ${type} during admission`);
}

/** The nonce length of HELLO and CHALLENGE. */
export const RELAY_NONCE_LENGTH = NONCE;

// ------------------------------------------------------------------- circuits

function header(type: number, circuit: number, extra: number): Buffer {
  const b = Buffer.allocUnsafe(CIRCUIT_HEADER + extra);
  b[0] = type;
  b.writeUInt32BE(circuit >>> 0, 1);
  return b;
}

/** OPEN: a circuit to `peer`, numbered `circuit` by the side that opens it. */
export function encodeOpen(circuit: number, peer: string): Uint8Array {
  const p = text8(peer, 'peer');
  const b = header(RELAY_FRAME.open, circuit, p.length);
  p.copy(b, CIRCUIT_HEADER);
  return b;
}

/** OPENED, INCOMING, PING or PONG: a type and a circuit, nothing more. */
export function encodeBare(type: 'opened' | 'incoming' | 'ping' | 'pong', circuit = 0): Uint8Array {
  return header(RELAY_FRAME[type], circuit, 0);
}

/** DATA: `payload` on `circuit` (copied once, behind the header). */
export function encodeData(circuit: number, payload: Uint8Array): Uint8Array {
  const b = header(RELAY_FRAME.data, circuit, payload.length);
  b.set(payload, CIRCUIT_HEADER);
  return b;
}

/** CLOSE of `circuit`, with why. */
export function encodeClose(circuit: number, code: ErrorCode): Uint8Array {
  const c = text8(code, 'code');
  const b = header(RELAY_FRAME.close, circuit, c.length);
  c.copy(b, CIRCUIT_HEADER);
  return b;
}

/** The circuit a circuit frame names, read without decoding the rest (the relay's hot path). */
export function circuitOf(bytes: Uint8Array): number {
  return ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
}

/** Renames the circuit of a frame in place (the relay forwards DATA with the far side's id). */
export function setCircuit(bytes: Uint8Array, circuit: number): void {
  bytes[1] = (circuit >>> 24) & 0xff;
  bytes[2] = (circuit >>> 16) & 0xff;
  bytes[3] = (circuit >>> 8) & 0xff;
  bytes[4] = circuit & 0xff;
}

/** Decodes a frame of an admitted session. DATA's payload is a view of `bytes`. */
export function decodeCircuitFrame(bytes: Uint8Array): CircuitFrame {
  if (bytes.length < CIRCUIT_HEADER) throw malformed(`${bytes.length} bytes is too short`);
  const type = bytes[0];
  const circuit = circuitOf(bytes);
  const rest = bytes.length - CIRCUIT_HEADER;
  switch (type) {
    case RELAY_FRAME.data:
      return { type: 'data', circuit, payload: bytes.subarray(CIRCUIT_HEADER) };
    case RELAY_FRAME.open: {
      const [peer, end] = readText8(bytes, CIRCUIT_HEADER, 'peer');
      if (end !== bytes.length) throw malformed('trailing bytes');
      return { type: 'open', circuit, peer: checkPeer(peer) };
    }
    case RELAY_FRAME.close: {
      const [code, end] = readText8(bytes, CIRCUIT_HEADER, 'code');
      if (end !== bytes.length) throw malformed('trailing bytes');
      return {
        type: 'close',
        circuit,
        code: KNOWN_CODES.has(code) ? (code as ErrorCode) : 'ERR_CONNECTION_LOST',
      };
    }
    case RELAY_FRAME.opened:
    case RELAY_FRAME.incoming:
      if (rest !== 0) throw malformed('trailing bytes');
      return { type: type === RELAY_FRAME.opened ? 'opened' : 'incoming', circuit };
    case RELAY_FRAME.ping:
    case RELAY_FRAME.pong:
      if (rest !== 0) throw malformed('trailing bytes');
      return { type: type === RELAY_FRAME.ping ? 'ping' : 'pong' };
    default:
      throw malformed(`unknown frame type ${type}`);
  }
}
