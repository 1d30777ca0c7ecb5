/**
 * Writing one binary WebSocket frame (RFC 6455 §5.2) straight to its socket
 * when its payload is in pieces: the frame's header, the masking key of a
 * dialer (zero, see ws-transport.ts) and a few bytes of the caller's go in
 * one small buffer, each piece as it is after it, all written corked so
 * that the kernel gets them in one writev. The ws library's own sender takes
 * one buffer per frame, so pieces would otherwise be copied into one first.
 *
 * The caller makes sure the WebSocket is open and that nothing of the ws
 * library's is queued before it (no compression, no streamed messages), so
 * that the frame cannot land inside another.
 *
 * @module
 */
import type { Writable } from 'node:stream';

/**
 * Writes one final binary frame whose payload is `extra` bytes written by
 * `fillExtra` into the head at offset `at`, then every piece of `parts` in
 * order. `masked` for the dialing side: its frames carry a masking key, here
 * zero, so that the payload is sent as it is.
 */
export function writeBinaryFrame(
  socket: Writable,
  masked: boolean,
  parts: readonly Uint8Array[],
  extra = 0,
  fillExtra?: (head: Buffer, at: number) => void,
): void {
  let length = extra;
  for (const part of parts) length += part.byteLength;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const mask = masked ? 0x80 : 0;
  const head = Buffer.allocUnsafe(2 + extended + (masked ? 4 : 0) + extra);
  head[0] = 0x82; // FIN, binary
  let at = 2;
  if (extended === 0) head[1] = mask | length;
  else if (extended === 2) {
    head[1] = mask | 126;
    head.writeUInt16BE(length, 2);
    at = 4;
  } else {
    head[1] = mask | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
    at = 10;
  }
  if (masked) {
    head.writeUInt32BE(0, at); // the masking key
    at += 4;
  }
  fillExtra?.(head, at);
  socket.cork();
  socket.write(head);
  for (const part of parts) if (part.byteLength > 0) socket.write(part);
  socket.uncork();
}
