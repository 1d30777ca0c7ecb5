import { describe, expect, it } from 'vitest';
import {
  FrameBuffers,
  MAX_SPARES,
  POOLED_FROM,
  POOLED_SIZE,
} from '../../../src/transport/frame-buffers.ts';

describe('the buffers of sealed frames', () => {
  it('keeps none for small or oversized frames', () => {
    const buffers = new FrameBuffers();
    expect(buffers.take(POOLED_FROM - 1)).toBeUndefined();
    expect(buffers.take(POOLED_SIZE + 1)).toBeUndefined();
    expect(buffers.take(POOLED_FROM)?.byteLength).toBe(POOLED_SIZE);
  });

  it('hands a buffer out again only once it was given back, keeping a few at most', () => {
    const buffers = new FrameBuffers();
    const taken = Array.from({ length: MAX_SPARES + 2 }, () => buffers.take(POOLED_SIZE)!);
    expect(new Set(taken).size).toBe(taken.length);
    for (const b of taken) buffers.giveBack(b);
    const again = Array.from({ length: MAX_SPARES + 1 }, () => buffers.take(POOLED_FROM)!);
    expect(again.filter((b) => taken.includes(b))).toHaveLength(MAX_SPARES);
    buffers.release();
    expect(taken).not.toContain(buffers.take(POOLED_FROM));
  });
});
