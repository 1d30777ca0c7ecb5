/**
 * A site's access to a WAN relay: the file `callsign wan invite` writes on
 * the relay's machine and `callsign wan join` takes at the site. It holds the
 * relay's credentials for this site, never the realm's: the relays' URLs and
 * public key (so that a site cannot be fooled by another server), the
 * tenant, the site's name and key pair, and the tenant's relay secret.
 * Whoever holds it can join the tenant as this site: keep it private (0600);
 * `callsign wan revoke` ends it. docs/wan.md.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { CallsignError } from '../../src/errors.ts';
import type { NodeKeys, Realm } from '../../src/index.ts';
import { decodeNodeKeys, encodeNodeKeys, RELAY_NAME } from '../../src/internal.ts';

export const ACCESS_FILE_KIND = 'callsign-wan-access';
const VERSION = 1;

/** A site's access to the relays of its tenant. */
export interface SiteAccess {
  /** Where the relays are: `ws://host:port/path` or `wss://...`, tried in order. */
  readonly relays: readonly string[];
  /** The relays' public key, which they prove in every handshake. */
  readonly relayKey: Uint8Array;
  readonly tenant: string;
  readonly site: string;
  /** The tenant's relay secret: the realm of the link between the site and the relay. */
  readonly secret: Uint8Array;
  /** The site's key pair: the relay knows the public half. */
  readonly siteKeys: NodeKeys;
}

function invalid(what: string): CallsignError {
  return new CallsignError('ERR_WAN_INVALID_ACCESS', `access file: ${what}`);
}

function bytes32(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw invalid(`"${what}" must be base64`);
  const b = Buffer.from(value, 'base64');
  if (b.length !== 32 || b.toString('base64') !== value)
    throw invalid(`"${what}" must be 32 bytes in base64`);
  return new Uint8Array(b);
}

/** Checks a relay URL: ws or wss, with a host. */
export function checkRelayUrl(url: unknown): string {
  if (typeof url !== 'string') throw invalid('a relay URL must be a string');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`not a URL: ${JSON.stringify(url)}`);
  }
  if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || !u.host) {
    throw invalid(`a relay URL is ws://host:port/... or wss://host/..., not ${url}`);
  }
  return url;
}

/** The text of an access file. */
export function serializeAccess(access: SiteAccess): string {
  const file = {
    kind: ACCESS_FILE_KIND,
    version: VERSION,
    relays: access.relays,
    relayKey: Buffer.from(access.relayKey).toString('base64'),
    tenant: access.tenant,
    site: access.site,
    secret: Buffer.from(access.secret).toString('base64'),
    siteKeys: JSON.parse(encodeNodeKeys(access.siteKeys)) as unknown,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Reads the text of an access file.
 *
 * @throws CallsignError `ERR_WAN_INVALID_ACCESS` saying what is wrong.
 */
export function parseAccess(text: string): SiteAccess {
  let file: Record<string, unknown>;
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    file = value as Record<string, unknown>;
  } catch {
    throw invalid('not a JSON object');
  }
  if (file.kind !== ACCESS_FILE_KIND || file.version !== VERSION) {
    throw invalid(`expected kind "${ACCESS_FILE_KIND}" version ${VERSION}`);
  }
  if (!Array.isArray(file.relays) || file.relays.length === 0)
    throw invalid('"relays" must list at least one URL');
  const relays = file.relays.map(checkRelayUrl);
  for (const key of ['tenant', 'site'] as const) {
    const v = file[key];
    if (typeof v !== 'string' || !RELAY_NAME.test(v)) throw invalid(`bad "${key}"`);
  }
  let siteKeys: NodeKeys;
  try {
    siteKeys = decodeNodeKeys(JSON.stringify(file.siteKeys));
  } catch (err) {
    throw invalid(`"siteKeys": ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    relays,
    relayKey: bytes32(file.relayKey, 'relayKey'),
    tenant: file.tenant as string,
    site: file.site as string,
    secret: bytes32(file.secret, 'secret'),
    siteKeys,
  };
}

/**
 * Reads the access file at `path`.
 *
 * @throws CallsignError `ERR_WAN_INVALID_ACCESS` when it is missing or not one.
 */
export async function readAccess(path: string): Promise<SiteAccess> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CallsignError(
      'ERR_WAN_INVALID_ACCESS',
      `cannot read ${path}: ${(err as Error).message}`,
    );
  }
  try {
    return parseAccess(text);
  } catch (err) {
    if (err instanceof CallsignError) throw new CallsignError(err.code, `${path}: ${err.message}`);
    throw err;
  }
}

/** The realm of the link between a site and its tenant's relays (never the site's own realm). */
export function tenantRealm(tenant: string, secret: Uint8Array): Realm {
  return { name: `wan tenant ${tenant}`, secret };
}
