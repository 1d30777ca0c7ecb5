/**
 * The relay's own state on its machine (the relay folder): its key pair and
 * public URLs (`relay.json`), and one file per tenant (`tenants/<name>.json`)
 * with the tenant's relay secret, limits and sites (each site's public key
 * and ticket key). Made by `callsign wan tenant add` and `callsign wan
 * invite`, read by `callsign wan serve`; every file 0600, the folder 0700.
 * None of it is a realm secret: the relay never holds one. docs/wan.md.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CallsignError } from '../../src/errors.ts';
import { generateNodeKeys, type NodeKeys } from '../../src/index.ts';
import { decodeNodeKeys, encodeNodeKeys, RELAY_NAME } from '../../src/internal.ts';
import { checkRelayUrl, type SiteAccess } from './access.ts';

const RELAY_KIND = 'callsign-relay';
const TENANT_KIND = 'callsign-relay-tenant';
const VERSION = 1;

/** The limits of one tenant; the excess is refused with `ERR_WAN_LIMIT`. */
export interface TenantLimits {
  /** Sites connected at once. */
  sites: number;
  /** Relay sessions (nodes connected to the relay) at once. */
  sessions: number;
  /** Circuits (relayed connections) at once, over the tenant. */
  circuits: number;
  /** Circuits one session may open or take at once. */
  circuitsPerSession: number;
  /** Listings held by the WAN directory. */
  listings: number;
  /** Searches held by the WAN directory. */
  searches: number;
  /** Bytes per second the relay forwards for the tenant (beyond it, it reads more slowly). */
  bytesPerSecond: number;
  /** Bytes per second the relay reads from one session. */
  sessionBytesPerSecond: number;
}

/** The defaults of `callsign wan tenant add`. */
export const DEFAULT_LIMITS: TenantLimits = {
  sites: 64,
  sessions: 1024,
  circuits: 8192,
  circuitsPerSession: 1024,
  listings: 16_384,
  searches: 16_384,
  bytesPerSecond: 256 * 1024 * 1024,
  sessionBytesPerSecond: 128 * 1024 * 1024,
};

/** One site of a tenant, as the relay knows it. */
export interface SiteRecord {
  readonly name: string;
  /** The site's public key (base64): the key its directory proves. */
  readonly publicKey: string;
  /** What the site's nodes' tickets are made with; only the relay holds it. */
  readonly ticketKey: Uint8Array;
  readonly invited: string;
}

/** One tenant. */
export interface TenantRecord {
  readonly name: string;
  /** The realm secret of the links between the tenant's sites and the relay. */
  readonly secret: Uint8Array;
  readonly limits: TenantLimits;
  readonly sites: ReadonlyMap<string, SiteRecord>;
  readonly created: string;
}

/** The relay's own record. */
export interface RelayRecord {
  readonly keys: NodeKeys;
  /** Where sites reach the relays (given to `serve --url` or `invite --url`). */
  readonly urls: readonly string[];
}

function invalid(path: string, what: string): CallsignError {
  return new CallsignError('ERR_INVALID_SETTINGS', `${path}: ${what}`);
}

async function writePrivate(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {}
  throw invalid(path, 'not a JSON object');
}

function b64(value: unknown, path: string, what: string): Uint8Array {
  const b = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (b.length !== 32) throw invalid(path, `"${what}" must be 32 bytes in base64`);
  return new Uint8Array(b);
}

