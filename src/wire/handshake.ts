/**
 * The connection handshake: two pure state machines on bytes. The protocol,
 * its byte layout and the reasons for its choices are in docs/security.md;
 * the comments here refer to its names (M1, M2, M3, h0..h4).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  timingSafeEqual,
} from 'node:crypto';
import { CallsignError, type ErrorCode } from '../errors.ts';
import {
  assertNodeKeys,
  equalBytes,
  NODE_PUBLIC_KEY_LENGTH,
  type NodeKeys,
  nodeId,
} from './keys.ts';
import { assertRealm, type Realm } from './realm.ts';
import { checkMaxFrameSize, FrameOpener, FrameSealer } from './seal.ts';
import { signDetached, verifyDetached } from './signature.ts';
import { agree, type EphemeralKeys, ephemeralKeys } from './x25519.ts';

/** The handshake protocol version this implementation speaks. */
export const HANDSHAKE_PROTOCOL_VERSION = 1;
const PROTOCOL_VERSION = HANDSHAKE_PROTOCOL_VERSION;

/** Message types (second byte of every handshake message). */
const HELLO = 1;
const RESPONSE = 2;
const FINISH = 3;
const REJECT = 0x7f;

/** Reasons in a REJECT message. */
const REJECT_VERSION = 1;
const REJECT_REALM = 2;

const KEY = 32;
const SIGNATURE = 64;
const TAG = 16;
const HEADER = 2;
/** An encrypted identity: public key ‖ signature, plus the AEAD tag. */
const SEALED_IDENTITY = NODE_PUBLIC_KEY_LENGTH + SIGNATURE + TAG;

/** M1: version, type, eI, mac1. */
export const HELLO_LENGTH = HEADER + KEY + KEY;
/** M2: version, type, eR, sealed (sR ‖ sigR). */
export const RESPONSE_LENGTH = HEADER + KEY + SEALED_IDENTITY;
/** M3: version, type, sealed (sI ‖ sigI). */
export const FINISH_LENGTH = HEADER + SEALED_IDENTITY;
/** REJECT: version, type, reason. */
export const REJECT_LENGTH = 3;

const ascii = (text: string) => Buffer.from(text, 'latin1');
const PROTOCOL_NAME = ascii('callsign handshake v1');
const LABEL_HELLO_KEY = ascii('callsign v1 hello mac key');
const LABEL_PSK = ascii('callsign v1 realm psk');
const LABEL_HANDSHAKE_KEYS = ascii('callsign v1 handshake keys');
const LABEL_TRAFFIC_KEYS = ascii('callsign v1 traffic keys');
const LABEL_RESPONDER_SIGNATURE = ascii('callsign v1 responder signature');
const LABEL_INITIATOR_SIGNATURE = ascii('callsign v1 initiator signature');
const ZERO_NONCE = Buffer.alloc(12);
const EMPTY = Buffer.alloc(0);
/** h0 = SHA-256("callsign handshake v1") */
const H0 = createHash('sha256').update(PROTOCOL_NAME).digest();

/** What a node brings to a handshake. */
export interface HandshakeInit {
  /** The realm both nodes must share. */
  realm: Realm;
  /** This node's long-term identity. */
  keys: NodeKeys;
  /**
   * The peer's public key, when the caller knows whom it means to reach; any
   * other peer fails with `ERR_PEER_KEY_MISMATCH`.
   */
  expectedPeerKey?: Uint8Array | undefined;
  /**
   * Decides whether a peer may connect, given its (authenticated) public key;
   * `false` or a throw fails with `ERR_PEER_NOT_TRUSTED`. Runs after the
   * `expectedPeerKey` check.
   */
  trust?: ((peerPublicKey: Uint8Array) => boolean) | undefined;
  /** Largest plaintext per frame for the resulting sealer and opener. */
  maxFrameSize?: number;
}

/** A completed handshake: who the peer is and how to talk to it. */
export interface HandshakeResult {
  /** The peer's long-term public key, proven by its signature. */
  peerKey: Uint8Array;
  /** {@link nodeId} of `peerKey`. */
  peerId: string;
  /** Seals frames to the peer. */
  sealer: FrameSealer;
  /** Opens frames from the peer. */
  opener: FrameOpener;
}

