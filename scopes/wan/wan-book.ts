/**
 * One tenant's WAN directory, as pure decisions: the listings and searches
 * of the tenant's sites (one {@link DirectoryTable} per tenant, so that a
 * name or a regular expression is only ever matched within the tenant), the
 * answers to each site, and the routes toward subscribers. A route to
 * another site's publisher carries the endpoints that site can use (never
 * another site's private addresses; the relay last) and the subscriber
 * node's pass; an accepted listing carries the publisher node's pass.
 * docs/wan.md.
 *
 * @module
 */
import { codeOf, toError } from '../../src/errors.ts';
import type { Message } from '../../src/index.ts';
import {
  DeleteListing,
  DeleteSearch,
  DirectoryTable,
  type LinkId,
  ListingAccepted,
  type ListingEntry,
  ListingRefused,
  listingEntry,
  listingInfo,
  PutListing,
  PutSearch,
  type RelayPass,
  RouteAdded,
  type RouteChange,
  RouteRemoved,
  type SearchEntry,
  SearchRefused,
  Sync,
  SyncComplete,
  searchEntry,
} from '../../src/internal.ts';
import { routeEndpoints } from './route-endpoints.ts';

/** Options of {@link WanBook}. */
export interface WanBookInit {
  readonly tenant: string;
  /** The tenant's limits now. */
  limits(): { listings: number; searches: number };
  /** A pass for node `peer` of `site`. */
  pass(site: string, peer: string): RelayPass;
}

/** A message for the site at the end of `link`. */
export interface Delivery {
  readonly link: LinkId;
  readonly message: Message;
}

/** One tenant's WAN directory: see the module. */
export class WanBook {
  readonly table = new DirectoryTable('wan');
  readonly #init: WanBookInit;
  /** Link → the site at its end. */
  readonly #sites = new Map<LinkId, string>();

  constructor(init: WanBookInit) {
    this.#init = init;
  }

  get tenant(): string {
    return this.#init.tenant;
  }

  /** A site's directory connected through `link`. */
  addLink(link: LinkId, site: string): void {
    this.#sites.set(link, site);
  }

  /** The site at the end of `link`. */
  siteOf(link: LinkId): string | undefined {
    return this.#sites.get(link);
  }

  /** The links there are, with their sites. */
  links(): [LinkId, string][] {
    return [...this.#sites];
  }

  /** A site's directory went away: its entries go, and the routes to them. */
  removeLink(link: LinkId): Delivery[] {
    const out = this.#routes(this.table.removeLink(link));
    this.#sites.delete(link);
    return out;
  }

  /** A directory protocol message from the site at `link`. */
  handle(link: LinkId, m: Message): Delivery[] {
    if (!this.#sites.has(link)) return [];
    if (m instanceof PutListing) return this.#putListing(link, listingEntry(m.listing));
    if (m instanceof PutSearch) return this.#putSearch(link, searchEntry(m.search));
    if (m instanceof DeleteListing) return this.#routes(this.table.deleteListing(link, m.id));
    if (m instanceof DeleteSearch) return this.#routes(this.table.deleteSearch(link, m.id));
    if (m instanceof Sync) {
      const out: Delivery[] = [];
      for (const l of m.listings) out.push(...this.#putListing(link, listingEntry(l)));
      for (const s of m.searches) out.push(...this.#putSearch(link, searchEntry(s)));
      out.push({ link, message: new SyncComplete({ level: 'wan' }) });
      return out;
    }
    return [];
  }

  #putListing(link: LinkId, entry: ListingEntry): Delivery[] {
    const refuse = (code: ListingRefused['code'], reason: string): Delivery[] => [
      { link, message: new ListingRefused({ id: entry.id, code, reason }) },
    ];
    const held = this.table.getListing(entry.id);
    const { listings } = this.table.stats();
    if (!held && listings >= this.#init.limits().listings) {
      return refuse('ERR_WAN_LIMIT', `tenant ${this.tenant} holds ${listings} listings, its limit`);
    }
    let result: ReturnType<DirectoryTable['putListing']>;
    try {
      result = this.table.putListing(link, entry);
    } catch (err) {
      return refuse(codeOf(err, 'ERR_INVALID_LISTING'), toError(err).message);
    }
    if (!result.accepted) {
      const by =
        this.#sites.get(this.table.getListing(result.holder.id)?.[0] ?? '') ?? 'another site';
      return refuse('ERR_DUPLICATE_LISTING', `${entry.name} is already published at site ${by}`);
    }
    const site = this.#sites.get(link) as string;
    const accepted = new ListingAccepted({
      id: entry.id,
      relay: this.#init.pass(site, entry.publisher.nodeKey),
    });
    return [{ link, message: accepted }, ...this.#routes(result.changes)];
  }

  #putSearch(link: LinkId, entry: SearchEntry): Delivery[] {
    const refuse = (code: SearchRefused['code'], reason: string): Delivery[] => [
      { link, message: new SearchRefused({ id: entry.id, code, reason }) },
    ];
    const held = this.table.getSearch(entry.id);
    const { searches } = this.table.stats();
    if (!held && searches >= this.#init.limits().searches) {
      return refuse('ERR_WAN_LIMIT', `tenant ${this.tenant} holds ${searches} searches, its limit`);
    }
    try {
      return this.#routes(this.table.putSearch(link, entry));
    } catch (err) {
      return refuse(codeOf(err, 'ERR_INVALID_SEARCH'), toError(err).message);
    }
  }

  /** The messages of route changes, toward each subscriber's site. */
  #routes(changes: readonly RouteChange[]): Delivery[] {
    const out: Delivery[] = [];
    for (const c of changes) {
      const site = this.#sites.get(c.searchLink);
      if (site === undefined) continue;
      if (c.kind === 'remove') {
        out.push({
          link: c.searchLink,
          message: new RouteRemoved({
            searchId: c.search.id,
            listingId: c.listing.id,
            level: 'wan',
          }),
        });
        continue;
      }
      const sameSite = this.#sites.get(c.listingLink) === site;
      const p = c.listing.publisher;
      const routed: ListingEntry = {
        ...c.listing,
        publisher: { ...p, endpoints: routeEndpoints(p.endpoints, p.nodeKey, sameSite) },
      };
      out.push({
        link: c.searchLink,
        message: new RouteAdded({
          searchId: c.search.id,
          listing: listingInfo(routed),
          level: 'wan',
          relay: this.#init.pass(site, c.search.subscriber.nodeKey),
        }),
      });
    }
    return out;
  }
}
