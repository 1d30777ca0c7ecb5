/**
 * One tenant's WAN directory shared by the relays of a cluster: the
 * listings and searches of the sites connected here are written to the
 * tenant's {@link TenantState} (and written again every third of its
 * lifetime, so that they expire when their relay or site goes quiet); those
 * written by other relays are held in the tenant's {@link WanBook} as coming
 * from a link per remote site, so that the book matches them with local
 * searches and listings exactly as its own, within the tenant only. A site
 * that connects here takes its entries over from the relay it left. Each
 * relay also writes, for each site connected to it, which relay that is
 * (`<site>.at`, written again and expiring as the rest), so that `callsign
 * network` at any relay shows every site of the tenant that is connected to
 * one of them. The tenant directory actor calls it; it answers what to send
 * to local sites. docs/wan.md.
 *
 * @module
 */

import { decodeMessage, defineMessage, encodeMessage, t } from '../../../src/index.ts';
import {
  DeleteListing,
  DeleteSearch,
  ListingInfo,
  listingInfo,
  PutListing,
  PutSearch,
  RELAY_NAME,
  SearchInfo,
  searchInfo,
} from '../../../src/internal.ts';
import type { Delivery, WanBook } from '../wan-book.ts';
import type { TenantState } from './directory-store.ts';

/** A value of the tenant's state changed (posted to the tenant directory by its watcher). */
export class SharedChanged extends defineMessage('callsign.wan.SharedChanged', {
  key: t.string,
  value: t.optional(t.bytes),
}) {}

/** Time to write this relay's entries again and to forget stale ones (posted by a timer). */
export class SharedTick extends defineMessage('callsign.wan.SharedTick', {}) {}

type Kind = 'listing' | 'search' | 'site';

interface StoredEntry {
  readonly relay: string;
  readonly site: string;
  readonly kind: Kind;
  readonly id: string;
  readonly body: Uint8Array;
}

interface RemoteEntry {
  readonly site: string;
  readonly kind: 'listing' | 'search';
  readonly id: string;
  readonly body: string;
  heard: number;
}

/** Options of {@link SharedDirectory}. */
export interface SharedDirectoryInit {
  /** This relay's id in the cluster (its entries carry it). */
  readonly relay: string;
  readonly book: WanBook;
  readonly state: TenantState;
  /** An entry not written again within this long is stale, ms. */
  readonly ttlMs: number;
  /** How this relay is reached, for the reports of other relays (its first URL). */
  readonly url?: string;
  warn(text: string): void;
}

/** Where a site connected to another relay of the cluster is. */
export interface SiteElsewhere {
  /** The relay's URL, as it reports it. */
  readonly relay: string;
  /** Since when it is connected there (ISO 8601). */
  readonly since: string;
}

