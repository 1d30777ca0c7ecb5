import { describe, expect, it } from 'vitest';
import { type ErrorCode, isCallsignError } from '../../../src/errors.ts';
import { decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import { defineMessage } from '../../../src/messages/registry.ts';
import { t } from '../../../src/messages/schema.ts';
import { ActorAddress } from '../../../src/runtime/address.ts';
import { manualClock } from '../../../src/runtime/clock.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Connection } from '../../../src/transport/connection.ts';
import { memoryLinkPair } from '../../../src/transport/memory-transport.ts';
import { resolveOptions } from '../../../src/transport/options.ts';
import {
  CONTROL,
  decodeClose,
  decodeCredits,
  decodeOpen,
  encodeClose,
  encodeCredits,
  encodeOpen,
} from '../../../src/wire/control.ts';
import { FramePacker, FrameUnpacker } from '../../../src/wire/records.ts';
import { FrameOpener, FrameSealer } from '../../../src/wire/seal.ts';
import { below, mutate, prng, randomBytes } from './fuzz-helpers.ts';

/**
 * The record level, fuzzed: frame plaintexts (messages, fragments, control
 * records of every kind) built by the real packer, then mutated, are read by
 * the real unpacker and the decoders the connection uses. A failure must be
 * a CallsignError with one of the codes that close a connection; anything
 * else (a TypeError, a RangeError) is a bug that would take the process down.
 * Memory held for unfinished fragments never passes the budget.
 */

class Note extends defineMessage('test.recordfuzz.Note', { n: t.int, text: t.string }) {}
class Blob extends defineMessage('test.recordfuzz.Blob', { data: t.bytes, more: t.any }) {}

const FRAME = 1024;
const MAX_MESSAGE = 64 * 1024;
const BUDGET = 16 * 1024;
const UNPACK_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_MALFORMED_FRAME',
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_FRAGMENT_BUDGET',
]);
const DECODE_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_MALFORMED_MESSAGE',
  'ERR_UNKNOWN_MESSAGE',
]);

const WINDOWS = resolveOptions({}).windows;

/** A few frame plaintexts as a peer would send them. */
function frames(random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const packer = new FramePacker({ maxFrameSize: FRAME, onFrame: (p) => out.push(p.slice()) });
  const records = 1 + below(random, 6);
  for (let i = 0; i < records; i++) {
    switch (below(random, 7)) {
      case 0:
        packer.message(
          1 + below(random, 5),
          below(random, 5),
          encodeMessage(new Note({ n: below(random, 1e6), text: 'x'.repeat(below(random, 40)) })),
        );
        break;
      case 1: {
        const size = below(random, 3) === 0 ? 3 * FRAME + below(random, 4000) : below(random, 200);
        packer.message(
          1,
          2,
          encodeMessage(new Blob({ data: randomBytes(random, size), more: { a: [1, 'b', null] } })),
        );
        break;
      }
      case 2:
        packer.control(CONTROL.open, encodeOpen({ owner: 1 + below(random, 100), ...WINDOWS }));
        break;
      case 3:
        packer.control(CONTROL.close, encodeClose({ code: 'ERR_FRAME_FORGED', reason: 'because' }));
        break;
      case 4:
        packer.control(
          CONTROL.credit,
          encodeCredits([
            {
              to: 1 + below(random, 9),
              messages: 1 + below(random, 9),
              bytes: below(random, 9999),
            },
          ]),
        );
        break;
      case 5:
        packer.control(below(random, 2) ? CONTROL.ping : CONTROL.pong);
        break;
      default:
        packer.control(below(random, 256), randomBytes(random, below(random, 20)));
    }
  }
  packer.flush();
  return out;
}

function decodeControl(op: number, payload: Uint8Array): void {
  if (op === CONTROL.open) decodeOpen(payload);
  else if (op === CONTROL.close) decodeClose(payload);
  else if (op === CONTROL.credit) decodeCredits(payload);
}

function expectCode(err: unknown, codes: ReadonlySet<ErrorCode>, what: string): void {
  if (!isCallsignError(err) || !codes.has(err.code)) {
    throw new Error(`${what} threw ${String(err)}`, { cause: err });
  }
}

describe('records, fuzzed', () => {
  it('100 000 mutated frame sequences read to records or a CallsignError, within the fragment budget', () => {
    const random = prng(0x7ec0d5);
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 100_000; round++) {
      const unpacker = new FrameUnpacker({
        maxMessageSize: MAX_MESSAGE,
        maxReassemblyBytes: BUDGET,
      });
      const sequence = frames(random).map((f) => (below(random, 3) === 0 ? f : mutate(random, f)));
      let outcome = 'read';
      try {
        for (const plaintext of sequence) {
          unpacker.unpack(plaintext, {
            message(_to, _from, body) {
              try {
                decodeMessage(body);
              } catch (err) {
                expectCode(err, DECODE_CODES, 'decoding a body');
              }
            },
            control(op, payload) {
              try {
                decodeControl(op, payload);
              } catch (err) {
                expectCode(err, new Set<ErrorCode>(['ERR_MALFORMED_FRAME']), `control ${op}`);
              }
            },
          });
          if (unpacker.held > BUDGET) throw new Error(`held ${unpacker.held} bytes`);
        }
      } catch (err) {
        expectCode(err, UNPACK_CODES, 'unpacking');
        outcome = (err as { code: string }).code;
      }
      unpacker.release();
      expect(unpacker.held).toBe(0);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('read')).toBeGreaterThan(10_000);
    expect(outcomes.get('ERR_MALFORMED_FRAME')).toBeGreaterThan(10_000);
  }, 120_000);

  it('a connection fed 3 000 mutated sealed frames ends each time with a code, never with a fault of its own', async () => {
    const random = prng(0xc0ffee);
    const codes = new Map<string, number>();
    for (let round = 0; round < 3_000; round++) {
      const node = new Node({ clock: manualClock() });
      const [ours, theirs] = memoryLinkPair();
      const key = randomBytes(random, 32);
      const ended = new Promise<string>((resolve) => {
        new Connection({
          node,
          link: ours,
          sealer: new FrameSealer(randomBytes(random, 32)),
          opener: new FrameOpener(key),
          endpoint: 'mem:fuzz',
          peerId: 'fuzz',
          peerKey: 'fuzz',
          owner: new ActorAddress(1),
          options: resolveOptions({
            maxFrameSize: FRAME,
            maxMessageSize: MAX_MESSAGE,
            maxReassemblyBytes: BUDGET,
          }),
          onOpen: () => {},
          onEnd: (_c, ending) => resolve(ending.code ?? 'closed'),
        });
      });
      theirs.attach({ frame: () => {}, drain: () => {}, end: () => {} });
      const sealer = new FrameSealer(key);
      for (const plaintext of frames(random)) {
        const sealed = sealer.seal(below(random, 2) ? plaintext : mutate(random, plaintext));
        theirs.send(below(random, 50) === 0 ? mutate(random, sealed) : sealed);
      }
      // Whatever survived, the peer then goes away.
      setImmediate(() => setImmediate(() => theirs.sever()));
      const code = await ended;
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.has('ERR_INTERNAL')).toBe(false);
    expect(codes.get('ERR_MALFORMED_FRAME')).toBeGreaterThan(100);
    expect(codes.get('ERR_CONNECTION_LOST')).toBeGreaterThan(100);
  }, 120_000);
});
