import { expect } from 'vitest';
import { type CallsignError, isCallsignError } from '../../../src/errors.ts';
import type { Address, AddressCodec } from '../../../src/messages/address.ts';
import type { Reader, Writer } from '../../../src/messages/binary.ts';
import { defineMessage, setCodeGeneration } from '../../../src/messages/registry.ts';
import { t } from '../../../src/messages/schema.ts';

/** An address as the runtime might make one: an id. */
export class FakeAddress implements Address {
  readonly isAddress = true as const;
  constructor(readonly id: number) {}
  toString(): string {
    return `<${this.id}>`;
  }
}

/** What the fake codec throws for ids it does not know (>= 1000). */
export class NoSuchAddress extends Error {}

/** Writes an address as its id; fails on reading an id of 1000 or more. */
export const fakeAddresses: AddressCodec = {
  write(w: Writer, a: Address) {
    w.varuint((a as FakeAddress).id);
  },
  read(r: Reader) {
    const id = r.varuint();
    if (id >= 1000) throw new NoSuchAddress(`no address ${id}`);
    return new FakeAddress(id);
  },
};

export const COLORS = ['red', 'green', 'blue'] as const;

/**
 * One set of message classes using every field type, registered under
 * `prefix`; `generated: false` builds them with the closure fallback.
 */
export function defineFixtures(prefix: string, generated: boolean) {
  setCodeGeneration(generated);
  try {
    class Inner extends defineMessage(`${prefix}.Inner`, { name: t.string, n: t.int }) {}
    class Empty extends defineMessage(`${prefix}.Empty`, {}) {}
    class Rich extends defineMessage(`${prefix}.Rich`, {
      s: t.string,
      b: t.bool,
      i: t.int,
      u: t.uint,
      f: t.float,
      big: t.bigint,
      bytes: t.bytes,
      d: t.date,
      any: t.any,
      list: t.array(t.string),
      grid: t.array(t.map(t.string, t.array(t.int))),
      byId: t.map(t.int, t.message(Inner)),
      scores: t.record(t.float),
      inner: t.message(Inner),
      empty: t.message(Empty),
      note: t.optional(t.string),
      count: t.optional(t.uint),
      maybe: t.optional(t.message(Inner)),
      color: t.enumOf(COLORS),
    }) {}
    class WithAddress extends defineMessage(`${prefix}.WithAddress`, {
      to: t.address,
      cc: t.array(t.address),
      replyTo: t.optional(t.address),
    }) {}
    class Scalars extends defineMessage(`${prefix}.Scalars`, {
      s: t.string,
      b: t.bool,
      i: t.int,
      u: t.uint,
      f: t.float,
      big: t.bigint,
      bytes: t.bytes,
      d: t.date,
    }) {}
    class Dyn extends defineMessage(`${prefix}.Dyn`, { value: t.any }) {}
    return { Inner, Empty, Rich, WithAddress, Scalars, Dyn };
  } finally {
    setCodeGeneration(true);
  }
}

export type Fixtures = ReturnType<typeof defineFixtures>;

/** A Rich message with something in every field. */
export function richSample(f: Fixtures) {
  const { Inner, Empty, Rich } = f;
  return new Rich({
    s: 'héllo wörld ✓ 𝄞',
    b: true,
    i: -123_456,
    u: 2 ** 40,
    f: Math.PI,
    big: -(2n ** 62n),
    bytes: new Uint8Array([0, 1, 2, 254, 255]),
    d: new Date('2024-05-06T07:08:09.010Z'),
    any: { a: [1, 'two', null, true, { deep: new Inner({ name: 'in any', n: 3 }) }], b: 2.5 },
    list: ['', 'x', 'y z'],
    grid: [new Map([['a', [1, -2, 3]]]), new Map()],
    byId: new Map([[7, new Inner({ name: 'seven', n: 7 })]]),
    scores: { alice: 1.5, bob: -0 },
    inner: new Inner({ name: 'inner', n: -1 }),
    empty: new Empty(),
    note: 'a note',
    maybe: new Inner({ name: 'maybe', n: 0 }),
    color: 'green',
  });
}

/** Runs `fn` and returns the CallsignError it throws; fails if it throws anything else or nothing. */
export function callsignErrorOf(fn: () => unknown): CallsignError {
  try {
    fn();
  } catch (err) {
    if (isCallsignError(err)) return err;
    throw new Error(`expected a CallsignError, got ${String(err)}`, { cause: err });
  }
  expect.fail('expected a CallsignError, but nothing was thrown');
}

/** A small seeded PRNG (mulberry32), so fuzz failures can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
