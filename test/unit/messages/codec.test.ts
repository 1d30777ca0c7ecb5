import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../src/messages/binary.ts';
import {
  type CodecContext,
  decodeMessage,
  encodeMessage,
  readMessage,
  writeMessage,
} from '../../../src/messages/codec.ts';
import { defineMessage, type Message } from '../../../src/messages/registry.ts';
import { t } from '../../../src/messages/schema.ts';
import {
  callsignErrorOf,
  defineFixtures,
  FakeAddress,
  fakeAddresses,
  NoSuchAddress,
  richSample,
} from './fixtures.ts';

const withAddresses: CodecContext = { addresses: fakeAddresses };

function roundTrip<M extends Message>(m: M, ctx?: CodecContext): M {
  const back = decodeMessage(encodeMessage(m, ctx), ctx);
  expect(back).toStrictEqual(m);
  expect(Object.keys(back)).toEqual(Object.keys(m));
  return back as M;
}

/** The bytes of `m` with its type name swapped for `typeName`. */
function renamed(m: Message, from: string, typeName: string): Uint8Array {
  const bytes = encodeMessage(m);
  const w = new Writer();
  w.string(typeName);
  w.raw(bytes.subarray(1 + from.length));
  return w.finish();
}

describe.each([
  ['generated code', true],
  ['closures', false],
])('codec (%s)', (mode, generated) => {
  const prefix = `codec.${generated ? 'gen' : 'closure'}`;
  const f = defineFixtures(prefix, generated);
  const { Inner, Empty, Rich, WithAddress, Scalars, Dyn } = f;

  describe('round trip', () => {
    it('keeps every field of a rich message', () => {
      const m = richSample(f);
      const back = roundTrip(m);
      expect(back).toBeInstanceOf(Rich);
      expect(back.inner).toBeInstanceOf(Inner);
      expect(back.empty).toBeInstanceOf(Empty);
      expect(back.byId.get(7)).toBeInstanceOf(Inner);
    });

    it('keeps scalar edge values', () => {
      const cases = [
        { s: '', b: false, i: 0, u: 0, f: 0, big: 0n, bytes: new Uint8Array(0), d: new Date(0) },
        {
          s: '🙂'.repeat(100),
          b: true,
          i: Number.MAX_SAFE_INTEGER,
          u: Number.MAX_SAFE_INTEGER,
          f: -0,
          big: 2n ** 63n - 1n,
          bytes: new Uint8Array(70_000).fill(0xab),
          d: new Date(8.64e15),
        },
        {
          s: '\u0000\uFEFF\uFFFF',
          b: false,
          i: -Number.MAX_SAFE_INTEGER,
          u: 1,
          f: Number.NEGATIVE_INFINITY,
          big: -(2n ** 63n),
          bytes: new Uint8Array([0]),
          d: new Date(-8.64e15),
        },
        {
          s: 'x',
          b: true,
          i: -1,
          u: 2 ** 32,
          f: Number.MIN_VALUE,
          big: -1n,
          bytes: new Uint8Array(100).fill(1),
          d: new Date('2030-01-01T00:00:00.123Z'),
        },
      ];
      for (const fields of cases) roundTrip(new Scalars(fields));
    });

    it('keeps NaN floats and turns an int -0 into 0', () => {
      const back = decodeMessage(
        encodeMessage(new Scalars({ ...scalars(), i: -0, f: Number.NaN })),
      ) as InstanceType<typeof Scalars>;
      expect(Object.is(back.i, 0)).toBe(true);
      expect(back.f).toBeNaN();
    });

    it('decodes bytes as a fresh Uint8Array, not a view of the input', () => {
      const bytes = encodeMessage(new Scalars({ ...scalars(), bytes: new Uint8Array([1, 2, 3]) }));
      const back = decodeMessage(bytes) as InstanceType<typeof Scalars>;
      bytes.fill(0);
      expect([...back.bytes]).toEqual([1, 2, 3]);
      expect(back.bytes.constructor).toBe(Uint8Array);
    });

    it('accepts a Buffer where bytes are declared', () => {
      const back = decodeMessage(
        encodeMessage(new Scalars({ ...scalars(), bytes: Buffer.from('abc') })),
      ) as InstanceType<typeof Scalars>;
      expect(Buffer.from(back.bytes).toString()).toBe('abc');
    });

    it('keeps optional fields present and absent', () => {
      const absent = roundTrip(new Rich({ ...richSample(f), note: undefined, maybe: undefined }));
      expect(absent.note).toBeUndefined();
      expect(absent.count).toBeUndefined();
      expect(Object.keys(absent)).toContain('count');
      const present = roundTrip(new Rich({ ...richSample(f), note: '', count: 0 }));
      expect(present.note).toBe('');
      expect(present.count).toBe(0);
    });

    it('keeps nested arrays of maps, empty containers and every enum value', () => {
      for (const color of ['red', 'green', 'blue'] as const) {
        roundTrip(
          new Rich({
            ...richSample(f),
            color,
            list: [],
            grid: [new Map(), new Map([['', []]]), new Map([['k', [0, -0 + 0, 5]]])],
            byId: new Map(),
            scores: {},
          }),
        );
      }
    });

    it('keeps record keys that look like numbers or special names', () => {
      const scores = JSON.parse('{"__proto__": 1, "constructor": 2, "0": 3, "": 4, "ü": 5}');
      const back = roundTrip(new Rich({ ...richSample(f), scores }));
      expect(Object.getPrototypeOf(back.scores)).toBe(Object.prototype);
      expect(Object.keys(back.scores).sort()).toEqual(['', '0', '__proto__', 'constructor', 'ü']);
    });

    it('keeps any value: nested objects, arrays, messages and scalars', () => {
      const values: unknown[] = [
        undefined,
        null,
        true,
        false,
        0,
        -0,
        1,
        -1,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER + 1,
        2 ** 70,
        0.1,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        '',
        'ünïcode 🙂',
        new Uint8Array([1, 2, 3]),
        new Uint8Array(0),
        new Date(1_700_000_000_000),
        [],
        {},
        [1, [2, [3, [4]]], { a: { b: { c: [] } } }],
        { list: [null, undefined, 'x'], nested: { msg: new Inner({ name: 'n', n: 1 }) } },
        new Inner({ name: 'top', n: -5 }),
        new Empty(),
        richSample(f),
        [new Dyn({ value: new Dyn({ value: [new Empty()] }) })],
        JSON.parse('{"__proto__": {"x": 1}, "a b": 2}'),
        Object.assign(Object.create(null), { nullProto: true }),
      ];
      for (const value of values) {
        const back = decodeMessage(encodeMessage(new Dyn({ value }))) as InstanceType<typeof Dyn>;
        if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null) {
          expect(back.value).toEqual({ ...value });
        } else {
          expect(back.value).toStrictEqual(value);
        }
      }
    });

    it('keeps addresses, with an AddressCodec', () => {
      const m = new WithAddress({
        to: new FakeAddress(1),
        cc: [new FakeAddress(2), new FakeAddress(999)],
      });
      const back = roundTrip(m, withAddresses);
      expect(back.to).toBeInstanceOf(FakeAddress);
      roundTrip(
        new WithAddress({ to: new FakeAddress(0), cc: [], replyTo: new FakeAddress(5) }),
        withAddresses,
      );
      const inAny = new Dyn({ value: { from: new FakeAddress(3), list: [new FakeAddress(4)] } });
      roundTrip(inAny, withAddresses);
    });

    it('writes a message as its type name then its fields', () => {
      const bytes = encodeMessage(new Inner({ name: 'ab', n: -2 }));
      const r = new Reader(bytes);
      expect(r.string()).toBe(`${prefix}.Inner`);
      expect(r.string()).toBe('ab');
      expect(r.varint()).toBe(-2);
      r.end();
      expect(encodeMessage(new Empty()).length).toBe(1 + `${prefix}.Empty`.length);
    });

    it('reads and writes several messages in one buffer', () => {
      const w = new Writer();
      const sent = [new Inner({ name: 'a', n: 1 }), new Empty(), richSample(f)];
      for (const m of sent) writeMessage(w, m);
      const r = new Reader(w.finish());
      for (const m of sent) expect(readMessage(r)).toStrictEqual(m);
      r.end();
    });
  });

  describe('decode rejects', () => {
    it(`every truncation of a valid encoding (${mode})`, () => {
      const ctx = withAddresses;
      for (const m of [
        richSample(f),
        new WithAddress({ to: new FakeAddress(300), cc: [new FakeAddress(1)] }),
      ]) {
        const bytes = encodeMessage(m, ctx);
        for (let n = 0; n < bytes.length; n++) {
          const err = callsignErrorOf(() => decodeMessage(bytes.subarray(0, n), ctx));
          expect(err.code, `truncated to ${n} of ${bytes.length}`).toBe('ERR_MALFORMED_MESSAGE');
        }
      }
    });

    it('trailing bytes', () => {
      const bytes = encodeMessage(new Inner({ name: 'a', n: 1 }));
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(callsignErrorOf(() => decodeMessage(longer)).code).toBe('ERR_MALFORMED_MESSAGE');
    });

    it('an unknown type name, at the top and nested in any', () => {
      const inner = new Inner({ name: 'a', n: 1 });
      const unknown = renamed(inner, `${prefix}.Inner`, `${prefix}.Nope`);
      const err = callsignErrorOf(() => decodeMessage(unknown));
      expect(err.code).toBe('ERR_UNKNOWN_MESSAGE');
      expect(err.message).toContain(`${prefix}.Nope`);

      const w = new Writer();
      w.string(`${prefix}.Dyn`);
      w.u8(11); // any: a message
      w.string('nobody.Knows');
      expect(callsignErrorOf(() => decodeMessage(w.finish())).code).toBe('ERR_UNKNOWN_MESSAGE');
    });

    it.each([
      ['a bool of 2', t.bool, (w: Writer) => w.u8(2)],
      ['an enum index out of range', t.enumOf(['a', 'b', 'c']), (w: Writer) => w.varuint(3)],
      ['an optional tag of 2', t.optional(t.int), (w: Writer) => w.u8(2)],
      ['a date out of range', t.date, (w: Writer) => w.varint(8.64e15 + 1)],
      ['an unknown any tag', t.any, (w: Writer) => w.u8(13)],
      ['invalid UTF-8', t.string, (w: Writer) => w.bytes(new Uint8Array([0xc3, 0x28]))],
      [
        'a uint above 2^53-1',
        t.uint,
        (w: Writer) => w.raw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10])),
      ],
    ])('%s', (label, type, write) => {
      const typeName = `${prefix}.Bad.${label.replaceAll(' ', '-')}`;
      defineMessage(typeName, { v: type });
      const w = new Writer();
      w.string(typeName);
      write(w);
      expect(callsignErrorOf(() => decodeMessage(w.finish())).code).toBe('ERR_MALFORMED_MESSAGE');
    });

    it('repeated map, record and object keys', () => {
      class Keys extends defineMessage(`${prefix}.Keys`, {
        m: t.map(t.uint, t.bool),
        r: t.record(t.bool),
      }) {}
      const base = () => {
        const w = new Writer();
        w.string(`${prefix}.Keys`);
        return w;
      };
      const dupMap = base();
      dupMap.varuint(2);
      dupMap.varuint(1);
      dupMap.u8(1);
      dupMap.varuint(1);
      dupMap.u8(0);
      dupMap.varuint(0);
      expect(callsignErrorOf(() => decodeMessage(dupMap.finish())).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
      const dupRecord = base();
      dupRecord.varuint(0);
      dupRecord.varuint(2);
      dupRecord.string('k');
      dupRecord.u8(1);
      dupRecord.string('k');
      dupRecord.u8(1);
      expect(callsignErrorOf(() => decodeMessage(dupRecord.finish())).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
      const dupObject = new Writer();
      dupObject.string(`${prefix}.Dyn`);
      dupObject.u8(10);
      dupObject.varuint(2);
      dupObject.string('__proto__');
      dupObject.u8(1);
      dupObject.string('__proto__');
      dupObject.u8(1);
      expect(callsignErrorOf(() => decodeMessage(dupObject.finish())).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
      expect(Keys.typeName).toBe(`${prefix}.Keys`);
    });

    it('counts larger than the bytes left, without allocating them', () => {
      const w = new Writer();
      w.string(`${prefix}.Dyn`);
      w.u8(9); // any: an array
      w.varuint(Number.MAX_SAFE_INTEGER);
      expect(callsignErrorOf(() => decodeMessage(w.finish())).code).toBe('ERR_MALFORMED_MESSAGE');
    });

    it('values nested deeper than maxDepth', () => {
      let value: unknown = 'leaf';
      for (let i = 0; i < 40; i++) value = [value];
      const deep = new Dyn({ value });
      const bytes = encodeMessage(deep, { maxDepth: 100 });
      expect(callsignErrorOf(() => decodeMessage(bytes)).code).toBe('ERR_MALFORMED_MESSAGE');
      expect(decodeMessage(bytes, { maxDepth: 40 })).toStrictEqual(deep);
      expect(callsignErrorOf(() => decodeMessage(bytes, { maxDepth: 39 })).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
      const nested = encodeMessage(new Dyn({ value: new Dyn({ value: new Dyn({ value: 1 }) }) }));
      expect(callsignErrorOf(() => decodeMessage(nested, { maxDepth: 1 })).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
    });

    it('an address without an AddressCodec, or one the codec cannot read', () => {
      const m = new WithAddress({ to: new FakeAddress(1), cc: [] });
      const bytes = encodeMessage(m, withAddresses);
      expect(callsignErrorOf(() => decodeMessage(bytes)).code).toBe('ERR_MALFORMED_MESSAGE');

      const unknown = encodeMessage(new WithAddress({ to: new FakeAddress(1000), cc: [] }), {
        addresses: { write: fakeAddresses.write, read: () => new FakeAddress(0) },
      });
      const err = callsignErrorOf(() => decodeMessage(unknown, withAddresses));
      expect(err.code).toBe('ERR_MALFORMED_MESSAGE');
      let cause: unknown = err;
      while (cause instanceof Error && !(cause instanceof NoSuchAddress)) cause = cause.cause;
      expect(cause).toBeInstanceOf(NoSuchAddress);

      const lazy = { write: fakeAddresses.write, read: () => new FakeAddress(1) };
      expect(callsignErrorOf(() => decodeMessage(bytes, { addresses: lazy })).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
      const wrong = {
        write: fakeAddresses.write,
        read: (r: Reader) => ({ id: r.varuint() }) as unknown as FakeAddress,
      };
      expect(callsignErrorOf(() => decodeMessage(bytes, { addresses: wrong })).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
    });

    it('input that is not a Uint8Array', () => {
      expect(callsignErrorOf(() => decodeMessage('x' as unknown as Uint8Array)).code).toBe(
        'ERR_MALFORMED_MESSAGE',
      );
    });
  });

  describe('encode rejects', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['a number in a string field', { s: 1 }, 'field s: expected a string, got number 1'],
      ['a missing required field', { s: undefined }, 'field s: expected a string, got undefined'],
      ['a string in an int field', { i: '1' }, 'field i: expected a safe integer, got "1"'],
      ['a fraction in an int field', { i: 1.5 }, 'field i: expected a safe integer'],
      ['an unsafe int', { i: 2 ** 53 }, 'field i: expected a safe integer'],
      ['NaN in an int field', { i: Number.NaN }, 'field i: expected a safe integer'],
      ['a negative uint', { u: -1 }, 'field u: expected a non-negative safe integer'],
      ['a bigint in a float field', { f: 1n }, 'field f: expected a number'],
      ['a number in a bigint field', { big: 1 }, 'field big: expected a bigint'],
      ['an out-of-range bigint', { big: 2n ** 63n }, 'field big: expected a bigint'],
      ['a string in a bool field', { b: 'yes' }, 'field b: expected a boolean'],
      ['an array in a bytes field', { bytes: [1] }, 'field bytes: expected a Uint8Array'],
      ['an invalid Date', { d: new Date(Number.NaN) }, 'field d: expected a valid Date'],
      ['a number in a date field', { d: 0 }, 'field d: expected a Date'],
    ];
    it.each(cases)('%s', (_label, change, text) => {
      const m = new Scalars({ ...scalars(), ...change } as ReturnType<typeof scalars>);
      const err = callsignErrorOf(() => encodeMessage(m));
      expect(err.code).toBe('ERR_INVALID_MESSAGE');
      expect(err.message).toContain(`${prefix}.Scalars`);
      expect(err.message).toContain(text);
    });

    it.each([
      [
        'an unknown enum value',
        { color: 'pink' },
        'field color: expected one of "red", "green", "blue"',
      ],
      ['a bad array item', { list: ['a', 2] }, 'field list[1]: expected a string'],
      ['a non-array', { list: 'abc' }, 'field list: expected an array'],
      ['a bad value deep inside', { grid: [new Map([['k', [1, 'x']]])] }, 'field grid[0]["k"][1]'],
      [
        'a bad map key',
        { byId: new Map([['7', null]]) },
        'field byId["7"]: expected a safe integer',
      ],
      ['an object for a map', { byId: {} }, 'field byId: expected a Map'],
      ['a non-plain record', { scores: new Map() }, 'field scores: expected a plain object'],
      ['a bad record value', { scores: { 'a b': 'x' } }, 'field scores["a b"]: expected a number'],
      ['a plain object for a message', { inner: { name: 'x', n: 1 } }, 'field inner: expected a '],
      ['the wrong message class', { inner: null }, 'field inner: expected a'],
      ['a bad field of a nested message', { maybe: 'x' }, 'field maybe: expected a'],
      [
        'a function in any',
        { any: { x: [() => 1] } },
        'field any.x[0]: expected a JSON-like value',
      ],
      ['a Map in any', { any: new Map() }, 'field any: expected a JSON-like value'],
      ['a bigint in any', { any: 1n }, 'field any: expected a JSON-like value'],
      ['a symbol in any', { any: Symbol('s') }, 'field any: expected a JSON-like value'],
      ['a class instance in any', { any: new (class Point {})() }, 'an instance of Point'],
    ])('%s', (_label, change, text) => {
      const m = new Rich({ ...richSample(f), ...change } as ReturnType<typeof richSample>);
      const err = callsignErrorOf(() => encodeMessage(m));
      expect(err.code).toBe('ERR_INVALID_MESSAGE');
      expect(err.message).toContain(`${prefix}.Rich`);
      expect(err.message).toContain(text);
    });

    it('a bad field inside a nested message names the path', () => {
      const m = new Rich({ ...richSample(f), inner: new Inner({ name: 'x', n: 0.5 }) });
      expect(callsignErrorOf(() => encodeMessage(m)).message).toContain('field inner.n:');
    });

    it('a cycle in any, as too deep', () => {
      const cycle: unknown[] = [];
      cycle.push(cycle);
      const err = callsignErrorOf(() => encodeMessage(new Dyn({ value: cycle })));
      expect(err.code).toBe('ERR_INVALID_MESSAGE');
      expect(err.message).toContain('maxDepth');
    });

    it('an address without an AddressCodec, or a codec that writes nothing', () => {
      const m = new WithAddress({ to: new FakeAddress(1), cc: [] });
      expect(callsignErrorOf(() => encodeMessage(m)).message).toContain('AddressCodec');
      const silent = { write: () => {}, read: fakeAddresses.read };
      expect(callsignErrorOf(() => encodeMessage(m, { addresses: silent })).code).toBe(
        'ERR_INVALID_MESSAGE',
      );
      const notAddress = new WithAddress({ to: { id: 1 } as unknown as FakeAddress, cc: [] });
      expect(callsignErrorOf(() => encodeMessage(notAddress, withAddresses)).message).toContain(
        'expected an Address',
      );
    });

    it('an AddressCodec that throws, keeping the cause', () => {
      const failing = {
        write: () => {
          throw new NoSuchAddress('gone');
        },
        read: fakeAddresses.read,
      };
      const m = new WithAddress({ to: new FakeAddress(1), cc: [] });
      const err = callsignErrorOf(() => encodeMessage(m, { addresses: failing }));
      expect(err.code).toBe('ERR_INVALID_MESSAGE');
      expect(err.message).toContain('field to: gone');
      expect(err.cause).toBeInstanceOf(NoSuchAddress);
    });

    it('leaves the Writer as it was', () => {
      const w = new Writer();
      writeMessage(w, new Inner({ name: 'ok', n: 1 }));
      const before = w.finish();
      const bad = new Rich({ ...richSample(f), color: 'pink' as 'red' });
      expect(callsignErrorOf(() => writeMessage(w, bad)).code).toBe('ERR_INVALID_MESSAGE');
      expect(w.finish()).toEqual(before);
    });
  });

  function scalars() {
    return {
      s: 's',
      b: true,
      i: 1,
      u: 1,
      f: 1,
      big: 1n,
      bytes: new Uint8Array(1),
      d: new Date(0),
    };
  }
});

describe('codec', () => {
  it('refuses things that are not messages', () => {
    for (const x of [null, undefined, {}, 'Stop', new Date()]) {
      expect(callsignErrorOf(() => encodeMessage(x as unknown as Message)).code).toBe(
        'ERR_INVALID_MESSAGE',
      );
    }
  });

  it('refuses a maxDepth that is not a non-negative integer', () => {
    class Flat extends defineMessage('codec.Flat', {}) {}
    for (const maxDepth of [-1, 1.5, Number.NaN]) {
      expect(callsignErrorOf(() => encodeMessage(new Flat(), { maxDepth })).code).toBe(
        'ERR_INVALID_SETTINGS',
      );
    }
    expect(encodeMessage(new Flat(), { maxDepth: 0 }).length).toBe(1 + 'codec.Flat'.length);
  });

  it('produces the same bytes with generated code and with closures', () => {
    const gen = defineFixtures('same.a', true);
    const clo = defineFixtures('same.b', false);
    const a = encodeMessage(richSample(gen));
    const b = encodeMessage(richSample(clo));
    // the type names differ by one letter (a/b) in each of their occurrences
    expect(a.length).toBe(b.length);
    const diff = [...a].filter((byte, i) => byte !== b[i]);
    expect(diff.every((byte) => byte === 'a'.charCodeAt(0))).toBe(true);
  });

  it('encodes re-entrantly (an AddressCodec that encodes a message itself)', () => {
    class Note extends defineMessage('codec.Note', { text: t.string, to: t.address }) {}
    const nested = {
      write(w: Writer, a: FakeAddress) {
        w.bytes(
          encodeMessage(
            new Note({ text: `for ${a.id}`, to: new FakeAddress(a.id + 1) }),
            withAddresses,
          ),
        );
      },
      read(r: Reader) {
        const inner = decodeMessage(r.bytes(), withAddresses) as Note;
        return new FakeAddress((inner.to as FakeAddress).id - 1);
      },
    };
    const m = new Note({ text: 'outer', to: new FakeAddress(7) });
    const ctx = { addresses: nested as unknown as typeof fakeAddresses };
    expect(decodeMessage(encodeMessage(m, ctx), ctx)).toStrictEqual(m);
  });
});

describe('bytes decoded as views', () => {
  class Payload extends defineMessage('test.codec.viewbytes.Payload', { data: t.bytes }) {}

  it('gives a view of the input for a large field when asked, a copy otherwise', () => {
    const big = encodeMessage(new Payload({ data: new Uint8Array(4096).fill(9) }));
    const input = new Uint8Array(big); // a buffer of its own, as a decrypted frame is
    const viewed = decodeMessage(input, { viewBytes: true }) as Payload;
    expect(viewed.data.buffer).toBe(input.buffer);
    const copied = decodeMessage(input) as Payload;
    expect(copied.data.buffer).not.toBe(input.buffer);
    expect(Buffer.from(viewed.data).equals(Buffer.from(copied.data))).toBe(true);
  });

  it('copies a field that is small next to the buffer it sits in, so a view never pins much more', () => {
    const small = encodeMessage(new Payload({ data: new Uint8Array(2048).fill(1) }));
    const frame = new Uint8Array(64 * 1024);
    frame.set(small, 0);
    const m = decodeMessage(frame.subarray(0, small.length), { viewBytes: true }) as Payload;
    expect(m.data.buffer).not.toBe(frame.buffer);
  });
});
