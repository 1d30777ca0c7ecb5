export { prng } from '../messages/fixtures.ts';

/** An integer in [0, n). */
export function below(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

export function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = below(random, 256);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Mutates `input` once or a few times: flips bits, overwrites, inserts,
 * deletes, duplicates a slice, truncates.
 */
export function mutate(random: () => number, input: Uint8Array): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const rounds = 1 + below(random, 3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : below(random, bytes.length);
    switch (below(random, 7)) {
      case 0:
        if (bytes.length > 0) bytes[at]! ^= 1 << below(random, 8);
        break;
      case 1:
        if (bytes.length > 0) bytes[at] = below(random, 256);
        break;
      case 2:
        bytes = concat([
          bytes.subarray(0, at),
          randomBytes(random, 1 + below(random, 8)),
          bytes.subarray(at),
        ]);
        break;
      case 3:
        bytes = concat([bytes.subarray(0, at), bytes.subarray(at + 1 + below(random, 8))]);
        break;
      case 4: {
        const end = Math.min(bytes.length, at + 1 + below(random, 32));
        bytes = concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
        break;
      }
      case 5:
        bytes = bytes.subarray(0, at).slice();
        break;
      default:
        if (bytes.length > 0) bytes[at] = [0, 0x7f, 0x80, 0xff][below(random, 4)]!;
    }
  }
  return bytes;
}
