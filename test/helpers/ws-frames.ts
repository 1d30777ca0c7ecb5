/**
 * WebSocket client frames built by hand (RFC 6455 §5.2), for the tests that
 * speak to a listener as an attacker would, and for the ws fuzzer.
 */

/** What a frame says about itself; `declared` announces a length other than the payload's. */
export interface WsFrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  rsv?: number;
  /** The masking key, or undefined for an unmasked frame. */
  maskKey?: Uint8Array;
  declared?: number;
  /** Force the 16- or 64-bit length form. */
  form?: 16 | 64;
}

export function wsFrameBytes(spec: WsFrameSpec): Uint8Array {
  const { opcode, payload, fin = true, rsv = 0, maskKey } = spec;
  const length = spec.declared ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | (opcode & 0x0f)];
  const m = maskKey ? 0x80 : 0;
  if (spec.form === 64 || length > 0xffff) {
    head.push(m | 127);
    let n = BigInt(length);
    const bytes: number[] = [];
    for (let i = 0; i < 8; i++) {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    }
    head.push(...bytes);
  } else if (spec.form === 16 || length > 125) {
    head.push(m | 126, (length >> 8) & 0xff, length & 0xff);
  } else {
    head.push(m | length);
  }
  const body = payload.slice();
  if (maskKey) {
    head.push(...maskKey);
    for (let i = 0; i < body.length; i++) body[i]! ^= maskKey[i & 3]!;
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}
