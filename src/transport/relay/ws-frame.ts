/**
 * How a node hands a circuit's DATA to its relay without copying the sealed
 * frame: the WebSocket frame's header, its (zero) masking key and the
 * 5-byte circuit header go in one small buffer, the sealed frame as it is
 * after it, all written corked so the kernel gets them in one writev
 * (`../ws-frame.ts`).
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
import { writeBinaryFrame } from '../ws-frame.ts';
import { CIRCUIT_HEADER, RELAY_FRAME } from './frames.ts';

/** The masking key of every frame a node sends its relay: zero (see the module). */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/**
 * Writes DATA of `circuit` carrying the sealed frame `payload` (one buffer,
 * or the pieces that make it, see `FrameSealer.sealParts`) on `socket` as
 * one masked (zero key) binary WebSocket frame, without copying it. The
 * caller makes sure the WebSocket is open and nothing of the ws library's
 * is queued before it (no compression, no streamed messages).
 */
export function writeDataFrame(
  socket: Duplex,
  circuit: number,
  payload: Uint8Array | readonly Uint8Array[],
): void {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  writeBinaryFrame(socket, true, parts, CIRCUIT_HEADER, (head, at) => {
    head[at] = RELAY_FRAME.data;
    head.writeUInt32BE(circuit, at + 1);
  });
}
