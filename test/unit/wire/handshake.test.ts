import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  hkdfSync,
  randomBytes,
  sign,
} from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { type CallsignError, type ErrorCode, isCallsignError } from '../../../src/errors.ts';
import {
  createRealm,
  FINISH_LENGTH,
  FrameOpener,
  FrameSealer,
  generateNodeKeys,
  HandshakeError,
  type HandshakeInit,
  type HandshakeResult,
  HELLO_LENGTH,
  InitiatorHandshake,
  type NodeKeys,
  nodeId,
  RESPONSE_LENGTH,
  type Realm,
  ResponderHandshake,
  warmHandshake,
} from '../../../src/wire/index.ts';

// Ed25519 key generation costs ~1 ms in tweetnacl: make the cast once.
const realm = createRealm('test');
const otherRealm = createRealm('test'); // same name, other secret
const alice = generateNodeKeys(); // initiator
const bob = generateNodeKeys(); // responder
const mallory = generateNodeKeys();

type Outcome = ErrorCode | 'no error' | 'not a CallsignError';

function codeOfThrow(f: () => unknown): Outcome {
  try {
    f();
  } catch (err) {
    return isCallsignError(err) ? err.code : 'not a CallsignError';
  }
  return 'no error';
}

function errorOf(f: () => unknown): CallsignError {
  try {
    f();
  } catch (err) {
    if (isCallsignError(err)) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

function initiator(init: Partial<HandshakeInit> = {}) {
  return new InitiatorHandshake({ realm, keys: alice, ...init });
}

function responder(init: Partial<HandshakeInit> = {}) {
  return new ResponderHandshake({ realm, keys: bob, ...init });
}

/** Runs a whole handshake in memory. */
function connect(i: InitiatorHandshake, r: ResponderHandshake) {
  const m1 = i.start();
  const step2 = r.receive(m1);
  expect(step2.result).toBeUndefined();
  const m2 = step2.send!;
  const step3 = i.receive(m2);
  const m3 = step3.send!;
  const step4 = r.receive(m3);
  expect(step4.send).toBeUndefined();
  return { m1, m2, m3, initiator: step3.result!, responder: step4.result! };
}

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function expectLinked(a: HandshakeResult, b: HandshakeResult) {
  expect(decode(b.opener.open(a.sealer.seal(text('ping'))))).toBe('ping');
  expect(decode(a.opener.open(b.sealer.seal(text('pong'))))).toBe('pong');
}

// ---------------------------------------------------------------------------
// A reference implementation of the protocol, written from docs/security.md
// and sharing no code with src/wire. It shows that the documentation and the
// implementation agree, and it lets the tests build messages that a correct
// node never sends.

const ref = (() => {
  const label = (s: string) => Buffer.from(s, 'latin1');
  const sha = (...parts: Uint8Array[]) => {
    const h = createHash('sha256');
    for (const part of parts) h.update(part);
    return h.digest();
  };
  const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array) =>
    Buffer.from(hkdfSync('sha256', ikm, salt, info, 64));
  const realmKey = (secret: Uint8Array, info: string) =>
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), label(info), 32));
  const h0 = sha(label('callsign handshake v1'));
  const nonce = Buffer.alloc(12);

  function seal(key: Uint8Array, aad: Uint8Array, plain: Uint8Array) {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: plain.length });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  }
  function open(key: Uint8Array, aad: Uint8Array, sealed: Uint8Array) {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: sealed.length - 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  }
  /** Ed25519 through node:crypto: the same signatures as tweetnacl, 100× faster. */
  function signer(keys: NodeKeys) {
    const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    const key = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: b64url(keys.secretKey.subarray(0, 32)),
        x: b64url(keys.publicKey),
      },
    });
    return (message: Uint8Array) => new Uint8Array(sign(null, message, key));
  }

  /** M1 = 01 01 ‖ eI ‖ HMAC-SHA256(helloKey, 01 01 ‖ eI) */
  function hello(secret: Uint8Array, ephemeralPublic: Uint8Array) {
    const head = Buffer.concat([Buffer.from([1, 1]), ephemeralPublic]);
    const mac = createHmac('sha256', realmKey(secret, 'callsign v1 hello mac key'))
      .update(head)
      .digest();
    return Buffer.concat([head, mac]);
  }

  interface Identity {
    publicKey: Uint8Array;
    sign: (message: Uint8Array) => Uint8Array;
  }

  /** M2 = 01 02 ‖ eR ‖ AEAD(kR, nonce 0, aad h2, sR ‖ sig_R(h2)) */
  function respond(opts: {
    secret: Uint8Array;
    m1: Uint8Array;
    identity: Identity;
    ephemeral?: nacl.BoxKeyPair;
    /** Use this sealed identity instead of making one. */
    sealedIdentity?: (k: { kR: Uint8Array; h2: Uint8Array }) => Uint8Array;
  }) {
    const ephemeral = opts.ephemeral ?? nacl.box.keyPair();
    const shared = nacl.scalarMult(ephemeral.secretKey, opts.m1.subarray(2, 34));
    const psk = realmKey(opts.secret, 'callsign v1 realm psk');
    const head = Buffer.concat([Buffer.from([1, 2]), ephemeral.publicKey]);
    const h2 = sha(sha(h0, opts.m1), head);
    const k = hkdf(shared, psk, Buffer.concat([label('callsign v1 handshake keys'), h2]));
    const kR = k.subarray(0, 32);
    const sealed =
      opts.sealedIdentity?.({ kR, h2 }) ??
      seal(
        kR,
        h2,
        Buffer.concat([
          opts.identity.publicKey,
          opts.identity.sign(Buffer.concat([label('callsign v1 responder signature'), h2])),
        ]),
      );
    const m2 = Buffer.concat([head, sealed]);
    return { m2, shared, psk, h3: sha(h2, sealed), kI: k.subarray(32) };
  }

  /** M3 = 01 03 ‖ AEAD(kI, nonce 0, aad h3, sI ‖ sig_I(h3)) */
  function finish(opts: {
    secret: Uint8Array;
    ephemeral: nacl.BoxKeyPair;
    m1: Uint8Array;
    m2: Uint8Array;
    identity: Identity;
  }) {
    const shared = nacl.scalarMult(opts.ephemeral.secretKey, opts.m2.subarray(2, 34));
    const psk = realmKey(opts.secret, 'callsign v1 realm psk');
    const h2 = sha(sha(h0, opts.m1), opts.m2.subarray(0, 34));
    const k = hkdf(shared, psk, Buffer.concat([label('callsign v1 handshake keys'), h2]));
    const responderIdentity = open(k.subarray(0, 32), h2, opts.m2.subarray(34));
    const h3 = sha(h2, opts.m2.subarray(34));
    const signature = opts.identity.sign(
      Buffer.concat([label('callsign v1 initiator signature'), h3]),
    );
    const m3 = Buffer.concat([
      Buffer.from([1, 3]),
      seal(k.subarray(32), h3, Buffer.concat([opts.identity.publicKey, signature])),
    ]);
    const traffic = hkdf(
      shared,
      psk,
      Buffer.concat([label('callsign v1 traffic keys'), sha(h3, m3)]),
    );
    return {
      m3,
      responderKey: responderIdentity.subarray(0, 32),
      responderSignature: responderIdentity.subarray(32),
      initiatorToResponder: traffic.subarray(0, 32),
      responderToInitiator: traffic.subarray(32),
    };
  }

  function trafficAfterResponse(r: ReturnType<typeof respond>, m3: Uint8Array) {
    const traffic = hkdf(
      r.shared,
      r.psk,
      Buffer.concat([label('callsign v1 traffic keys'), sha(r.h3, m3)]),
    );
    return {
      initiatorToResponder: traffic.subarray(0, 32),
      responderToInitiator: traffic.subarray(32),
    };
  }

  return { hello, respond, finish, trafficAfterResponse, seal, signer };
})();

