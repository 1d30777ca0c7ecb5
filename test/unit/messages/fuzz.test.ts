import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isCallsignError } from '../../../src/errors.ts';
import { type CodecContext, decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import { isMessage, type Message } from '../../../src/messages/registry.ts';
import {
  defineFixtures,
  FakeAddress,
  fakeAddresses,
  NoSuchAddress,
  prng,
  richSample,
} from './fixtures.ts';

const SEED = 0x5eed_c0de;
const ROUNDS = 24_000;

type Outcome = 'decoded' | (typeof ERROR_CODES)[number];

/** The errors from below that a decoding error may have as its cause. */
function expectedCause(cause: unknown): boolean {
  return (
    cause instanceof NoSuchAddress || // the fake AddressCodec refusing an id
    (cause as { code?: unknown }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA' // TextDecoder
  );
}

/**
 * Decodes `bytes`; a success must be a message that encodes again and whose
 * encoding decodes to the same thing. A failure must be a CallsignError whose
 * causes are CallsignErrors or {@link expectedCause}s: a bug in the codec
 * caught by its safety net (a TypeError, say) fails the test.
 */
function check(bytes: Uint8Array, ctx: CodecContext, label: () => string): Outcome {
  let m: Message;
  try {
    m = decodeMessage(bytes, ctx);
  } catch (err) {
    if (!isCallsignError(err)) throw new Error(`${label()}: threw ${String(err)}`, { cause: err });
    expect(ERROR_CODES).toContain(err.code);
    let cause: unknown = err.cause;
    while (cause !== undefined) {
      if (expectedCause(cause)) break;
      if (!isCallsignError(cause)) {
        throw new Error(`${label()}: ${err.code} caused by ${String(cause)}`, { cause });
      }
      cause = cause.cause;
    }
    return err.code;
  }
  expect(isMessage(m), label()).toBe(true);
  const again = encodeMessage(m, ctx);
  const twice = encodeMessage(decodeMessage(again, ctx), ctx);
  expect(Buffer.from(twice).equals(Buffer.from(again)), label()).toBe(true);
  return 'decoded';
}

describe('fuzz: mutated encodings decode to a valid message or a CallsignError', () => {
  const f = defineFixtures('fuzz', true);
  const ctx: CodecContext = { addresses: fakeAddresses, maxDepth: 16 };
  const seeds = [
    richSample(f),
    new f.WithAddress({
      to: new FakeAddress(5),
      cc: [new FakeAddress(999)],
      replyTo: new FakeAddress(0),
    }),
    new f.Dyn({
      value: {
        list: [1, -1.5, 'x', null, undefined, true, new Uint8Array([1]), new Date(0)],
        nested: { deeper: [[[]]], msg: new f.Inner({ name: 'i', n: 2 }) },
        who: new FakeAddress(7),
      },
    }),
  ].map((m) => encodeMessage(m, ctx));

  it(`survives ${ROUNDS} mutations (seed ${SEED.toString(16)})`, () => {
    const random = prng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const outcomes = new Map<Outcome, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const seed = seeds[round % seeds.length]!;
      let bytes = seed.slice();
      const steps = 1 + int(3);
      const applied: string[] = [];
      for (let s = 0; s < steps; s++) {
        const kind = int(5);
        const at = int(bytes.length + 1);
        if (kind === 0 && bytes.length > 0) {
          const i = Math.min(at, bytes.length - 1);
          bytes[i]! ^= 1 << int(8);
          applied.push(`flip ${i}`);
        } else if (kind === 1) {
          bytes = bytes.slice(0, at);
          applied.push(`truncate ${at}`);
        } else if (kind === 2) {
          const insert = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at)]);
          applied.push(`insert ${insert.length} at ${at}`);
        } else if (kind === 3 && bytes.length > 0) {
          const i = Math.min(at, bytes.length - 1);
          bytes[i] = int(256);
          applied.push(`set ${i}`);
        } else {
          const n = int(16);
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + n)]);
          applied.push(`delete ${n} at ${at}`);
        }
      }
      const outcome = check(bytes, ctx, () => `round ${round} (${applied.join(', ')})`);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // both outcomes occur: the test would notice a codec that rejects everything
    expect(outcomes.get('decoded') ?? 0).toBeGreaterThan(100);
    expect(outcomes.get('ERR_MALFORMED_MESSAGE') ?? 0).toBeGreaterThan(ROUNDS / 2);
    expect(outcomes.get('ERR_UNKNOWN_MESSAGE') ?? 0).toBeGreaterThan(0);
    // A fixed amount of work, not a time: under load 10 it took longer than vitest's 5 s default.
  }, 60_000);

  it('survives random bytes after a valid type name', () => {
    const random = prng(SEED + 1);
    const name = encodeMessage(new f.Dyn({ value: null })).subarray(0, 9);
    let decoded = 0;
    for (let round = 0; round < 4000; round++) {
      const body = Uint8Array.from({ length: random() * 40 }, () => Math.floor(random() * 256));
      const bytes = Uint8Array.from([...name, ...body]);
      if (
        check(bytes, ctx, () => `random body ${Buffer.from(body).toString('hex')}`) === 'decoded'
      ) {
        decoded++;
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
