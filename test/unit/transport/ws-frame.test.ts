import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeBinaryFrame } from '../../../src/transport/ws-frame.ts';
import { wsFrameBytes } from '../../helpers/ws-frames.ts';

/** What `write` put on a stream, and in how many calls the stream was given it. */
function written(write: (socket: Writable) => void): { bytes: Buffer; calls: number } {
  const chunks: Buffer[] = [];
  let calls = 0;
  const socket = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      calls++;
      chunks.push(chunk);
      callback();
    },
    writev(all, callback) {
      calls++;
      for (const { chunk } of all) chunks.push(chunk as Buffer);
      callback();
    },
  });
  write(socket);
  return { bytes: Buffer.concat(chunks), calls };
}

describe('writeBinaryFrame', () => {
  it('writes the pieces as one binary frame, as the ws library would frame them joined', () => {
    for (const size of [0, 1, 125, 126, 0xffff, 0x10000, 70_000]) {
      const joined = randomBytes(size);
      const cut = [
        joined.subarray(0, 8),
        joined.subarray(8, size - 16),
        joined.subarray(size - 16),
      ];
      const parts = size >= 24 ? cut : [joined];
      for (const masked of [false, true]) {
        const { bytes } = written((socket) => writeBinaryFrame(socket, masked, parts));
        const expected = wsFrameBytes({
          opcode: 2,
          payload: joined,
          ...(masked ? { maskKey: new Uint8Array(4) } : {}),
        });
        expect(Buffer.from(expected).equals(bytes), `${size} bytes, masked ${masked}`).toBe(true);
      }
    }
  });

  it('puts bytes of the caller in the head, before the pieces, and counts them in the length', () => {
    const payload = randomBytes(300);
    const { bytes } = written((socket) =>
      writeBinaryFrame(socket, true, [payload], 5, (head, at) => {
        head[at] = 7;
        head.writeUInt32BE(0x01020304, at + 1);
      }),
    );
    const expected = wsFrameBytes({
      opcode: 2,
      payload: Buffer.concat([Buffer.of(7, 1, 2, 3, 4), payload]),
      maskKey: new Uint8Array(4),
    });
    expect(Buffer.from(expected).equals(bytes)).toBe(true);
  });

  it('hands the stream the head and every piece corked, in one writev', () => {
    const parts = [randomBytes(8), randomBytes(40_000), randomBytes(16)];
    const { bytes, calls } = written((socket) => writeBinaryFrame(socket, false, parts));
    expect(calls).toBe(1);
    expect(bytes.length).toBe(4 + 40_024);
  });
});
