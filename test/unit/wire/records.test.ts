import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { FramePacker, FrameUnpacker } from '../../../src/wire/records.ts';

function unpackAll(frames: Uint8Array[], maxReassemblyBytes = 1 << 20) {
  const unpacker = new FrameUnpacker({ maxMessageSize: 1 << 20, maxReassemblyBytes });
  const out: { to: number; from: number; body: Uint8Array }[] = [];
  for (const f of frames) {
    unpacker.unpack(f, {
      message: (to, from, body) => out.push({ to, from, body: body.slice() }),
      control: () => {},
    });
  }
  return { out, unpacker };
}

describe('the frame packer, encoding straight into the frame', () => {
  const fill = (w: { raw(b: Uint8Array): void }, n: number, v: number) =>
    w.raw(new Uint8Array(n).fill(v));

  it('keeps messages that fit in one frame, and moves one that does not fit to the next', () => {
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({ maxFrameSize: 1024, onFrame: (p) => frames.push(p.slice()) });
    fill(packer.beginMessage(1, 2), 600, 1);
    packer.commitMessage();
    fill(packer.beginMessage(3, 4), 600, 2);
    packer.commitMessage();
    packer.flush();
    expect(frames).toHaveLength(2);
    const { out } = unpackAll(frames);
    expect(out.map((m) => [m.to, m.from, m.body.length, m.body[0]])).toEqual([
      [1, 2, 600, 1],
      [3, 4, 600, 2],
    ]);
  });

  it('cuts a message larger than a frame into fragments, kept in order with what follows', () => {
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({ maxFrameSize: 1024, onFrame: (p) => frames.push(p.slice()) });
    fill(packer.beginMessage(1, 2), 5000, 7);
    packer.commitMessage();
    fill(packer.beginMessage(1, 2), 10, 8);
    packer.commitMessage();
    packer.flush();
    expect(frames.length).toBeGreaterThan(4);
    const { out } = unpackAll(frames);
    expect(out.map((m) => [m.body.length, m.body[4999] ?? m.body[0]])).toEqual([
      [5000, 7],
      [10, 8],
    ]);
  });

  it('batches up to the target frame size; a larger message goes alone, unfragmented', () => {
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({
      maxFrameSize: 8192,
      targetFrameSize: 2048,
      onFrame: (p) => frames.push(p.slice()),
    });
    for (const [n, v] of [
      [900, 1],
      [900, 2],
      [900, 3],
      [5000, 4],
      [100, 5],
    ] as const) {
      fill(packer.beginMessage(1, 2), n, v);
      packer.commitMessage();
    }
    packer.message(1, 2, new Uint8Array(6000).fill(6));
    packer.control(9);
    packer.flush();
    // [900, 900] | [900] | [5000] alone, past the target | [100] | [6000] alone | [control]
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(8192);
    const { out } = unpackAll(frames);
    expect(out.map((m) => [m.body.length, m.body[0]])).toEqual([
      [900, 1],
      [900, 2],
      [900, 3],
      [5000, 4],
      [100, 5],
      [6000, 6],
    ]);
    const perFrame = frames.map((f) => unpackAll([f]).out.map((m) => m.body[0]));
    expect(perFrame.slice(0, 5)).toEqual([[1, 2], [3], [4], [5], [6]]);
    expect(frames).toHaveLength(6);
  });

  it('takes a message back out, or drops it, as if it was never begun', () => {
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({ maxFrameSize: 1024, onFrame: (p) => frames.push(p.slice()) });
    fill(packer.beginMessage(1, 2), 10, 1);
    packer.commitMessage();
    fill(packer.beginMessage(1, 2), 20, 2);
    expect(packer.bodyLength).toBe(20);
    const body = packer.retractMessage();
    expect([body.length, body[0]]).toEqual([20, 2]);
    fill(packer.beginMessage(1, 2), 30, 3);
    packer.abortMessage();
    packer.flush();
    const { out } = unpackAll(frames);
    expect(out.map((m) => m.body.length)).toEqual([10]);
  });
});

describe('reassembly memory', () => {
  it('grows with what arrived, not with what a first fragment announces, within the budget', () => {
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({ maxFrameSize: 1024, onFrame: (p) => frames.push(p.slice()) });
    packer.message(1, 2, new Uint8Array(10_000));
    packer.flush();
    const unpacker = new FrameUnpacker({ maxMessageSize: 1 << 20, maxReassemblyBytes: 4096 });
    const handler = { message: () => {}, control: () => {} };
    unpacker.unpack(frames[0]!, handler);
    expect(unpacker.held).toBeLessThanOrEqual(1024);
    let code: string | undefined;
    try {
      for (const f of frames.slice(1)) unpacker.unpack(f, handler);
    } catch (err) {
      code = isCallsignError(err) ? err.code : String(err);
    }
    expect(code).toBe('ERR_FRAGMENT_BUDGET');
    unpacker.release();
    expect(unpacker.held).toBe(0);
  });
});
