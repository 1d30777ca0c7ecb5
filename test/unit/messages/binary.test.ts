import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../../src/messages/binary.ts';
import { callsignErrorOf } from './fixtures.ts';

function written(fn: (w: Writer) => void, initialSize?: number): Uint8Array {
  const w = new Writer(initialSize);
  fn(w);
  return w.finish();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const MAX = Number.MAX_SAFE_INTEGER;

describe('varuint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [2 ** 32 - 1, 'ffffffff0f'],
    [2 ** 32, '8080808010'],
    [MAX, 'ffffffffffffff0f'],
  ])('writes %d as %s (LEB128) and reads it back', (v, expected) => {
    const bytes = written((w) => w.varuint(v));
    expect(hex(bytes)).toBe(expected);
    const r = new Reader(bytes);
    expect(r.varuint()).toBe(v);
    r.end();
  });

  it('round-trips powers of two and their neighbours', () => {
    for (let bit = 0; bit <= 53; bit++) {
      for (const v of [2 ** bit - 1, 2 ** bit, 2 ** bit + 1]) {
        if (v > MAX) continue;
        const r = new Reader(written((w) => w.varuint(v)));
        expect(r.varuint()).toBe(v);
        expect(r.remaining).toBe(0);
      }
    }
  });

  it.each([[-1], [1.5], [MAX + 1], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'refuses to write %d',
    (v) => {
      expect(callsignErrorOf(() => new Writer().varuint(v)).code).toBe('ERR_INVALID_MESSAGE');
    },
  );

  it.each([
    ['', 'empty input'],
    ['80', 'truncated'],
    ['ffff', 'truncated'],
    ['8000', 'overlong (trailing zero byte)'],
    ['ff80808080808000', 'overlong'],
    ['808080808080808001', 'longer than 8 bytes'],
    ['ffffffffffffff10', 'above 2^53-1'],
  ])('rejects %s (%s)', (input) => {
    const r = new Reader(Buffer.from(input, 'hex'));
    expect(callsignErrorOf(() => r.varuint()).code).toBe('ERR_MALFORMED_MESSAGE');
  });
});

describe('varint (zigzag)', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
    [2 ** 31, '8080808010'],
    [-(2 ** 31) - 1, '8180808010'],
    [MAX, 'feffffffffffff1f'],
    [-MAX, 'fdffffffffffff1f'],
  ])('writes %d as %s and reads it back', (v, expected) => {
    const bytes = written((w) => w.varint(v));
    expect(hex(bytes)).toBe(expected);
    const r = new Reader(bytes);
    expect(r.varint()).toBe(v);
    r.end();
  });

  it('round-trips values across the whole safe range', () => {
    for (let bit = 0; bit <= 53; bit++) {
      for (const base of [2 ** bit - 1, 2 ** bit, 2 ** bit + 1]) {
        for (const v of [base, base === 0 ? 0 : -base]) {
          if (Math.abs(v) > MAX) continue;
          const r = new Reader(written((w) => w.varint(v)));
          expect(r.varint()).toBe(v);
          expect(r.remaining).toBe(0);
        }
      }
    }
  });

  it('writes -0 as 0', () => {
    expect(hex(written((w) => w.varint(-0)))).toBe('00');
  });

  it.each([[1.5], [MAX + 1], [-MAX - 1], [Number.NaN]])('refuses to write %d', (v) => {
    expect(callsignErrorOf(() => new Writer().varint(v)).code).toBe('ERR_INVALID_MESSAGE');
  });

  it.each([
    ['', 'empty'],
    ['81', 'truncated'],
    ['8100', 'overlong'],
    ['ffffffffffffff1f', '-(2^53), outside the safe range'],
    ['80808080808080ff01', 'too long'],
  ])('rejects %s (%s)', (input) => {
    const r = new Reader(Buffer.from(input, 'hex'));
    expect(callsignErrorOf(() => r.varint()).code).toBe('ERR_MALFORMED_MESSAGE');
  });
});