const identity = (keys: NodeKeys) => ({ publicKey: keys.publicKey, sign: ref.signer(keys) });
// One fixed ephemeral key for reference initiators: saves a key generation per use.
const refEphemeral = nacl.box.keyPair();

// ---------------------------------------------------------------------------

describe('handshake', () => {
  it('authenticates both nodes and links their sealers and openers, both ways', () => {
    const { m1, m2, m3, initiator: a, responder: b } = connect(initiator(), responder());
    expect([m1.byteLength, m2.byteLength, m3.byteLength]).toEqual([
      HELLO_LENGTH,
      RESPONSE_LENGTH,
      FINISH_LENGTH,
    ]);
    expect(same(a.peerKey, bob.publicKey)).toBe(true);
    expect(same(b.peerKey, alice.publicKey)).toBe(true);
    expect(a.peerId).toBe(nodeId(bob.publicKey));
    expect(b.peerId).toBe(nodeId(alice.publicKey));
    for (let i = 0; i < 3; i++) expectLinked(a, b);
    expect(a.sealer.counter).toBe(3n);
    expect(b.opener.counter).toBe(3n);
  });

  it('warms with an own handshake that changes nothing and never throws', () => {
    expect(() => warmHandshake({ realm, keys: alice })).not.toThrow();
    // A bad realm or key pair is left to the real handshake to report.
    expect(() =>
      warmHandshake({ realm: { name: '', secret: new Uint8Array(3) }, keys: alice }),
    ).not.toThrow();
    expect(() =>
      warmHandshake({
        realm,
        keys: { publicKey: new Uint8Array(2), secretKey: new Uint8Array(2) },
      }),
    ).not.toThrow();
    const { initiator: a, responder: b } = connect(initiator(), responder());
    expect(same(a.peerKey, bob.publicKey)).toBe(true);
    expectLinked(a, b);
  });

  it('uses one key per direction', () => {
    const { initiator: a, responder: b } = connect(initiator(), responder());
    // A frame reflected back to its sender does not open.
    expect(codeOfThrow(() => a.opener.open(a.sealer.seal(text('echo'))))).toBe('ERR_FRAME_FORGED');
    expect(codeOfThrow(() => b.opener.open(b.sealer.seal(text('echo'))))).toBe('ERR_FRAME_FORGED');
  });

  it('derives fresh keys for every connection between the same two nodes', () => {
    const first = connect(initiator(), responder());
    const second = connect(initiator(), responder());
    expect(same(first.m1, second.m1)).toBe(false);
    expect(
      codeOfThrow(() => second.responder.opener.open(first.initiator.sealer.seal(text('x')))),
    ).toBe('ERR_FRAME_FORGED');
  });

  it('does not reveal node identities on the wire', () => {
    const { m1, m2, m3 } = connect(initiator(), responder());
    const wire = Buffer.concat([m1, m2, m3]);
    expect(wire.includes(Buffer.from(alice.publicKey))).toBe(false);
    expect(wire.includes(Buffer.from(bob.publicKey))).toBe(false);
  });

  it('passes maxFrameSize on to the sealer and opener', () => {
    const { initiator: a, responder: b } = connect(
      initiator({ maxFrameSize: 64 }),
      responder({ maxFrameSize: 64 }),
    );
    expect(codeOfThrow(() => a.sealer.seal(new Uint8Array(65)))).toBe('ERR_FRAME_TOO_LARGE');
    const big = new FrameSealer(new Uint8Array(32)).seal(new Uint8Array(65));
    expect(codeOfThrow(() => b.opener.open(big))).toBe('ERR_FRAME_TOO_LARGE');
  });

  describe('agrees with the reference implementation of docs/security.md', () => {
    it('as responder', () => {
      const r = responder();
      const m1 = ref.hello(realm.secret, refEphemeral.publicKey);
      const m2 = r.receive(m1).send!;
      const done = ref.finish({
        secret: realm.secret,
        ephemeral: refEphemeral,
        m1,
        m2,
        identity: identity(alice),
      });
      expect(same(done.responderKey, bob.publicKey)).toBe(true);
      const result = r.receive(done.m3).result!;
      expect(same(result.peerKey, alice.publicKey)).toBe(true);
      const frame = new FrameSealer(done.initiatorToResponder).seal(text('to responder'));
      expect(decode(result.opener.open(frame))).toBe('to responder');
      const back = result.sealer.seal(text('to initiator'));
      expect(decode(new FrameOpener(done.responderToInitiator).open(back))).toBe('to initiator');
    });

    it('as initiator', () => {
      const i = initiator();
      const m1 = i.start();
      const response = ref.respond({ secret: realm.secret, m1, identity: identity(bob) });
      const { send: m3, result } = i.receive(response.m2);
      expect(same(result!.peerKey, bob.publicKey)).toBe(true);
      const keys = ref.trafficAfterResponse(response, m3!);
      const frame = result!.sealer.seal(text('to responder'));
      expect(decode(new FrameOpener(keys.initiatorToResponder).open(frame))).toBe('to responder');
    });
  });

  describe('realm', () => {
    it('responder rejects an initiator of another realm, and says so', () => {
      const i = initiator({ realm: otherRealm });
      const r = responder();
      const err = errorOf(() => r.receive(i.start()));
      expect(err.code).toBe('ERR_WRONG_REALM');
      // The REJECT reply tells the initiator why.
      expect(err).toBeInstanceOf(HandshakeError);
      const reply = (err as HandshakeError).reply!;
      expect(Array.from(reply)).toEqual([1, 0x7f, 2]);
      expect(codeOfThrow(() => i.receive(reply))).toBe('ERR_WRONG_REALM');
    });

    it('initiator rejects a responder of another realm', () => {
      // A stranger that answers without checking M1 (as a MITM would).
      const i = initiator();
      const m1 = i.start();
      const { m2 } = ref.respond({ secret: otherRealm.secret, m1, identity: identity(mallory) });
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_WRONG_REALM');
    });

    it('responder rejects an M3 from a node without the realm secret', () => {
      // A recorded M1, replayed by a stranger, gets an M2; but without the realm
      // secret (and eI's secret key) nothing the stranger sends as M3 opens.
      const recorded = initiator().start();
      const r = responder();
      r.receive(recorded);
      const m3 = Buffer.concat([Buffer.from([1, 3]), randomBytes(FINISH_LENGTH - 2)]);
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_WRONG_REALM');
    });

    it('a recorded handshake cannot be replayed to a responder', () => {
      const { m1, m3 } = connect(initiator(), responder());
      const r = responder();
      r.receive(m1); // a valid M1 gets an M2 with a fresh ephemeral key...
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_WRONG_REALM'); // ...the old M3 fails
    });
  });

  describe('peer identity', () => {
    it('initiator refuses a responder other than expectedPeerKey, before revealing itself', () => {
      const i = initiator({ expectedPeerKey: mallory.publicKey });
      const r = responder();
      const m2 = r.receive(i.start()).send!;
      const err = errorOf(() => i.receive(m2));
      expect(err.code).toBe('ERR_PEER_KEY_MISMATCH');
      expect(err.message).toContain(nodeId(bob.publicKey));
    });

    it('responder refuses an initiator other than expectedPeerKey', () => {
      const i = initiator();
      const r = responder({ expectedPeerKey: mallory.publicKey });
      const m2 = r.receive(i.start()).send!;
      const m3 = i.receive(m2).send!;
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_PEER_KEY_MISMATCH');
    });

    it('completes when both expect the right keys', () => {
      const { initiator: a, responder: b } = connect(
        initiator({ expectedPeerKey: bob.publicKey }),
        responder({ expectedPeerKey: Buffer.from(alice.publicKey) }),
      );
      expectLinked(a, b);
    });

    it('asks trust() with the authenticated key, and refuses when it says no', () => {
      const seen: string[] = [];
      const trustNobody = (key: Uint8Array) => {
        seen.push(nodeId(key));
        return false;
      };
      const i = initiator({ trust: trustNobody });
      const m2 = responder().receive(i.start()).send!;
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_PEER_NOT_TRUSTED');

      const r = responder({ trust: trustNobody });
      const i2 = initiator();
      const m3 = i2.receive(r.receive(i2.start()).send!).send!;
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_PEER_NOT_TRUSTED');
      expect(seen).toEqual([nodeId(bob.publicKey), nodeId(alice.publicKey)]);
    });

    it('treats a trust() that throws as a refusal', () => {
      const i = initiator({
        trust: () => {
          throw new Error('trust store unavailable');
        },
      });
      const m2 = responder().receive(i.start()).send!;
      const err = errorOf(() => i.receive(m2));
      expect(err.code).toBe('ERR_PEER_NOT_TRUSTED');
      expect((err.cause as Error).message).toBe('trust store unavailable');
    });

    it('completes when trust() says yes', () => {
      const { initiator: a, responder: b } = connect(
        initiator({ trust: (key) => same(key, bob.publicKey) }),
        responder({ trust: (key) => same(key, alice.publicKey) }),
      );
      expectLinked(a, b);
    });

    it('refuses a responder that presents a key it cannot sign with', () => {
      // Mallory knows the realm secret and claims to be Bob, but signs with her own key.
      const i = initiator();
      const m1 = i.start();
      const { m2 } = ref.respond({
        secret: realm.secret,
        m1,
        identity: { publicKey: bob.publicKey, sign: ref.signer(mallory) },
      });
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_HANDSHAKE_FAILED');
    });

    it('refuses an initiator that presents a key it cannot sign with', () => {
      const r = responder();
      const m1 = ref.hello(realm.secret, refEphemeral.publicKey);
      const m2 = r.receive(m1).send!;
      const { m3 } = ref.finish({
        secret: realm.secret,
        ephemeral: refEphemeral,
        m1,
        m2,
        identity: { publicKey: alice.publicKey, sign: ref.signer(mallory) },
      });
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_HANDSHAKE_FAILED');
    });
  });

  describe('man in the middle', () => {
    it('without the realm secret, substituting the initiator ephemeral key: responder detects', () => {
      const m1 = Buffer.from(initiator().start());
      m1.set(nacl.box.keyPair().publicKey, 2);
      expect(codeOfThrow(() => responder().receive(m1))).toBe('ERR_WRONG_REALM');
    });

    it('without the realm secret, substituting the responder ephemeral key: initiator detects', () => {
      const i = initiator();
      const m2 = Buffer.from(responder().receive(i.start()).send!);
      m2.set(nacl.box.keyPair().publicKey, 2);
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_WRONG_REALM');
    });

    it('without the realm secret, running its own handshakes: both sides detect', () => {
      const i = initiator();
      const r = responder();
      const toResponder = new InitiatorHandshake({ realm: otherRealm, keys: mallory });
      expect(codeOfThrow(() => r.receive(toResponder.start()))).toBe('ERR_WRONG_REALM');
      const toInitiator = new ResponderHandshake({ realm: otherRealm, keys: mallory });
      expect(codeOfThrow(() => toInitiator.receive(i.start()))).toBe('ERR_WRONG_REALM');
    });

    function relayWithRealmSecret(
      initiatorInit: Partial<HandshakeInit>,
      responderInit: Partial<HandshakeInit>,
    ) {
      const i = initiator(initiatorInit);
      const r = responder(responderInit);
      const asResponder = new ResponderHandshake({ realm, keys: mallory });
      const asInitiator = new InitiatorHandshake({ realm, keys: mallory });
      const outcome: { initiator: Outcome; responder: Outcome } = {
        initiator: 'no error',
        responder: 'no error',
      };
      const m2ToAlice = asResponder.receive(i.start()).send!;
      let m3ToMallory: Uint8Array | undefined;
      outcome.initiator = codeOfThrow(() => {
        m3ToMallory = i.receive(m2ToAlice).send;
      });
      if (m3ToMallory) asResponder.receive(m3ToMallory);
      const m2ToMallory = r.receive(asInitiator.start()).send!;
      const m3ToBob = asInitiator.receive(m2ToMallory).send!;
      outcome.responder = codeOfThrow(() => r.receive(m3ToBob));
      return outcome;
    }

    it('with the realm secret, but not the nodes’ keys: detected where a key is expected', () => {
      expect(
        relayWithRealmSecret(
          { expectedPeerKey: bob.publicKey },
          { trust: (key) => same(key, alice.publicKey) },
        ),
      ).toEqual({ initiator: 'ERR_PEER_KEY_MISMATCH', responder: 'ERR_PEER_NOT_TRUSTED' });
    });

    it('with the realm secret and no expectations: it is seen as itself, never as the other node', () => {
      const i = initiator();
      const asResponder = new ResponderHandshake({ realm, keys: mallory });
      const m2 = asResponder.receive(i.start()).send!;
      const { result } = i.receive(m2);
      expect(result!.peerId).toBe(nodeId(mallory.publicKey));
    });

    it('with the realm secret, relaying the responder’s genuine identity: initiator detects', () => {
      // Mallory talks to Bob as an initiator and obtains Bob's signed identity...
      const bobSide = responder();
      const mM1 = ref.hello(realm.secret, refEphemeral.publicKey);
      const bobM2 = bobSide.receive(mM1).send!;
      const fromBob = ref.finish({
        secret: realm.secret,
        ephemeral: refEphemeral,
        m1: mM1,
        m2: bobM2,
        identity: identity(mallory),
      });
      // ...and replays it, re-sealed, to Alice under her own ephemeral key.
      const i = initiator({ expectedPeerKey: bob.publicKey });
      const { m2 } = ref.respond({
        secret: realm.secret,
        m1: i.start(),
        identity: identity(mallory),
        sealedIdentity: ({ kR, h2 }) =>
          ref.seal(kR, h2, Buffer.concat([fromBob.responderKey, fromBob.responderSignature])),
      });
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_HANDSHAKE_FAILED');
    });
  });

  describe('malformed and tampered messages', () => {
    const expectedCode = (position: number): ErrorCode =>
      position === 0
        ? 'ERR_PROTOCOL_VERSION'
        : position === 1
          ? 'ERR_HANDSHAKE_FAILED'
          : 'ERR_WRONG_REALM';

    it('M1 tampered at any byte: responder fails with a code', () => {
      const m1 = initiator().start();
      for (let position = 0; position < m1.byteLength; position++) {
        const tampered = Uint8Array.from(m1);
        tampered[position]! ^= 0x01;
        expect(
          codeOfThrow(() => responder().receive(tampered)),
          `byte ${position}`,
        ).toBe(expectedCode(position));
      }
    });

    it('M2 tampered at any byte: initiator fails with a code', { timeout: 30_000 }, () => {
      // M2 from the reference responder (which agrees with the real one, above):
      // it signs with node:crypto, so this loop costs ~3 ms per byte, not ~10.
      const me = identity(bob);
      for (let position = 0; position < RESPONSE_LENGTH; position++) {
        const i = initiator();
        const { m2 } = ref.respond({
          secret: realm.secret,
          m1: i.start(),
          identity: me,
          ephemeral: refEphemeral,
        });
        m2[position]! ^= 0x01;
        expect(
          codeOfThrow(() => i.receive(m2)),
          `byte ${position}`,
        ).toBe(expectedCode(position));
      }
      // Untampered, the same construction succeeds.
      const i = initiator();
      const { m2 } = ref.respond({
        secret: realm.secret,
        m1: i.start(),
        identity: me,
        ephemeral: refEphemeral,
      });
      expect(i.receive(m2).result!.peerId).toBe(nodeId(bob.publicKey));
    });

    it('M3 tampered at any byte: responder fails with a code', { timeout: 30_000 }, () => {
      const me = identity(alice);
      for (let position = 0; position < FINISH_LENGTH; position++) {
        const r = responder();
        const m1 = ref.hello(realm.secret, refEphemeral.publicKey);
        const m2 = r.receive(m1).send!;
        const { m3 } = ref.finish({
          secret: realm.secret,
          ephemeral: refEphemeral,
          m1,
          m2,
          identity: me,
        });
        m3[position]! ^= 0x01;
        expect(
          codeOfThrow(() => r.receive(m3)),
          `byte ${position}`,
        ).toBe(expectedCode(position));
      }
      // Untampered, the same construction succeeds.
      const r = responder();
      const m1 = ref.hello(realm.secret, refEphemeral.publicKey);
      const m2 = r.receive(m1).send!;
      const { m3 } = ref.finish({
        secret: realm.secret,
        ephemeral: refEphemeral,
        m1,
        m2,
        identity: me,
      });
      expect(r.receive(m3).result!.peerId).toBe(nodeId(alice.publicKey));
    });

    it('short, long and garbage messages fail with ERR_HANDSHAKE_FAILED, never another error', () => {
      const m1 = initiator().start();
      for (let length = 0; length < HELLO_LENGTH; length++) {
        expect(
          codeOfThrow(() => responder().receive(m1.subarray(0, length))),
          `length ${length}`,
        ).toBe('ERR_HANDSHAKE_FAILED');
      }
      const longer = Buffer.concat([m1, Buffer.from([0])]);
      expect(codeOfThrow(() => responder().receive(longer))).toBe('ERR_HANDSHAKE_FAILED');

      const i = initiator();
      const m2 = responder().receive(i.start()).send!;
      expect(codeOfThrow(() => i.receive(m2.subarray(0, RESPONSE_LENGTH - 1)))).toBe(
        'ERR_HANDSHAKE_FAILED',
      );

      const allowed = new Set<Outcome>([
        'ERR_HANDSHAKE_FAILED',
        'ERR_PROTOCOL_VERSION',
        'ERR_WRONG_REALM',
      ]);
      for (let n = 0; n < 100; n++) {
        const garbage = randomBytes((n * 3) % 160);
        if (n % 2 === 0 && garbage.length > 0) garbage[0] = 1; // get past the version check
        const outcome = codeOfThrow(() => responder().receive(garbage));
        expect(allowed.has(outcome), `${garbage.toString('hex')} gave ${outcome}`).toBe(true);
        const fresh = initiator();
        fresh.start();
        const outcome2 = codeOfThrow(() => fresh.receive(garbage));
        expect(allowed.has(outcome2), `${garbage.toString('hex')} gave ${outcome2}`).toBe(true);
      }
      expect(codeOfThrow(() => responder().receive(null as unknown as Uint8Array))).toBe(
        'ERR_HANDSHAKE_FAILED',
      );
    });

    it('refuses low-order ephemeral keys', () => {
      const m1 = ref.hello(realm.secret, new Uint8Array(32)); // the zero point, correctly MACed
      expect(codeOfThrow(() => responder().receive(m1))).toBe('ERR_HANDSHAKE_FAILED');

      const i = initiator();
      const zero = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) };
      const { m2 } = ref.respond({
        secret: realm.secret,
        m1: i.start(),
        identity: identity(bob),
        ephemeral: zero,
      });
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_HANDSHAKE_FAILED');
    });
  });

  describe('protocol version', () => {
    it('responder refuses another version and tells the initiator which it speaks', () => {
      const i = initiator();
      const m1 = Uint8Array.from(i.start());
      m1[0] = 2; // as a version-2 initiator would send
      const err = errorOf(() => responder().receive(m1));
      expect(err.code).toBe('ERR_PROTOCOL_VERSION');
      const reply = (err as HandshakeError).reply!;
      expect(Array.from(reply)).toEqual([1, 0x7f, 1]);
      const e2 = errorOf(() => i.receive(reply));
      expect(e2.code).toBe('ERR_PROTOCOL_VERSION');
      expect(e2.message).toContain('version 1');
    });

    it('initiator refuses an M2 of another version', () => {
      const i = initiator();
      const m2 = Uint8Array.from(responder().receive(i.start()).send!);
      m2[0] = 9;
      expect(codeOfThrow(() => i.receive(m2))).toBe('ERR_PROTOCOL_VERSION');
    });

    it('a malformed REJECT is ERR_HANDSHAKE_FAILED', () => {
      for (const reject of [
        [1, 0x7f],
        [1, 0x7f, 9],
        [1, 0x7f, 2, 0],
      ]) {
        const i = initiator();
        i.start();
        expect(codeOfThrow(() => i.receive(Uint8Array.from(reject)))).toBe('ERR_HANDSHAKE_FAILED');
      }
    });
  });

  describe('state machine', () => {
    it('is dead after a failure', () => {
      const r = responder();
      const err = errorOf(() => r.receive(Uint8Array.of(1, 9, 9)));
      expect(err.code).toBe('ERR_HANDSHAKE_FAILED');
      const again = errorOf(() => r.receive(initiator().start()));
      expect(again.code).toBe('ERR_CLOSED');
      expect(again.cause).toBe(err);

      const i = initiator();
      i.start();
      expect(codeOfThrow(() => i.receive(new Uint8Array(0)))).toBe('ERR_HANDSHAKE_FAILED');
      expect(codeOfThrow(() => i.receive(new Uint8Array(0)))).toBe('ERR_CLOSED');
    });

    it('refuses calls out of order, without dying', () => {
      const i = initiator();
      expect(codeOfThrow(() => i.receive(new Uint8Array(RESPONSE_LENGTH)))).toBe(
        'ERR_INVALID_STATE',
      );
      const m1 = i.start();
      expect(codeOfThrow(() => i.start())).toBe('ERR_INVALID_STATE');
      const r = responder();
      const m3 = i.receive(r.receive(m1).send!).send!;
      expect(r.receive(m3).result!.peerId).toBe(nodeId(alice.publicKey));
    });

    it('refuses to continue after completion', () => {
      const i = initiator();
      const r = responder();
      const { m3 } = connectParts(i, r);
      expect(codeOfThrow(() => i.receive(new Uint8Array(RESPONSE_LENGTH)))).toBe(
        'ERR_INVALID_STATE',
      );
      expect(codeOfThrow(() => r.receive(m3))).toBe('ERR_INVALID_STATE');
    });

    it('validates its init', () => {
      const badRealm = { name: 'x', secret: new Uint8Array(16) } as Realm;
      expect(codeOfThrow(() => initiator({ realm: badRealm }))).toBe('ERR_INVALID_REALM');
      const badKeys = { publicKey: alice.publicKey, secretKey: bob.secretKey };
      expect(codeOfThrow(() => responder({ keys: badKeys }))).toBe('ERR_INVALID_KEY');
      expect(codeOfThrow(() => initiator({ expectedPeerKey: new Uint8Array(31) }))).toBe(
        'ERR_INVALID_KEY',
      );
      expect(codeOfThrow(() => responder({ maxFrameSize: 0 }))).toBe('ERR_INVALID_SETTINGS');
      expect(codeOfThrow(() => initiator({ trust: 'yes' as unknown as () => boolean }))).toBe(
        'ERR_INVALID_SETTINGS',
      );
    });
  });
});

function connectParts(i: InitiatorHandshake, r: ResponderHandshake) {
  const m2 = r.receive(i.start()).send!;
  const m3 = i.receive(m2).send!;
  r.receive(m3);
  return { m3 };
}
