import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../src/streams/byte-reader.ts';

const fail = (why: string) => new Error(`damaged: ${why}`);

describe('the byte reader of packs and records', () => {
  it('reads varuints, bytes, doubles, views and text in order', () => {
    const f = Buffer.alloc(8);
    f.writeDoubleLE(2.5);
    const bytes = Buffer.concat([
      Buffer.from([0x05, 0xac, 0x02, 0x07]),
      f,
      Buffer.from([3, 0x61, 0x62, 0x63, 2, 9, 9, 1]),
    ]);
    const r = new ByteReader(new Uint8Array(bytes), fail);
    expect([r.uint(), r.uint(), r.byte(), r.float(), r.text()]).toEqual([5, 300, 7, 2.5, 'abc']);
    r.skip(); // ByteReader.skip passes over one length-prefixed field (2, 9, 9): not a skipped test
    expect([...r.bytes(1)]).toEqual([1]);
    expect(r.more).toBe(false);
  });

  it("fails with its owner's error instead of reading past the end, at every cut", () => {
    const whole = Buffer.from([0xac, 0x02, 4, 1, 2, 3, 4, 0x78]);
    const all = (r: ByteReader) => [r.uint(), [...r.bytes()], r.byte()];
    for (let cut = 0; cut < whole.length; cut++) {
      expect(() => all(new ByteReader(whole.subarray(0, cut), fail))).toThrow(/^damaged: /);
    }
    expect(all(new ByteReader(whole, fail))).toEqual([300, [1, 2, 3, 4], 0x78]);
    const large = new ByteReader(Buffer.alloc(12, 0xff), fail, 2 ** 21);
    expect(() => large.uint()).toThrow('damaged: a number is too large');
    expect(() => new ByteReader(Buffer.from([5, 1]), fail).text()).toThrow(/runs past its end/);
    // ByteReader.skip, as text above: a field longer than what is left is refused.
    expect(() => new ByteReader(Buffer.from([5, 1]), fail).skip()).toThrow(/runs past its end/);
  });
});