describe('fixed-width values', () => {
  it('round-trips u8, u32, i64 and f64 at their edges', () => {
    const f64s = [0, -0, 1.5, -Number.MAX_VALUE, Number.MIN_VALUE, Number.POSITIVE_INFINITY];
    const i64s = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const bytes = written((w) => {
      w.u8(0);
      w.u8(255);
      w.u32(0);
      w.u32(2 ** 32 - 1);
      for (const v of i64s) w.i64(v);
      for (const v of f64s) w.f64(v);
      w.f64(Number.NaN);
    });
    expect(bytes.length).toBe(2 + 8 + 8 * 4 + 8 * 7);
    const r = new Reader(bytes);
    expect([r.u8(), r.u8(), r.u32(), r.u32()]).toEqual([0, 255, 0, 2 ** 32 - 1]);
    for (const v of i64s) expect(r.i64()).toBe(v);
    for (const v of f64s) expect(Object.is(r.f64(), v)).toBe(true);
    expect(r.f64()).toBeNaN();
    r.end();
  });

  it('refuses values that do not fit', () => {
    const w = new Writer();
    for (const bad of [() => w.u8(256), () => w.u8(-1), () => w.u32(2 ** 32), () => w.u32(-1)]) {
      expect(callsignErrorOf(bad).code).toBe('ERR_INVALID_MESSAGE');
    }
    expect(callsignErrorOf(() => w.i64(2n ** 63n)).code).toBe('ERR_INVALID_MESSAGE');
    expect(callsignErrorOf(() => w.f64('1' as unknown as number)).code).toBe('ERR_INVALID_MESSAGE');
    expect(w.length).toBe(0);
  });

  it('rejects truncated fixed-width values', () => {
    for (const [n, read] of [
      [0, (r: Reader) => r.u8()],
      [3, (r: Reader) => r.u32()],
      [7, (r: Reader) => r.i64()],
      [7, (r: Reader) => r.f64()],
    ] as const) {
      const r = new Reader(new Uint8Array(n));
      expect(callsignErrorOf(() => read(r)).code).toBe('ERR_MALFORMED_MESSAGE');
    }
  });
});

describe('strings', () => {
  const samples = [
    '',
    'a',
    'hello, world',
    'ünïcödé',
    '日本語のテキスト',
    '🙂 emoji 𝄞 outside the BMP',
    '\uFEFFstarts with a byte order mark',
    '\u0000 nul inside',
    'x'.repeat(42),
    'é'.repeat(64), // 128 bytes: the short path needs a two-byte length
    '€'.repeat(64), // 192 bytes
    'y'.repeat(65), // the encodeInto path
    '€'.repeat(50_000), // a three-byte length after encodeInto
    'z'.repeat(300_000),
  ];

  it.each(samples.map((s) => [s.length > 40 ? `${s.slice(0, 12)}... (${s.length})` : s, s]))(
    'round-trips %j',
    (_label, s) => {
      const bytes = written((w) => w.string(s));
      const utf8 = Buffer.from(s, 'utf8');
      const r = new Reader(bytes);
      expect(r.varuint()).toBe(utf8.length);
      expect(Buffer.from(r.raw(utf8.length)).equals(utf8)).toBe(true);
      const back = new Reader(bytes);
      expect(back.string()).toBe(s);
      back.end();
    },
  );

  it('writes lone surrogates as U+FFFD, as TextEncoder does', () => {
    for (const s of ['\uD800', 'a\uDC00b', '\uD83D', `${'x'.repeat(70)}\uDFFF`]) {
      const bytes = written((w) => w.string(s));
      expect(new Reader(bytes).string()).toBe(
        new TextDecoder().decode(new TextEncoder().encode(s)),
      );
    }
  });

  it.each([
    ['05c3', 'length beyond the end'],
    ['01ff', 'invalid byte'],
    ['02c328', 'invalid continuation'],
    ['03eda080', 'encoded surrogate'],
    ['02c0af', 'overlong encoding'],
    ['04f4908080', 'above U+10FFFF'],
    [`41${'61'.repeat(64)}ff`, 'invalid byte after 64 ASCII bytes'],
  ])('rejects %s (%s)', (input) => {
    const r = new Reader(Buffer.from(input, 'hex'));
    expect(callsignErrorOf(() => r.string()).code).toBe('ERR_MALFORMED_MESSAGE');
  });

  it('refuses a non-string', () => {
    expect(callsignErrorOf(() => new Writer().string(1 as unknown as string)).code).toBe(
      'ERR_INVALID_MESSAGE',
    );
  });
});

