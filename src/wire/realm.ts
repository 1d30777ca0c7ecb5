import { createHmac, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CallsignError } from '../errors.ts';
import {
  base32,
  decodeBase64Exact,
  type LoadOrCreateInit,
  loadOrCreateSecretFile,
  parseJsonObject,
} from './keys.ts';

/** Length in bytes of a realm secret. */
export const REALM_SECRET_LENGTH = 32;

/** Longest realm name, in UTF-16 code units. */
export const MAX_REALM_NAME_LENGTH = 128;

/** The environment variable that names the realm file. */
export const REALM_ENV = 'CALLSIGN_REALM';

const REALM_FILE_KIND = 'callsign-realm';
const FILE_VERSION = 1;
const FINGERPRINT_LABEL = 'callsign realm fingerprint v1';

/**
 * A realm: the set of nodes that may talk to each other. Whoever holds the
 * secret is in the realm. The name is a label for people; only the secret
 * takes part in the handshake.
 */
export interface Realm {
  readonly name: string;
  /** 32 random bytes. */
  readonly secret: Uint8Array;
}

/** Options of {@link loadOrCreateRealm}. */
export interface LoadOrCreateRealmInit extends LoadOrCreateInit {
  /** The name of the realm if it has to be created; `'default'` if not given. */
  name?: string;
}

/**
 * Makes a new realm with a fresh random secret.
 *
 * @throws CallsignError `ERR_INVALID_REALM` for an empty name, one longer than
 *   {@link MAX_REALM_NAME_LENGTH}, or one with control characters.
 */
export function createRealm(name: string): Realm {
  checkRealmName(name);
  return { name, secret: new Uint8Array(randomBytes(REALM_SECRET_LENGTH)) };
}

/**
 * A public, stable identifier of a realm, safe to announce (e.g. over mDNS) so
 * that nodes can find services of their own realm: the first 16 bytes of
 * HMAC-SHA256(secret, "callsign realm fingerprint v1") in lowercase base32
 * (26 characters). It reveals nothing about the secret, but it does let an
 * observer tell that two announcements belong to the same realm.
 *
 * @throws CallsignError `ERR_INVALID_REALM` for a malformed realm.
 */
export function realmFingerprint(realm: Realm): string {
  assertRealm(realm);
  return base32(
    createHmac('sha256', realm.secret).update(FINGERPRINT_LABEL).digest().subarray(0, 16),
  );
}

/**
 * Checks a realm's name and secret length.
 *
 * @throws CallsignError `ERR_INVALID_REALM` when malformed.
 */
export function assertRealm(realm: Realm): void {
  const { name, secret } = (realm ?? {}) as Partial<Realm>;
  if (!(secret instanceof Uint8Array) || secret.byteLength !== REALM_SECRET_LENGTH) {
    throw new CallsignError(
      'ERR_INVALID_REALM',
      `a realm secret must be ${REALM_SECRET_LENGTH} bytes`,
    );
  }
  checkRealmName(name);
}

/**
 * Encodes a realm as the text of a realm file:
 * `{"kind":"callsign-realm","version":1,"name":...,"secret":<base64>}`.
 * Anyone with this text is in the realm: keep the file private (mode 0600).
 */
export function serializeRealm(realm: Realm): string {
  assertRealm(realm);
  const file = {
    kind: REALM_FILE_KIND,
    version: FILE_VERSION,
    name: realm.name,
    secret: Buffer.from(realm.secret).toString('base64'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Parses the text of a realm file written by {@link serializeRealm}.
 *
 * @throws CallsignError `ERR_INVALID_REALM` when it is not valid JSON, has the
 *   wrong kind or version, a bad name, or a secret that is not canonical
 *   base64 of 32 bytes.
 */
export function parseRealm(text: string): Realm {
  const file = parseJsonObject(text, 'ERR_INVALID_REALM', 'realm file');
  if (file.kind !== REALM_FILE_KIND || file.version !== FILE_VERSION) {
    throw new CallsignError(
      'ERR_INVALID_REALM',
      `realm file: expected kind "${REALM_FILE_KIND}" version ${FILE_VERSION}`,
    );
  }
  checkRealmName(file.name);
  const secret = decodeBase64Exact(file.secret, REALM_SECRET_LENGTH);
  if (secret === undefined) {
    throw new CallsignError(
      'ERR_INVALID_REALM',
      `realm file: "secret" must be ${REALM_SECRET_LENGTH} bytes in base64`,
    );
  }
  return { name: file.name, secret };
}

/**
 * Reads the realm file at `path`, or, if there is none, creates one with a new
 * realm (mode 0600, its directory 0700 if new). Creation is atomic: of several
 * processes racing to create the file, all end in the same realm.
 *
 * @throws CallsignError `ERR_INVALID_REALM` if the file exists but is not a
 *   valid realm file (it is never overwritten); file system errors as they are.
 */
export async function loadOrCreateRealm(
  path: string,
  opts: LoadOrCreateRealmInit = {},
): Promise<Realm> {
  const name = opts.name ?? 'default';
  checkRealmName(name);
  return loadOrCreateSecretFile(
    path,
    () => serializeRealm(createRealm(name)),
    parseRealm,
    opts.signal,
  );
}

/**
 * Where this process finds its realm file: the path in `CALLSIGN_REALM` if it
 * is set (resolved against the working directory), else
 * `$XDG_CONFIG_HOME/callsign/realm.json`, else `~/.config/callsign/realm.json`.
 *
 * By default, then, all processes of one user on one host share one realm.
 *
 * @example
 * ```ts
 * const realm = await loadOrCreateRealm(resolveRealmPath(process.env));
 * ```
 */
export function resolveRealmPath(env: NodeJS.ProcessEnv): string {
  const explicit = env[REALM_ENV];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and is ignored.
  const configHome =
    xdg !== undefined && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(configHome, 'callsign', 'realm.json');
}

function checkRealmName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_REALM_NAME_LENGTH) {
    throw new CallsignError(
      'ERR_INVALID_REALM',
      `a realm name must be a string of 1 to ${MAX_REALM_NAME_LENGTH} characters`,
    );
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw new CallsignError(
        'ERR_INVALID_REALM',
        'a realm name must not contain control characters',
      );
    }
  }
}