/** The key of an entry: `<site>.<l|s>.<id in base64url>` (a valid JetStream KV key). */
export function stateKey(site: string, kind: Kind, id: string): string {
  if (kind === 'site') return `${site}.at`;
  return `${site}.${kind === 'listing' ? 'l' : 's'}.${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/** The link in the tenant's book that stands for `site` at another relay. */
export function remoteLink(site: string): string {
  return `remote:${site}`;
}

/** One tenant's directory shared with other relays: see the module. */
export class SharedDirectory {
  readonly #init: SharedDirectoryInit;
  /** Site → key → (the table's entry, the value written). */
  readonly #local = new Map<string, Map<string, { ref: object; value: Uint8Array }>>();
  readonly #remote = new Map<string, RemoteEntry>();
  /** Site connected here → its presence entry. */
  readonly #present = new Map<string, Uint8Array>();
  /** Site connected to another relay → where, and when last heard. */
  readonly #elsewhere = new Map<string, SiteElsewhere & { heard: number }>();

  constructor(init: SharedDirectoryInit) {
    this.#init = init;
  }

  /** Entries of other relays held now. */
  get remoteEntries(): number {
    return this.#remote.size;
  }

  /** Where `site` is connected, when it is to another relay of the cluster. */
  elsewhere(site: string): SiteElsewhere | undefined {
    const e = this.#elsewhere.get(site);
    return e && { relay: e.relay, since: e.since };
  }

  /**
   * `site` connected here (`since`, ISO 8601): entries other relays wrote for
   * it go (it holds them here now), and the others are told it is here.
   */
  siteJoined(site: string, since = new Date().toISOString()): Delivery[] {
    if (!this.#local.has(site)) this.#local.set(site, new Map());
    this.#elsewhere.delete(site);
    const presence = this.#value(
      site,
      'site',
      '',
      Buffer.from(JSON.stringify({ relay: this.#init.url ?? '', since }), 'utf8'),
    );
    this.#present.set(site, presence);
    this.#put(stateKey(site, 'site', ''), presence);
    return this.#dropRemoteSite(site);
  }

  /** The entries of `site` (at `link`) may have changed: the state is told the difference. */
  localChanged(site: string, link: string): void {
    const snap = this.#local.get(site);
    if (!snap) return;
    const { table } = this.#init.book;
    const now = new Map<string, { ref: object; encode: () => Uint8Array }>();
    for (const [l, e] of table.listings()) {
      if (l === link)
        now.set(stateKey(site, 'listing', e.id), {
          ref: e,
          encode: () => this.#value(site, 'listing', e.id, encodeMessage(listingInfo(e))),
        });
    }
    for (const [l, e] of table.searches()) {
      if (l === link)
        now.set(stateKey(site, 'search', e.id), {
          ref: e,
          encode: () => this.#value(site, 'search', e.id, encodeMessage(searchInfo(e))),
        });
    }
    for (const [key, e] of now) {
      if (snap.get(key)?.ref === e.ref) continue;
      const value = e.encode();
      snap.set(key, { ref: e.ref, value });
      this.#put(key, value);
    }
    for (const key of [...snap.keys()]) {
      if (now.has(key)) continue;
      snap.delete(key);
      this.#deleteOwn(key);
    }
  }

  /** `site` left this relay: its entries are deleted (unless another relay holds them now). */
  localGone(site: string): void {
    const snap = this.#local.get(site);
    this.#local.delete(site);
    for (const key of snap?.keys() ?? []) this.#deleteOwn(key);
    if (this.#present.delete(site)) this.#deleteOwn(stateKey(site, 'site', ''));
  }

  /** A value changed in the state; what to tell local sites. */
  changed(key: string, value: Uint8Array | undefined, now: number): Delivery[] {
    if (value === undefined) {
      const site = key.endsWith('.at') ? key.slice(0, -3) : undefined;
      if (site !== undefined) this.#elsewhere.delete(site);
      const r = this.#remote.get(key);
      return r ? this.#removeRemote(key, r) : [];
    }
    const e = this.#parse(key, value);
    if (!e || e.relay === this.#init.relay || this.#local.has(e.site)) return [];
    if (e.kind === 'site') {
      this.#siteElsewhere(e, now);
      return [];
    }
    const body = Buffer.from(e.body).toString('base64');
    const held = this.#remote.get(key);
    if (held && held.body === body) {
      held.heard = now;
      return [];
    }
    let message: PutListing | PutSearch;
    try {
      const info = decodeMessage(e.body);
      if (e.kind === 'listing' && info instanceof ListingInfo && info.id === e.id)
        message = new PutListing({ listing: info });
      else if (e.kind === 'search' && info instanceof SearchInfo && info.id === e.id)
        message = new PutSearch({ search: info });
      else throw new Error(`not a ${e.kind} ${e.id}`);
    } catch (err) {
      this.#init.warn(`state entry ${key}: ${(err as Error).message}: ignored`);
      return [];
    }
    const link = remoteLink(e.site);
    const { book } = this.#init;
    if (book.siteOf(link) === undefined) book.addLink(link, e.site);
    this.#remote.set(key, { site: e.site, kind: e.kind, id: e.id, body, heard: now });
    return book.handle(link, message);
  }

  /** Writes this relay's entries again, and forgets other relays' stale ones. */
  tick(now: number): Delivery[] {
    for (const snap of this.#local.values()) {
      for (const [key, { value }] of snap) this.#put(key, value);
    }
    for (const [site, value] of this.#present) this.#put(stateKey(site, 'site', ''), value);
    for (const [site, e] of [...this.#elsewhere]) {
      if (now - e.heard > this.#init.ttlMs) this.#elsewhere.delete(site);
    }
    const out: Delivery[] = [];
    for (const [key, r] of [...this.#remote]) {
      if (now - r.heard > this.#init.ttlMs) out.push(...this.#removeRemote(key, r));
    }
    return out;
  }

  #siteElsewhere(e: StoredEntry, now: number): void {
    try {
      const v = JSON.parse(Buffer.from(e.body).toString('utf8')) as Record<string, unknown>;
      if (typeof v.relay !== 'string' || typeof v.since !== 'string' || v.relay.length > 512)
        throw new Error('not a site presence');
      this.#elsewhere.set(e.site, { relay: v.relay, since: v.since.slice(0, 64), heard: now });
    } catch (err) {
      this.#init.warn(`state entry of site ${e.site}: ${(err as Error).message}: ignored`);
    }
  }

  #removeRemote(key: string, r: RemoteEntry): Delivery[] {
    this.#remote.delete(key);
    const link = remoteLink(r.site);
    const { book } = this.#init;
    const out = book.handle(
      link,
      r.kind === 'listing' ? new DeleteListing({ id: r.id }) : new DeleteSearch({ id: r.id }),
    );
    if (![...this.#remote.values()].some((x) => x.site === r.site))
      out.push(...book.removeLink(link));
    return out;
  }

  #dropRemoteSite(site: string): Delivery[] {
    for (const [key, r] of [...this.#remote]) if (r.site === site) this.#remote.delete(key);
    const link = remoteLink(site);
    return this.#init.book.siteOf(link) === undefined ? [] : this.#init.book.removeLink(link);
  }

  #value(site: string, kind: Kind, id: string, body: Uint8Array): Uint8Array {
    const e = {
      relay: this.#init.relay,
      site,
      kind,
      id,
      body: Buffer.from(body).toString('base64'),
    };
    return Buffer.from(JSON.stringify(e), 'utf8');
  }

  #parse(key: string, value: Uint8Array): StoredEntry | undefined {
    try {
      const v = JSON.parse(Buffer.from(value).toString('utf8')) as Record<string, unknown>;
      const { relay, site, kind, id, body } = v;
      if (
        typeof relay !== 'string' ||
        typeof site !== 'string' ||
        !RELAY_NAME.test(site) ||
        (kind !== 'listing' && kind !== 'search' && kind !== 'site') ||
        typeof id !== 'string' ||
        typeof body !== 'string' ||
        stateKey(site, kind, id) !== key
      )
        throw new Error('not an entry of this directory');
      return { relay, site, kind, id, body: new Uint8Array(Buffer.from(body, 'base64')) };
    } catch (err) {
      this.#init.warn(`state entry ${key}: ${(err as Error).message}: ignored`);
      return undefined;
    }
  }

  #put(key: string, value: Uint8Array): void {
    this.#init.state
      .put(key, value)
      .catch((err: unknown) => this.#init.warn(`writing ${key}: ${(err as Error).message}`));
  }

  /** Deletes `key` if this relay wrote what it holds (a site that moved keeps its entries). */
  #deleteOwn(key: string): void {
    const { state } = this.#init;
    void state
      .get(key)
      .then((v) => {
        const e = v && this.#parse(key, v);
        if (e && e.relay === this.#init.relay) return state.delete(key);
        return undefined;
      })
      .catch((err: unknown) => this.#init.warn(`deleting ${key}: ${(err as Error).message}`));
  }
}
