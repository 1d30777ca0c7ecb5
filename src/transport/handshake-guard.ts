/**
 * Reads the WebSocket frame headers that a stranger sends before the
 * handshake has finished, without keeping any of the bytes, so that a link
 * can be cut the moment a frame announces more than a handshake message
 * needs: the ws library would otherwise buffer up to the full frame size for
 * every unauthenticated connection. A pure state machine on bytes.
 *
 * Until the handshake completes, a peer has no reason to send anything
 * larger: the responder reads M1, M3 and the initiator's OPEN record (the
 * initiator's actors cannot send before the responder's OPEN, which comes
 * after the handshake); the initiator reads M2 or a REJECT.
 *
 * Frame layout (RFC 6455 §5.2): byte 0 = FIN, RSV1-3, opcode; byte 1 = MASK,
 * 7-bit length; then a 16- or 64-bit length when the 7-bit one is 126 or
 * 127; then a 4-byte mask key when MASK is set; then the payload.
 *
 * @module
 */

/** What the guard says about the bytes so far. */
export type GuardVerdict =
  /** Nothing wrong yet; keep feeding. */
  | { readonly kind: 'ok' }
  /** Cut the link: a frame larger than the handshake allows. */
  | { readonly kind: 'refuse'; readonly reason: string };

/** Options of {@link HandshakeGuard}. */
export interface HandshakeGuardInit {
  /** The largest payload, in bytes, one message may have before the handshake completes. */
  maxPayload: number;
}

const OK: GuardVerdict = { kind: 'ok' };

/** Scans WebSocket frames for the handshake phase; see the module comment. */
export class HandshakeGuard {
  readonly #max: number;
  /** Header bytes collected for the frame being read (at most 14). */
  readonly #header = new Uint8Array(14);
  #headerLength = 0;
  /** Payload bytes of the current frame still to skip. */
  #skip = 0;
  /** Payload bytes of the current (possibly fragmented) message so far. */
  #messageBytes = 0;
  #finalFrame = false;
  #control = false;
  #verdict: GuardVerdict = OK;

  constructor(init: HandshakeGuardInit) {
    this.#max = init.maxPayload;
  }

  /** Reads `chunk`; once the verdict is `refuse` it no longer changes. */
  feed(chunk: Uint8Array): GuardVerdict {
    let at = 0;
    while (this.#verdict === OK && at < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        if (this.#skip === 0) this.#frameEnded();
        continue;
      }
      this.#header[this.#headerLength++] = chunk[at++]!;
      const need = headerSize(this.#header, this.#headerLength);
      if (need !== undefined && this.#headerLength === need) this.#frameStarted();
    }
    return this.#verdict;
  }

  #frameStarted(): void {
    const h = this.#header;
    const opcode = h[0]! & 0x0f;
    const length = payloadLength(h);
    this.#headerLength = 0;
    this.#control = opcode >= 8;
    this.#finalFrame = (h[0]! & 0x80) !== 0;
    if (!this.#control) {
      this.#messageBytes += length;
      if (this.#messageBytes > this.#max) {
        this.#verdict = {
          kind: 'refuse',
          reason: `a handshake message of at least ${this.#messageBytes} bytes (a handshake needs at most ${this.#max})`,
        };
        return;
      }
    }
    this.#skip = length;
    if (length === 0) this.#frameEnded();
  }

  #frameEnded(): void {
    if (!this.#control && this.#finalFrame) this.#messageBytes = 0;
  }
}

/** The size of the header that starts with `h[0..n)`, once `n` bytes say it. */
function headerSize(h: Uint8Array, n: number): number | undefined {
  if (n < 2) return undefined;
  const short = h[1]! & 0x7f;
  const mask = h[1]! & 0x80 ? 4 : 0;
  if (short === 126) return 4 + mask;
  if (short === 127) return 10 + mask;
  return 2 + mask;
}

/**
 * The payload length a complete header announces. A 64-bit length above 2^53
 * comes out as a huge number, which is all the guard needs to refuse it.
 */
function payloadLength(h: Uint8Array): number {
  const short = h[1]! & 0x7f;
  if (short === 126) return (h[2]! << 8) | h[3]!;
  if (short === 127) {
    let n = 0;
    for (let i = 2; i < 10; i++) n = n * 256 + h[i]!;
    return n;
  }
  return short;
}