/** Checks a tenant or site name. */
export function checkName(kind: 'tenant' | 'site', name: string): string {
  if (!RELAY_NAME.test(name)) {
    throw new CallsignError(
      'ERR_USAGE',
      `a ${kind} name is 1 to 63 lower-case letters, digits and inner dashes, not ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** The relay folder: see the module. */
export class RelayFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get relayFile(): string {
    return join(this.dir, 'relay.json');
  }

  get tenantsDir(): string {
    return join(this.dir, 'tenants');
  }

  tenantFile(name: string): string {
    return join(this.tenantsDir, `${checkName('tenant', name)}.json`);
  }

  /** The relay's record, made (with a new key pair) if there is none; `urls` replace the known ones. */
  async relay(urls?: readonly string[]): Promise<RelayRecord> {
    await mkdir(this.tenantsDir, { recursive: true, mode: 0o700 });
    const file = await readJson(this.relayFile);
    let keys: NodeKeys;
    let known: string[] = [];
    if (file) {
      if (file.kind !== RELAY_KIND || file.version !== VERSION) {
        throw invalid(this.relayFile, `expected kind "${RELAY_KIND}" version ${VERSION}`);
      }
      keys = decodeNodeKeys(JSON.stringify(file.keys));
      known = Array.isArray(file.urls) ? file.urls.map(String) : [];
    } else {
      keys = generateNodeKeys();
    }
    const next = urls && urls.length > 0 ? urls.map(checkRelayUrl) : known;
    if (!file || next.join(' ') !== known.join(' ')) {
      await writePrivate(this.relayFile, {
        kind: RELAY_KIND,
        version: VERSION,
        keys: JSON.parse(encodeNodeKeys(keys)) as unknown,
        urls: next,
      });
    }
    return { keys, urls: next };
  }

  /** Every tenant. */
  async tenants(): Promise<TenantRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.tenantsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: TenantRecord[] = [];
    for (const n of names.sort()) {
      if (!n.endsWith('.json')) continue;
      const t = await this.tenant(n.slice(0, -5)).catch(() => undefined);
      if (t) out.push(t);
    }
    return out;
  }

  /** One tenant, or undefined when there is none of that name. */
  async tenant(name: string): Promise<TenantRecord | undefined> {
    const path = this.tenantFile(name);
    const file = await readJson(path);
    if (!file) return undefined;
    if (file.kind !== TENANT_KIND || file.version !== VERSION || file.name !== name) {
      throw invalid(path, `expected kind "${TENANT_KIND}" version ${VERSION} for ${name}`);
    }
    const limits = { ...DEFAULT_LIMITS };
    const given = (file.limits ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof TenantLimits)[]) {
      const v = given[key];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) limits[key] = v;
    }
    const sites = new Map<string, SiteRecord>();
    for (const [site, value] of Object.entries((file.sites ?? {}) as Record<string, unknown>)) {
      const s = value as Record<string, unknown>;
      if (!RELAY_NAME.test(site) || typeof s.publicKey !== 'string') continue;
      sites.set(site, {
        name: site,
        publicKey: s.publicKey,
        ticketKey: b64(s.ticketKey, path, `sites.${site}.ticketKey`),
        invited: String(s.invited ?? ''),
      });
    }
    return {
      name,
      secret: b64(file.secret, path, 'secret'),
      limits,
      sites,
      created: String(file.created ?? ''),
    };
  }

  async #write(t: TenantRecord): Promise<void> {
    const sites: Record<string, unknown> = {};
    for (const s of t.sites.values()) {
      sites[s.name] = {
        publicKey: s.publicKey,
        ticketKey: Buffer.from(s.ticketKey).toString('base64'),
        invited: s.invited,
      };
    }
    await writePrivate(this.tenantFile(t.name), {
      kind: TENANT_KIND,
      version: VERSION,
      name: t.name,
      created: t.created,
      secret: Buffer.from(t.secret).toString('base64'),
      limits: t.limits,
      sites,
    });
  }

  /** Adds a tenant. @throws CallsignError `ERR_WAN_TENANT_EXISTS`. */
  async addTenant(name: string, limits: Partial<TenantLimits> = {}): Promise<TenantRecord> {
    await this.relay();
    if (await this.tenant(name)) {
      throw new CallsignError('ERR_WAN_TENANT_EXISTS', `there is a tenant ${name} already`);
    }
    const t: TenantRecord = {
      name,
      secret: new Uint8Array(randomBytes(32)),
      limits: { ...DEFAULT_LIMITS, ...limits },
      sites: new Map(),
      created: new Date().toISOString(),
    };
    await this.#write(t);
    return t;
  }

  /** Removes a tenant and its sites. @throws CallsignError `ERR_WAN_UNKNOWN_TENANT`. */
  async removeTenant(name: string): Promise<TenantRecord> {
    const t = await this.#existing(name);
    await rm(this.tenantFile(name), { force: true });
    return t;
  }

  /**
   * Invites a site into a tenant: a new key pair for it, and its access.
   *
   * @throws CallsignError `ERR_WAN_UNKNOWN_TENANT`, `ERR_WAN_SITE_EXISTS`,
   *   `ERR_USAGE` when no relay URL is known.
   */
  async invite(tenant: string, site: string, urls?: readonly string[]): Promise<SiteAccess> {
    checkName('site', site);
    const relay = await this.relay(urls);
    if (relay.urls.length === 0) {
      throw new CallsignError(
        'ERR_USAGE',
        'no relay URL is known yet: give --url ws://<public address>:<port>/',
      );
    }
    const t = await this.#existing(tenant);
    if (t.sites.has(site)) {
      throw new CallsignError(
        'ERR_WAN_SITE_EXISTS',
        `tenant ${tenant} has a site ${site} already (revoke it first)`,
      );
    }
    const siteKeys = generateNodeKeys();
    const sites = new Map(t.sites);
    sites.set(site, {
      name: site,
      publicKey: Buffer.from(siteKeys.publicKey).toString('base64'),
      ticketKey: new Uint8Array(randomBytes(32)),
      invited: new Date().toISOString(),
    });
    await this.#write({ ...t, sites });
    return {
      relays: relay.urls,
      relayKey: relay.keys.publicKey,
      tenant,
      site,
      secret: t.secret,
      siteKeys,
    };
  }

  /** Revokes a site: its directory and nodes are refused from now on. */
  async revoke(tenant: string, site: string): Promise<void> {
    const t = await this.#existing(tenant);
    if (!t.sites.has(site)) {
      throw new CallsignError('ERR_WAN_UNKNOWN_SITE', `tenant ${tenant} has no site ${site}`);
    }
    const sites = new Map(t.sites);
    sites.delete(site);
    await this.#write({ ...t, sites });
  }

  async #existing(name: string): Promise<TenantRecord> {
    const t = await this.tenant(name);
    if (!t) throw new CallsignError('ERR_WAN_UNKNOWN_TENANT', `there is no tenant ${name}`);
    return t;
  }
}
