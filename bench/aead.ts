/**
 * `npm run bench:aead`
 *
 * What sealing one frame costs with each AEAD at hand, per frame size:
 * ChaCha20-Poly1305 through libsodium (`sodium-native`'s binary, one call:
 * what frames of up to 32 KiB use), AES-256-GCM through `node:crypto` (what
 * larger frames use) and ChaCha20-Poly1305 through `node:crypto` (a cipher
 * object per frame: Node cannot re-key or re-nonce one), and, when
 * installed, `@noble/ciphers`' pure-JS ChaCha20-Poly1305. Prints µs per
 * frame and MB/s, and a JSON line with the same figures.
 *
 * @module
 */
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { chachaAead, chachaImplementation } from '../src/wire/frame-aead.ts';

type Seal = (nonce: Buffer, aad: Uint8Array, plaintext: Uint8Array) => number;

const key = randomBytes(32);
const keyObject = createSecretKey(key);
const SIZES = [100, 4 * 1024, 16 * 1024, 32 * 1024, 64 * 1024, 1024 * 1024];

function nodeSeal(algorithm: 'chacha20-poly1305' | 'aes-256-gcm'): Seal {
  return (nonce, aad, plaintext) => {
    const cipher = createCipheriv(algorithm, keyObject, nonce, {
      authTagLength: 16,
    } as never) as ReturnType<typeof createCipheriv> & {
      setAAD(a: Uint8Array, o?: object): void;
      getAuthTag(): Buffer;
    };
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const out = cipher.update(plaintext);
    cipher.final();
    return out.length + cipher.getAuthTag().length;
  };
}

/** The seal frames use for ChaCha20-Poly1305: into a frame laid out as counter ‖ ciphertext ‖ tag. */
function frameSeal(): Seal | undefined {
  if (chachaImplementation() !== 'libsodium') return undefined;
  const aead = chachaAead(key);
  const frames = new Map<number, Buffer>();
  return (nonce, _aad, plaintext) => {
    let frame = frames.get(plaintext.length);
    if (!frame) {
      frame = Buffer.alloc(plaintext.length + 24);
      frames.set(plaintext.length, frame);
    }
    aead.seal(frame, plaintext, nonce);
    return frame.length;
  };
}

async function nobleSeal(): Promise<Seal | undefined> {
  try {
    const name = '@noble/ciphers/chacha.js';
    const { chacha20poly1305 } = (await import(name)) as {
      chacha20poly1305: (
        k: Uint8Array,
        n: Uint8Array,
        aad?: Uint8Array,
      ) => { encrypt(p: Uint8Array): Uint8Array };
    };
    return (nonce, aad, plaintext) => chacha20poly1305(key, nonce, aad).encrypt(plaintext).length;
  } catch {
    return undefined;
  }
}

function measure(seal: Seal, size: number): { us: number; mbs: number } {
  const plaintext = randomBytes(size);
  const nonce = Buffer.alloc(12);
  const aad = Buffer.alloc(8);
  const budget = Math.max(200, Math.min(200_000, Math.floor(2e8 / size)));
  for (let i = 0; i < budget / 10; i++) seal(nonce, aad, plaintext);
  const start = process.hrtime.bigint();
  for (let i = 0; i < budget; i++) {
    nonce.writeUInt32BE(i, 8);
    seal(nonce, aad, plaintext);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { us: (seconds / budget) * 1e6, mbs: (budget * size) / seconds / 1e6 };
}

const candidates: [string, Seal | undefined][] = [
  ['libsodium chacha20-poly1305', frameSeal()],
  ['node chacha20-poly1305', nodeSeal('chacha20-poly1305')],
  ['node aes-256-gcm', nodeSeal('aes-256-gcm')],
  ['@noble/ciphers chacha20-poly1305', await nobleSeal()],
];
const results: Record<string, Record<string, { us: number; mbs: number }> | string> = {};
for (const [name, seal] of candidates) {
  if (!seal) {
    console.log(`${name}: skipped (not installed, or no binary for this platform)`);
    results[name] = 'not installed';
    continue;
  }
  const row: Record<string, { us: number; mbs: number }> = {};
  for (const size of SIZES) {
    const r = measure(seal, size);
    row[String(size)] = { us: Math.round(r.us * 100) / 100, mbs: Math.round(r.mbs) };
    console.log(
      `${name.padEnd(34)} ${String(size).padStart(8)} B: ${r.us.toFixed(2).padStart(9)} µs/frame ${r.mbs.toFixed(0).padStart(6)} MB/s`,
    );
  }
  results[name] = row;
}
console.log(JSON.stringify(results));