describe('bytes and raw', () => {
  it('writes a length before bytes and nothing before raw', () => {
    const bytes = written((w) => {
      w.bytes(new Uint8Array([1, 2, 3]));
      w.bytes(new Uint8Array(0));
      w.raw(new Uint8Array([9, 8]));
    });
    expect(hex(bytes)).toBe('030102030009 08'.replace(' ', ''));
    const r = new Reader(bytes);
    expect([...r.bytes()]).toEqual([1, 2, 3]);
    expect(r.bytes().length).toBe(0);
    expect([...r.raw(2)]).toEqual([9, 8]);
    r.end();
  });

  it('returns views into the input', () => {
    const input = new Uint8Array([2, 7, 7]);
    const view = new Reader(input).bytes();
    input[1] = 42;
    expect(view[0]).toBe(42);
  });

  it('rejects lengths larger than what remains', () => {
    expect(callsignErrorOf(() => new Reader(new Uint8Array([3, 1, 2])).bytes()).code).toBe(
      'ERR_MALFORMED_MESSAGE',
    );
    expect(callsignErrorOf(() => new Reader(new Uint8Array(2)).raw(3)).code).toBe(
      'ERR_MALFORMED_MESSAGE',
    );
    expect(callsignErrorOf(() => new Reader(new Uint8Array(2)).raw(-1)).code).toBe(
      'ERR_MALFORMED_MESSAGE',
    );
  });
});

describe('Writer', () => {
  it('grows by doubling and keeps what was written', () => {
    const w = new Writer(16);
    const chunk = new Uint8Array(100).map((_, i) => i);
    for (let i = 0; i < 50; i++) w.raw(chunk);
    expect(w.length).toBe(5000);
    expect(w.capacity).toBe(8192);
    const out = w.finish();
    for (let i = 0; i < 5000; i++) expect(out[i]).toBe(i % 100);
  });

  it('finish() returns a copy that later writes do not change', () => {
    const w = new Writer();
    w.u8(1);
    const first = w.finish();
    w.reset();
    w.u8(2);
    expect([...first]).toEqual([1]);
    expect([...w.finish()]).toEqual([2]);
    const big = new Writer();
    big.raw(new Uint8Array(5000).fill(3));
    const copy = big.finish();
    big.reset();
    big.raw(new Uint8Array(5000).fill(4));
    expect(copy.every((b) => b === 3)).toBe(true);
  });

  it('view() shares the buffer, truncate() drops the tail', () => {
    const w = new Writer();
    w.raw(new Uint8Array([1, 2, 3]));
    expect([...w.view()]).toEqual([1, 2, 3]);
    w.truncate(1);
    expect(w.length).toBe(1);
    expect([...w.view()]).toEqual([1]);
    expect(callsignErrorOf(() => w.truncate(2)).code).toBe('ERR_INVALID_MESSAGE');
  });

  it('reset() keeps the capacity', () => {
    const w = new Writer(16);
    w.raw(new Uint8Array(100));
    const capacity = w.capacity;
    w.reset();
    expect(w.length).toBe(0);
    expect(w.capacity).toBe(capacity);
  });
});

describe('Reader', () => {
  it('tracks offset and remaining, and end() insists on nothing left', () => {
    const r = new Reader(new Uint8Array([1, 2, 3]));
    expect([r.offset, r.remaining]).toEqual([0, 3]);
    r.u8();
    expect([r.offset, r.remaining]).toEqual([1, 2]);
    expect(callsignErrorOf(() => r.end()).code).toBe('ERR_MALFORMED_MESSAGE');
    r.raw(2);
    r.end();
  });

  it('reads from a view with an offset into a larger buffer', () => {
    const backing = new Uint8Array(32);
    const w = new Writer();
    w.f64(2.5);
    w.u32(7);
    backing.set(w.finish(), 5);
    const r = new Reader(backing.subarray(5, 17));
    expect(r.f64()).toBe(2.5);
    expect(r.u32()).toBe(7);
    r.end();
  });

  it('refuses input that is not a Uint8Array', () => {
    expect(callsignErrorOf(() => new Reader('abc' as unknown as Uint8Array)).code).toBe(
      'ERR_MALFORMED_MESSAGE',
    );
  });
});
