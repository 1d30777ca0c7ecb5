/**
 * How a node hands a circuit's DATA to its relay without copying the sealed
 * frame: the WebSocket frame's header, its (zero) masking key and the
 * 5-byte circuit header go in one small buffer, the sealed frame as it is
 * after it, both written corked so the kernel gets them in one writev.
 * The relay reads it like any other masked client frame (RFC 6455 §5.2).
 *
 * A zero masking key is what the transport's dialer uses too: masking
 * guards browsers' proxies against scripts choosing the bytes on the wire
 * (RFC 6455 §10.3); here the client is a node, not a browser, and every
 * payload is AEAD ciphertext that no one without the keys can choose. With
 * a zero key the ws library neither masks what it sends nor unmasks what
 * the relay reads. docs/wan.md.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { CIRCUIT_HEADER, RELAY_FRAME } from './frames.ts';

/** The masking key of every frame a node sends its relay: zero (see the module). */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/**
 * Writes DATA of `circuit` carrying `payload` on `socket` as one masked
 * (zero key) binary WebSocket frame, without copying `payload`. The caller
 * makes sure the WebSocket is open and nothing of the ws library's is
 * queued before it (no compression, no streamed messages).
 */
export function writeDataFrame(socket: Duplex, circuit: number, payload: Uint8Array): void {
  const length = CIRCUIT_HEADER + payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const head = Buffer.allocUnsafe(2 + extended + 4 + CIRCUIT_HEADER);
  head[0] = 0x82; // FIN, binary
  let at = 2;
  if (extended === 0) head[1] = 0x80 | length;
  else if (extended === 2) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
    at = 4;
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
    at = 10;
  }
  head.writeUInt32BE(0, at); // the masking key
  at += 4;
  head[at] = RELAY_FRAME.data;
  head.writeUInt32BE(circuit, at + 1);
  socket.cork();
  socket.write(head);
  socket.write(payload);
  socket.uncork();
}
