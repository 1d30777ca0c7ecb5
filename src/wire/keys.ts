import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CallsignError, type ErrorCode } from '../errors.ts';
import { generateKeyPair, keyPairFromSeed } from './signature.ts';

/** Length in bytes of a node's public key (Ed25519). */
export const NODE_PUBLIC_KEY_LENGTH = 32;

/** Length in bytes of a node's secret key (tweetnacl's Ed25519 form: seed ‖ public key). */
export const NODE_SECRET_KEY_LENGTH = 64;

const SEED_LENGTH = 32;
const KEY_FILE_KIND = 'callsign-node-key';
const FILE_VERSION = 1;

/**
 * The long-term identity of a node: an Ed25519 key pair in tweetnacl's form.
 * The public key names the node to its peers (see {@link nodeId}); the secret
 * key signs its handshakes and never leaves the node.
 */
export interface NodeKeys {
  /** 32 bytes. */
  readonly publicKey: Uint8Array;
  /** 64 bytes: the 32-byte seed followed by the public key. */
  readonly secretKey: Uint8Array;
}

/** Options of {@link loadOrCreateNodeKeys}. */
export interface LoadOrCreateInit {
  signal?: AbortSignal;
}

/** Makes a new random node identity. */
export function generateNodeKeys(): NodeKeys {
  return generateKeyPair();
}

/**
 * A short, stable, printable id of a node's public key: the first 10 bytes of
 * its SHA-256 in lowercase RFC 4648 base32, 16 characters. It is meant for
 * logs and display; authenticate by the whole public key.
 *
 * @example
 * ```ts
 * nodeId(keys.publicKey); // 'q3x7c2n5m0...'
 * ```
 * @throws CallsignError `ERR_INVALID_KEY` if `publicKey` is not 32 bytes.
 */
export function nodeId(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.byteLength !== NODE_PUBLIC_KEY_LENGTH) {
    throw new CallsignError('ERR_INVALID_KEY', 'a node public key must be 32 bytes');
  }
  return base32(createHash('sha256').update(publicKey).digest().subarray(0, 10));
}

/**
 * Checks that `keys` is a well-formed node key pair: lengths, and the public
 * half of the secret key equal to the public key.
 *
 * @throws CallsignError `ERR_INVALID_KEY` when it is not.
 */
export function assertNodeKeys(keys: NodeKeys): void {
  const { publicKey, secretKey } = (keys ?? {}) as Partial<NodeKeys>;
  if (
    !(publicKey instanceof Uint8Array) ||
    !(secretKey instanceof Uint8Array) ||
    publicKey.byteLength !== NODE_PUBLIC_KEY_LENGTH ||
    secretKey.byteLength !== NODE_SECRET_KEY_LENGTH ||
    !equalBytes(secretKey.subarray(SEED_LENGTH), publicKey)
  ) {
    throw new CallsignError('ERR_INVALID_KEY', 'not a node key pair (Ed25519, tweetnacl form)');
  }
}

/**
 * Encodes a node key pair as the text of a key file:
 * `{"kind":"callsign-node-key","version":1,"publicKey":<base64>,"seed":<base64>}`.
 * The file holds the secret seed: keep it private (mode 0600).
 */
export function encodeNodeKeys(keys: NodeKeys): string {
  assertNodeKeys(keys);
  const file = {
    kind: KEY_FILE_KIND,
    version: FILE_VERSION,
    publicKey: Buffer.from(keys.publicKey).toString('base64'),
    seed: Buffer.from(keys.secretKey.subarray(0, SEED_LENGTH)).toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Decodes the text of a key file written by {@link encodeNodeKeys}. The
 * public key is recomputed from the seed and must match the stored one.
 *
 * @throws CallsignError `ERR_INVALID_KEY` for anything else.
 */
export function decodeNodeKeys(text: string): NodeKeys {
  const file = parseJsonObject(text, 'ERR_INVALID_KEY', 'node key file');
  if (file.kind !== KEY_FILE_KIND || file.version !== FILE_VERSION) {
    throw new CallsignError(
      'ERR_INVALID_KEY',
      `node key file: expected kind "${KEY_FILE_KIND}" version ${FILE_VERSION}`,
    );
  }
  const seed = decodeBase64Exact(file.seed, SEED_LENGTH);
  const publicKey = decodeBase64Exact(file.publicKey, NODE_PUBLIC_KEY_LENGTH);
  if (seed === undefined || publicKey === undefined) {
    throw new CallsignError(
      'ERR_INVALID_KEY',
      'node key file: "seed" and "publicKey" must be 32 bytes in base64',
    );
  }
  const keys = keyPairFromSeed(seed);
  seed.fill(0);
  if (!equalBytes(keys.publicKey, publicKey)) {
    throw new CallsignError('ERR_INVALID_KEY', 'node key file: public key does not match the seed');
  }
  return { publicKey: keys.publicKey, secretKey: keys.secretKey };
}

/**
 * Reads the node key file at `path`, or, if there is none, creates one with a
 * new identity (mode 0600, its directory 0700 if new). Creation is atomic: of
 * several processes racing to create the file, all end with the same keys.
 *
 * @throws CallsignError `ERR_INVALID_KEY` if the file exists but is not a
 *   valid key file (it is never overwritten); file system errors as they are.
 */
export async function loadOrCreateNodeKeys(
  path: string,
  opts: LoadOrCreateInit = {},
): Promise<NodeKeys> {
  return loadOrCreateSecretFile(
    path,
    () => encodeNodeKeys(generateNodeKeys()),
    decodeNodeKeys,
    opts.signal,
  );
}

// ---------------------------------------------------------------------------
// Helpers shared with realm.ts (not exported from the wire layer).

/** Constant-time equality of two byte arrays of public length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lowercase RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes canonical base64 of exactly `length` bytes, or gives undefined. */
export function decodeBase64Exact(text: unknown, length: number): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length || bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}

/** Parses JSON text that must be an object, or throws `code`. */
export function parseJsonObject(
  text: string,
  code: ErrorCode,
  what: string,
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CallsignError(code, `${what} is not valid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CallsignError(code, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads and parses a secret file, or creates it from `create()` with mode
 * 0600. The new file is written and synced under a temporary name and then
 * hard-linked into place, which fails if another process got there first; in
 * that case the other process's file is read and used.
 */
export async function loadOrCreateSecretFile<T>(
  path: string,
  create: () => string,
  parse: (text: string) => T,
  signal: AbortSignal | undefined,
): Promise<T> {
  const existing = await readIfExists(path, signal);
  if (existing !== undefined) return parse(existing);

  const text = create();
  const value = parse(text);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  signal?.throwIfAborted();
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    signal?.throwIfAborted();
    await link(temporary, path);
    return value;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') {
      const winner = await readIfExists(path, signal);
      if (winner !== undefined) return parse(winner);
    }
    if (errnoOf(err) === 'EPERM' || errnoOf(err) === 'ENOTSUP' || errnoOf(err) === 'ENOSYS') {
      // A file system without hard links: exclusive create instead.
      await createExclusive(path, text);
      return value;
    }
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function createExclusive(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readIfExists(path: string, signal: AbortSignal | undefined) {
  signal?.throwIfAborted();
  try {
    return await readFile(path, signal === undefined ? 'utf8' : { encoding: 'utf8', signal });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function errnoOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}