/** What one handshake step produced: bytes to send, a result, or both. */
export interface HandshakeStep {
  send?: Uint8Array;
  result?: HandshakeResult;
}

/**
 * The error a handshake step throws. When `reply` is set, the handshake
 * failed before any secret was shared and the failing side may send `reply`
 * (a 3-byte REJECT) before closing, so that the peer learns why
 * (`ERR_PROTOCOL_VERSION` or `ERR_WRONG_REALM`) instead of seeing a bare close.
 * A REJECT is not authenticated: it is a diagnostic, never a reason to retry
 * with a weaker setting.
 */
export class HandshakeError extends CallsignError {
  /** Bytes to send to the peer before closing, if any. */
  readonly reply: Uint8Array | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; reply?: Uint8Array } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandshakeError';
    this.reply = options.reply;
  }
}

/**
 * The side that opens the connection.
 *
 * @example
 * ```ts
 * const hs = new InitiatorHandshake({ realm, keys, expectedPeerKey });
 * ws.send(hs.start());                       // M1
 * const { send, result } = hs.receive(m2);   // throws CallsignError on failure
 * ws.send(send!);                            // M3; then frames: result!.sealer.seal(...)
 * ```
 */
export class InitiatorHandshake {
  readonly #context: Context;
  #state: 'new' | 'hello-sent' | 'done' | 'failed' = 'new';
  #failure: CallsignError | undefined;
  #ephemeral: EphemeralKeys | undefined;
  #h1: Uint8Array | undefined;

  /**
   * @throws CallsignError `ERR_INVALID_REALM`, `ERR_INVALID_KEY` or
   *   `ERR_INVALID_SETTINGS` for a bad `init`.
   */
  constructor(init: HandshakeInit) {
    this.#context = prepare(init);
  }

  /** Makes M1, the first message. Call once. */
  start(): Uint8Array {
    if (this.#state !== 'new') {
      throw new CallsignError('ERR_INVALID_STATE', 'handshake already started');
    }
    const ephemeral = ephemeralKeys();
    const hello = new Uint8Array(HELLO_LENGTH);
    hello[0] = PROTOCOL_VERSION;
    hello[1] = HELLO;
    hello.set(ephemeral.publicKey, HEADER);
    hello.set(hmac(this.#context.helloKey, hello.subarray(0, HEADER + KEY)), HEADER + KEY);
    this.#ephemeral = ephemeral;
    this.#h1 = hash(H0, hello);
    this.#state = 'hello-sent';
    return hello;
  }

  /**
   * Takes M2 (or a REJECT) and gives M3 to send together with the result: the
   * initiator may send sealed frames right after M3.
   *
   * @throws CallsignError with one of the codes listed in docs/security.md;
   *   after a throw this object is dead (`ERR_CLOSED`).
   */
  receive(bytes: Uint8Array): HandshakeStep {
    if (this.#state === 'failed') throw closedError(this.#failure);
    if (this.#state !== 'hello-sent') {
      throw new CallsignError(
        'ERR_INVALID_STATE',
        this.#state === 'new' ? 'call start() first' : 'handshake already complete',
      );
    }
    try {
      const step = this.#onResponse(bytes);
      this.#state = 'done';
      return step;
    } catch (err) {
      this.#state = 'failed';
      this.#failure = asHandshakeError(err);
      throw this.#failure;
    } finally {
      this.#ephemeral = undefined;
    }
  }

  #onResponse(bytes: Uint8Array): HandshakeStep {
    const context = this.#context;
    checkMessage(bytes, RESPONSE, RESPONSE_LENGTH, 'M2');
    const shared = agree(this.#ephemeral!.privateKey, bytes.subarray(HEADER, HEADER + KEY));
    let handshakeKeys: Buffer | undefined;
    let trafficKeys: Buffer | undefined;
    try {
      const h2 = hash(this.#h1!, bytes.subarray(0, HEADER + KEY));
      handshakeKeys = derive(shared, context.psk, LABEL_HANDSHAKE_KEYS, h2);
      const responder = openIdentity(
        handshakeKeys.subarray(0, KEY),
        h2,
        bytes.subarray(HEADER + KEY),
      );
      verifyIdentity(responder, LABEL_RESPONDER_SIGNATURE, h2, 'responder');
      checkPeer(context, responder.publicKey);

      const h3 = hash(h2, bytes.subarray(HEADER + KEY));
      const signature = signDetached(concat(LABEL_INITIATOR_SIGNATURE, h3), context.keys.secretKey);
      const finish = new Uint8Array(FINISH_LENGTH);
      finish[0] = PROTOCOL_VERSION;
      finish[1] = FINISH;
      finish.set(
        sealIdentity(handshakeKeys.subarray(KEY), h3, context.keys.publicKey, signature),
        HEADER,
      );

      const h4 = hash(h3, finish);
      trafficKeys = derive(shared, context.psk, LABEL_TRAFFIC_KEYS, h4);
      // Initiator → responder is the first half, responder → initiator the second.
      const result = makeResult(
        context,
        responder.publicKey,
        trafficKeys.subarray(0, KEY),
        trafficKeys.subarray(KEY),
      );
      return { send: finish, result };
    } finally {
      shared.fill(0);
      handshakeKeys?.fill(0);
      trafficKeys?.fill(0);
    }
  }
}

/**
 * The side that accepts the connection.
 *
 * @example
 * ```ts
 * const hs = new ResponderHandshake({ realm, keys, trust });
 * ws.send(hs.receive(m1).send!);             // M2
 * const { result } = hs.receive(m3);         // then frames: result!.opener.open(...)
 * ```
 */
export class ResponderHandshake {
  readonly #context: Context;
  #state: 'new' | 'response-sent' | 'done' | 'failed' = 'new';
  #failure: CallsignError | undefined;
  #shared: Uint8Array | undefined;
  #initiatorKey: Uint8Array | undefined;
  #h3: Uint8Array | undefined;

  /**
   * @throws CallsignError `ERR_INVALID_REALM`, `ERR_INVALID_KEY` or
   *   `ERR_INVALID_SETTINGS` for a bad `init`.
   */
  constructor(init: HandshakeInit) {
    this.#context = prepare(init);
  }

  /**
   * Takes M1 (giving M2 to send), then M3 (giving the result).
   *
   * @throws CallsignError with one of the codes listed in docs/security.md;
   *   after a throw this object is dead (`ERR_CLOSED`). A {@link HandshakeError}
   *   with a `reply` may be answered with that reply before closing.
   */
  receive(bytes: Uint8Array): HandshakeStep {
    if (this.#state === 'failed') throw closedError(this.#failure);
    if (this.#state === 'done') {
      throw new CallsignError('ERR_INVALID_STATE', 'handshake already complete');
    }
    try {
      if (this.#state === 'new') {
        const step = this.#onHello(bytes);
        this.#state = 'response-sent';
        return step;
      }
      const step = this.#onFinish(bytes);
      this.#state = 'done';
      this.#wipe();
      return step;
    } catch (err) {
      this.#state = 'failed';
      this.#failure = asHandshakeError(err);
      this.#wipe();
      throw this.#failure;
    }
  }

  #onHello(bytes: Uint8Array): HandshakeStep {
    const context = this.#context;
    if (bytes.byteLength >= HEADER && bytes[0] !== PROTOCOL_VERSION) {
      throw new HandshakeError(
        'ERR_PROTOCOL_VERSION',
        `initiator speaks handshake version ${bytes[0]}; this node speaks ${PROTOCOL_VERSION}`,
        { reply: reject(REJECT_VERSION) },
      );
    }
    checkMessage(bytes, HELLO, HELLO_LENGTH, 'M1');
    const expected = hmac(context.helloKey, bytes.subarray(0, HEADER + KEY));
    if (!timingSafeEqual(expected, bytes.subarray(HEADER + KEY))) {
      throw new HandshakeError(
        'ERR_WRONG_REALM',
        'initiator did not prove knowledge of this realm secret (other realm, or M1 altered)',
        { reply: reject(REJECT_REALM) },
      );
    }

    const ephemeral = ephemeralKeys();
    const shared = agree(ephemeral.privateKey, bytes.subarray(HEADER, HEADER + KEY));
    this.#shared = shared;
    const h1 = hash(H0, bytes);
    const response = new Uint8Array(RESPONSE_LENGTH);
    response[0] = PROTOCOL_VERSION;
    response[1] = RESPONSE;
    response.set(ephemeral.publicKey, HEADER);
    const h2 = hash(h1, response.subarray(0, HEADER + KEY));
    const handshakeKeys = derive(shared, context.psk, LABEL_HANDSHAKE_KEYS, h2);
    const signature = signDetached(concat(LABEL_RESPONDER_SIGNATURE, h2), context.keys.secretKey);
    response.set(
      sealIdentity(handshakeKeys.subarray(0, KEY), h2, context.keys.publicKey, signature),
      HEADER + KEY,
    );
    this.#initiatorKey = copy(handshakeKeys.subarray(KEY));
    handshakeKeys.fill(0);
    this.#h3 = hash(h2, response.subarray(HEADER + KEY));
    return { send: response };
  }

  #onFinish(bytes: Uint8Array): HandshakeStep {
    const context = this.#context;
    checkMessage(bytes, FINISH, FINISH_LENGTH, 'M3');
    const h3 = this.#h3!;
    const initiator = openIdentity(this.#initiatorKey!, h3, bytes.subarray(HEADER));
    verifyIdentity(initiator, LABEL_INITIATOR_SIGNATURE, h3, 'initiator');
    checkPeer(context, initiator.publicKey);
    const h4 = hash(h3, bytes);
    const trafficKeys = derive(this.#shared!, context.psk, LABEL_TRAFFIC_KEYS, h4);
    try {
      return {
        result: makeResult(
          context,
          initiator.publicKey,
          trafficKeys.subarray(KEY),
          trafficKeys.subarray(0, KEY),
        ),
      };
    } finally {
      trafficKeys.fill(0);
    }
  }

  #wipe(): void {
    this.#shared?.fill(0);
    this.#initiatorKey?.fill(0);
    this.#shared = undefined;
    this.#initiatorKey = undefined;
  }
}

// ---------------------------------------------------------------------------

interface Context {
  keys: NodeKeys;
  /** HKDF(realm secret, info "callsign v1 hello mac key"): authenticates M1. */
  helloKey: Buffer;
  /** HKDF(realm secret, info "callsign v1 realm psk"): salt of every later key. */
  psk: Buffer;
  expectedPeerKey: Uint8Array | undefined;
  trust: ((peerPublicKey: Uint8Array) => boolean) | undefined;
  maxFrameSize: number;
}

/**
 * Runs one whole handshake between two ends in memory with `init`'s realm
 * and keys and seals and opens one frame, then throws it all away: a node's
 * first real handshake then finds its realm derivations and key objects
 * made and the code and libraries on its path loaded (node start calls it,
 * see docs/transport.md). Never throws; a bad `init` is reported by the
 * real handshake.
 */
export function warmHandshake(init: HandshakeInit): void {
  try {
    const own = { realm: init.realm, keys: init.keys, maxFrameSize: init.maxFrameSize };
    const initiator = new InitiatorHandshake(own);
    const responder = new ResponderHandshake(own);
    const m2 = responder.receive(initiator.start()).send;
    if (!m2) return;
    const { send: m3, result: ours } = initiator.receive(m2);
    const theirs = m3 ? responder.receive(m3).result : undefined;
    if (ours && theirs) theirs.opener.open(ours.sealer.seal(new Uint8Array(16)));
  } catch {
    // Nothing to warm with a bad realm or key pair: the first connection says what is wrong.
  }
}

function prepare(init: HandshakeInit): Context {
  if (typeof init !== 'object' || init === null) {
    throw new CallsignError('ERR_INVALID_SETTINGS', 'a handshake needs { realm, keys }');
  }
  assertRealm(init.realm);
  assertNodeKeys(init.keys);
  const { expectedPeerKey, trust } = init;
  const maxFrameSize = checkMaxFrameSize(init.maxFrameSize);
  if (
    expectedPeerKey !== undefined &&
    (!(expectedPeerKey instanceof Uint8Array) ||
      expectedPeerKey.byteLength !== NODE_PUBLIC_KEY_LENGTH)
  ) {
    throw new CallsignError('ERR_INVALID_KEY', 'expectedPeerKey must be a 32-byte public key');
  }
  if (trust !== undefined && typeof trust !== 'function') {
    throw new CallsignError('ERR_INVALID_SETTINGS', 'trust must be a function');
  }
  const realmKeys = realmKeysOf(init.realm.secret);
  return {
    keys: keysCopyOf(init.keys),
    helloKey: realmKeys.helloKey,
    psk: realmKeys.psk,
    expectedPeerKey: expectedPeerKey === undefined ? undefined : copy(expectedPeerKey),
    trust,
    maxFrameSize,
  };
}

// What a node brings to every handshake is derived once per realm secret and key pair, not
// per handshake (the derivations and, through signature.ts, the private key import are most of
// a handshake's CPU otherwise). Each cache entry keeps a copy of the bytes it was made from and
// is used only while they are unchanged.
const realmKeysCache = new WeakMap<
  Uint8Array,
  { secret: Uint8Array; helloKey: Buffer; psk: Buffer }
>();
const keysCache = new WeakMap<Uint8Array, { publicKey: Uint8Array; secretKey: Uint8Array }>();

function realmKeysOf(secret: Uint8Array): { helloKey: Buffer; psk: Buffer } {
  const cached = realmKeysCache.get(secret);
  if (cached && equalBytes(cached.secret, secret)) return cached;
  const entry = {
    secret: copy(secret),
    helloKey: hkdf(secret, EMPTY, LABEL_HELLO_KEY, KEY),
    psk: hkdf(secret, EMPTY, LABEL_PSK, KEY),
  };
  realmKeysCache.set(secret, entry);
  return entry;
}

function keysCopyOf(keys: NodeKeys): NodeKeys {
  const cached = keysCache.get(keys.secretKey);
  if (
    cached &&
    equalBytes(cached.secretKey, keys.secretKey) &&
    equalBytes(cached.publicKey, keys.publicKey)
  ) {
    return cached;
  }
  const entry = { publicKey: copy(keys.publicKey), secretKey: copy(keys.secretKey) };
  keysCache.set(keys.secretKey, entry);
  return entry;
}

/** Checks length, version and type of M2 or M3 (M1's version is checked before). */
function checkMessage(bytes: Uint8Array, type: number, length: number, name: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < HEADER) {
    throw new CallsignError('ERR_HANDSHAKE_FAILED', `${name} is too short`);
  }
  if (type === RESPONSE && bytes[1] === REJECT) throw rejected(bytes);
  if (bytes[0] !== PROTOCOL_VERSION) {
    throw new CallsignError(
      'ERR_PROTOCOL_VERSION',
      `peer speaks handshake version ${bytes[0]}; this node speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (bytes[1] !== type) {
    throw new CallsignError(
      'ERR_HANDSHAKE_FAILED',
      `expected ${name}, got message type ${bytes[1]}`,
    );
  }
  if (bytes.byteLength !== length) {
    throw new CallsignError(
      'ERR_HANDSHAKE_FAILED',
      `${name} must be ${length} bytes, not ${bytes.byteLength}`,
    );
  }
}

function reject(reason: number): Uint8Array {
  return Uint8Array.of(PROTOCOL_VERSION, REJECT, reason);
}

function rejected(bytes: Uint8Array): CallsignError {
  if (bytes.byteLength === REJECT_LENGTH && bytes[2] === REJECT_VERSION) {
    return new CallsignError(
      'ERR_PROTOCOL_VERSION',
      `responder rejected handshake version ${PROTOCOL_VERSION}; it speaks version ${bytes[0]}`,
    );
  }
  if (bytes.byteLength === REJECT_LENGTH && bytes[2] === REJECT_REALM) {
    return new CallsignError('ERR_WRONG_REALM', 'responder rejected us: it is in another realm');
  }
  return new CallsignError('ERR_HANDSHAKE_FAILED', 'responder sent a malformed rejection');
}

interface Identity {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

function sealIdentity(
  key: Uint8Array,
  aad: Uint8Array,
  publicKey: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG });
  cipher.setAAD(aad, { plaintextLength: KEY + SIGNATURE });
  const out = new Uint8Array(SEALED_IDENTITY);
  out.set(cipher.update(publicKey), 0);
  out.set(cipher.update(signature), KEY);
  cipher.final();
  out.set(cipher.getAuthTag(), KEY + SIGNATURE);
  return out;
}

/** Decrypts a sealed identity; a wrong tag means the peer lacks our realm secret. */
function openIdentity(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Identity {
  const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG });
  decipher.setAAD(aad, { plaintextLength: KEY + SIGNATURE });
  decipher.setAuthTag(sealed.subarray(KEY + SIGNATURE));
  const plain = decipher.update(sealed.subarray(0, KEY + SIGNATURE));
  try {
    decipher.final();
  } catch {
    throw new CallsignError(
      'ERR_WRONG_REALM',
      'peer did not prove knowledge of this realm secret (other realm, or message altered)',
    );
  }
  return {
    publicKey: new Uint8Array(plain.subarray(0, KEY)),
    signature: new Uint8Array(plain.subarray(KEY)),
  };
}

function verifyIdentity(identity: Identity, label: Uint8Array, h: Uint8Array, role: string): void {
  if (!verifyDetached(concat(label, h), identity.signature, identity.publicKey)) {
    throw new CallsignError(
      'ERR_HANDSHAKE_FAILED',
      `${role}'s signature does not verify: it does not hold the key it presents`,
    );
  }
}

function checkPeer(context: Context, peerKey: Uint8Array): void {
  if (context.expectedPeerKey !== undefined && !equalBytes(context.expectedPeerKey, peerKey)) {
    throw new CallsignError(
      'ERR_PEER_KEY_MISMATCH',
      `peer is node ${nodeId(peerKey)}, not the expected node ${nodeId(context.expectedPeerKey)}`,
    );
  }
  if (context.trust === undefined) return;
  let trusted: unknown;
  try {
    trusted = context.trust(copy(peerKey));
  } catch (err) {
    throw new CallsignError(
      'ERR_PEER_NOT_TRUSTED',
      `trust check of node ${nodeId(peerKey)} threw`,
      {
        cause: err,
      },
    );
  }
  if (trusted !== true) {
    throw new CallsignError('ERR_PEER_NOT_TRUSTED', `node ${nodeId(peerKey)} is not trusted`);
  }
}

function makeResult(
  context: Context,
  peerKey: Uint8Array,
  sealKey: Uint8Array,
  openKey: Uint8Array,
): HandshakeResult {
  const opts = { maxFrameSize: context.maxFrameSize };
  return {
    peerKey,
    peerId: nodeId(peerKey),
    sealer: new FrameSealer(sealKey, opts),
    opener: new FrameOpener(openKey, opts),
  };
}

function asHandshakeError(err: unknown): CallsignError {
  if (err instanceof CallsignError) return err;
  return new CallsignError('ERR_HANDSHAKE_FAILED', 'handshake failed', { cause: err });
}

function closedError(failure: CallsignError | undefined): CallsignError {
  return new CallsignError(
    'ERR_CLOSED',
    `handshake already failed with ${failure?.code ?? 'an error'}`,
    { cause: failure },
  );
}

function hash(previous: Uint8Array, data: Uint8Array): Uint8Array {
  return createHash('sha256').update(previous).update(data).digest();
}

function hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** HKDF-SHA256(ikm = shared, salt = psk, info = label ‖ transcript) → 64 bytes. */
function derive(shared: Uint8Array, psk: Uint8Array, label: Uint8Array, transcript: Uint8Array) {
  return hkdf(shared, psk, concat(label, transcript), 2 * KEY);
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** A copy (never a view, even of a Buffer). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
