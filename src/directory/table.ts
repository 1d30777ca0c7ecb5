/**
 * The tables one directory holds and the decisions it makes, at any scope.
 *
 * Every directory (a node's own process directory, a group directory, a host
 * daemon, a LAN or WAN directory) wraps one {@link DirectoryTable}, feeds it
 * what arrives on its links and sends what it answers: route changes down
 * toward subscribers, and the entries {@link DirectoryTable.shouldForward}
 * accepts up to its parent. No sockets, no actors: the rules are in
 * docs/directory.md.
 *
 * @module
 */
import {
  assertListing,
  assertSearch,
  type LinkId,
  type ListingEntry,
  LOCAL,
  type SearchEntry,
  sameListing,
  sameSearch,
} from './entries.ts';
import { NameHolders } from './name-holders.ts';
import { PatternSearches } from './pattern-searches.ts';
import type { RouteChange } from './route.ts';
import { type Scope, scopeRank } from './scope.ts';
import { compileSearchPattern, type SearchPattern } from './search-pattern.ts';

export type { RouteChange } from './route.ts';

/**
 * What {@link DirectoryTable.putListing} answers: the route changes, or the
 * listing that already holds the name (its `publisher.where` says who).
 */
export type PutListingResult =
  | { accepted: true; changes: RouteChange[] }
  | { accepted: false; holder: ListingEntry; changes: [] };

/** What one link holds. */
interface LinkTable {
  readonly id: LinkId;
  readonly listings: Set<HeldListing>;
  readonly searches: Set<HeldSearch>;
}

interface HeldListing {
  readonly entry: ListingEntry;
  readonly link: LinkTable;
  /** The pattern searches (regex, subject) it is routed to (exact ones are found by name). */
  patternRoutes: Set<HeldSearch> | undefined;
}

interface HeldSearch {
  readonly entry: SearchEntry;
  readonly link: LinkTable;
  /** The compiled pattern of a regular-expression search. */
  readonly pattern: SearchPattern | undefined;
  /** The listings a pattern search (regex, subject) is routed to. */
  readonly routes: Set<HeldListing> | undefined;
}

/**
 * The listings and searches one directory holds, the links they came in
 * through, and the routes between them.
 *
 * - A search matches a listing when the names are equal (exact), when the
 *   regular expression matches the whole name, or when the subject pattern
 *   matches the name (a subject: dot-separated tokens).
 * - A listing and a search that came in through the same child link are not
 *   matched here: the directory below did. `LOCAL` entries match each other.
 * - A name is held by one listing, or by several that all say `multi`.
 *
 * Every change answers the route changes it caused. The table keeps the entry
 * objects it is given: do not change them afterwards.
 *
 * @example
 * ```ts
 * const table = new DirectoryTable('group');
 * table.putSearch('child-1', search);            // [] : nothing to match yet
 * const { changes } = table.putListing('child-2', listing);
 * // changes: [{ kind: 'add', searchLink: 'child-1', listingLink: 'child-2', ... }]
 * for (const entry of [listing, search]) if (table.shouldForward(entry)) parent.push(entry);
 * ```
 */
export class DirectoryTable {
  /** The scope this directory serves; it holds entries of this scope and wider. */
  readonly level: Scope;
  readonly #rank: number;
  readonly #links = new Map<LinkId, LinkTable>();
  readonly #listings = new Map<string, HeldListing>();
  readonly #names = new NameHolders<HeldListing>();
  readonly #searches = new Map<string, HeldSearch>();
  /** Exact searches by the name they look for. */
  readonly #exact = new Map<string, Set<HeldSearch>>();
  readonly #patterns = new PatternSearches<HeldSearch, HeldListing>();
  #routeCount = 0;

  constructor(level: Scope) {
    this.#rank = scopeRank(level);
    this.level = level;
  }

  /**
   * Adds or updates a listing that came in through `link`.
   *
   * Refused (nothing changes) when another listing id holds the name, unless
   * both say `multi`. Putting the same listing again changes nothing; a
   * changed one (or one that moved to another link) gives the removes of its
   * old routes, then the adds of its new ones.
   *
   * @throws CallsignError `ERR_INVALID_LISTING` when `listing` is malformed or
   *   its scope does not reach this level; nothing changes then.
   */
  putListing(link: LinkId, listing: ListingEntry): PutListingResult {
    assertLink(link);
    assertListing(listing, this.level);
    const held = this.#listings.get(listing.id);
    if (held !== undefined && held.link.id === link && sameListing(held.entry, listing)) {
      return { accepted: true, changes: [] };
    }
    const holder = this.#names.holderOf(listing);
    if (holder !== undefined) return { accepted: false, holder: holder.entry, changes: [] };
    const changes: RouteChange[] = [];
    if (held !== undefined) this.#dropListing(held, changes);
    this.#addListing(this.#linkTable(link), listing, changes);
    return { accepted: true, changes };
  }

  /** Withdraws the listing `id` held under `link`: the removes of its routes. */
  deleteListing(link: LinkId, id: string): RouteChange[] {
    const held = this.#listings.get(id);
    if (held === undefined || held.link.id !== link) return [];
    const changes: RouteChange[] = [];
    this.#dropListing(held, changes);
    return changes;
  }

  /**
   * Adds or updates a search that came in through `link`: the adds of its
   * routes. A regular expression is tested against every name held.
   *
   * @throws CallsignError `ERR_INVALID_SEARCH` when `search` is malformed, its
   *   scope does not reach this level, or its pattern is refused (see
   *   {@link compileSearchPattern}); nothing changes then.
   */
  putSearch(link: LinkId, search: SearchEntry): RouteChange[] {
    assertLink(link);
    assertSearch(search, this.level);
    const held = this.#searches.get(search.id);
    if (held !== undefined && held.link.id === link && sameSearch(held.entry, search)) return [];
    const pattern =
      search.kind === 'regex' ? compileSearchPattern(search.pattern, search.flags) : undefined;
    const changes: RouteChange[] = [];
    if (held !== undefined) this.#dropSearch(held, changes);
    this.#addSearch(this.#linkTable(link), search, pattern, changes);
    return changes;
  }

  /** Withdraws the search `id` held under `link`: the removes of its routes. */
  deleteSearch(link: LinkId, id: string): RouteChange[] {
    const held = this.#searches.get(id);
    if (held === undefined || held.link.id !== link) return [];
    const changes: RouteChange[] = [];
    this.#dropSearch(held, changes);
    return changes;
  }

  /**
   * Forgets everything that came in through `link` (a child went away): the
   * removes of every route involving it. Costs in proportion to what the
   * link held and its routes.
   */
  removeLink(link: LinkId): RouteChange[] {
    const table = this.#links.get(link);
    if (table === undefined) return [];
    const changes: RouteChange[] = [];
    for (const held of [...table.searches]) this.#dropSearch(held, changes);
    for (const held of [...table.listings]) this.#dropListing(held, changes);
    this.#links.delete(link);
    return changes;
  }

  /** True when `entry` reaches beyond this level: the parent must see it. */
  shouldForward(entry: { scope: Scope }): boolean {
    return scopeRank(entry.scope) > this.#rank;
  }

  /** Every entry held that {@link shouldForward}: what to push to a parent that came back. */
  snapshot(): { listings: ListingEntry[]; searches: SearchEntry[] } {
    const listings: ListingEntry[] = [];
    const searches: SearchEntry[] = [];
    for (const { entry } of this.#listings.values()) {
      if (this.shouldForward(entry)) listings.push(entry);
    }
    for (const { entry } of this.#searches.values()) {
      if (this.shouldForward(entry)) searches.push(entry);
    }
    return { listings, searches };
  }

  /** Every current route, as `add` changes. */
  routes(): RouteChange[] {
    const out: RouteChange[] = [];
    for (const search of this.#searches.values()) {
      if (search.routes !== undefined) {
        for (const listing of search.routes) out.push(this.#change('add', search, listing));
        continue;
      }
      this.#names.each(search.entry.pattern, (listing) => {
        if (linked(search.link, listing.link)) out.push(this.#change('add', search, listing));
      });
    }
    return out;
  }

  /** How much the table holds. */
  stats(): { listings: number; searches: number; routes: number; links: number } {
    return {
      listings: this.#listings.size,
      searches: this.#searches.size,
      routes: this.#routeCount,
      links: this.#links.size,
    };
  }

  /** The listing `id` and the link it came in through, if it is held. */
  getListing(id: string): [LinkId, ListingEntry] | undefined {
    const held = this.#listings.get(id);
    return held === undefined ? undefined : [held.link.id, held.entry];
  }

  /** The search `id` and the link it came in through, if it is held. */
  getSearch(id: string): [LinkId, SearchEntry] | undefined {
    const held = this.#searches.get(id);
    return held === undefined ? undefined : [held.link.id, held.entry];
  }

  /** Every listing held, with the link it came in through. */
  *listings(): Iterable<[LinkId, ListingEntry]> {
    for (const held of this.#listings.values()) yield [held.link.id, held.entry];
  }

  /** Every search held, with the link it came in through. */
  *searches(): Iterable<[LinkId, SearchEntry]> {
    for (const held of this.#searches.values()) yield [held.link.id, held.entry];
  }

  // -------------------------------------------------------------------------

  #linkTable(id: LinkId): LinkTable {
    let table = this.#links.get(id);
    if (table === undefined) {
      table = { id, listings: new Set(), searches: new Set() };
      this.#links.set(id, table);
    }
    return table;
  }

  #releaseLink(table: LinkTable): void {
    if (table.listings.size === 0 && table.searches.size === 0) this.#links.delete(table.id);
  }

  #change(kind: 'add' | 'remove', search: HeldSearch, listing: HeldListing): RouteChange {
    return {
      kind,
      searchLink: search.link.id,
      listingLink: listing.link.id,
      search: search.entry,
      listing: listing.entry,
      level: this.level,
    };
  }

  #addPatternRoute(search: HeldSearch, listing: HeldListing, changes: RouteChange[]): void {
    search.routes?.add(listing);
    if (listing.patternRoutes === undefined) listing.patternRoutes = new Set();
    listing.patternRoutes.add(search);
    changes.push(this.#change('add', search, listing));
  }

  #addListing(link: LinkTable, entry: ListingEntry, changes: RouteChange[]): void {
    const listing: HeldListing = { entry, link, patternRoutes: undefined };
    const before = changes.length;
    this.#listings.set(entry.id, listing);
    link.listings.add(listing);
    this.#names.add(listing);
    this.#patterns.addListing(listing);

    const exact = this.#exact.get(entry.name);
    if (exact !== undefined) {
      for (const search of exact) {
        if (linked(search.link, link)) changes.push(this.#change('add', search, listing));
      }
    }
    this.#patterns.matching(entry.name, (search) => {
      if (linked(search.link, link)) this.#addPatternRoute(search, listing, changes);
    });
    this.#routeCount += changes.length - before;
  }

  #dropListing(listing: HeldListing, changes: RouteChange[]): void {
    const { entry, link } = listing;
    const before = changes.length;
    this.#listings.delete(entry.id);
    link.listings.delete(listing);
    this.#releaseLink(link);
    this.#names.remove(listing);
    this.#patterns.deleteListing(listing);

    const exact = this.#exact.get(entry.name);
    if (exact !== undefined) {
      for (const search of exact) {
        if (linked(search.link, link)) changes.push(this.#change('remove', search, listing));
      }
    }
    if (listing.patternRoutes !== undefined) {
      for (const search of listing.patternRoutes) {
        search.routes?.delete(listing);
        changes.push(this.#change('remove', search, listing));
      }
      listing.patternRoutes = undefined;
    }
    this.#routeCount -= changes.length - before;
  }

  #addSearch(
    link: LinkTable,
    entry: SearchEntry,
    pattern: SearchPattern | undefined,
    changes: RouteChange[],
  ): void {
    const search: HeldSearch = {
      entry,
      link,
      pattern,
      routes: entry.kind === 'name' ? undefined : new Set(),
    };
    this.#searches.set(entry.id, search);
    link.searches.add(search);
    const before = changes.length;

    if (entry.kind === 'name') {
      let exact = this.#exact.get(entry.pattern);
      if (exact === undefined) {
        exact = new Set();
        this.#exact.set(entry.pattern, exact);
      }
      exact.add(search);
      this.#names.each(entry.pattern, (listing) => {
        if (linked(link, listing.link)) changes.push(this.#change('add', search, listing));
      });
    } else {
      this.#patterns.add(search);
      const each = (name: string, visit: (l: HeldListing) => void) => this.#names.each(name, visit);
      this.#patterns.listingsOf(search, this.#names.names(), each, (listing) => {
        if (linked(link, listing.link)) this.#addPatternRoute(search, listing, changes);
      });
    }
    this.#routeCount += changes.length - before;
  }

  #dropSearch(search: HeldSearch, changes: RouteChange[]): void {
    const { entry, link } = search;
    const before = changes.length;
    this.#searches.delete(entry.id);
    link.searches.delete(search);
    this.#releaseLink(link);

    if (entry.kind === 'name') {
      const exact = this.#exact.get(entry.pattern);
      if (exact !== undefined) {
        exact.delete(search);
        if (exact.size === 0) this.#exact.delete(entry.pattern);
      }
      this.#names.each(entry.pattern, (listing) => {
        if (linked(link, listing.link)) changes.push(this.#change('remove', search, listing));
      });
    } else {
      this.#patterns.delete(search);
      for (const listing of search.routes ?? []) {
        listing.patternRoutes?.delete(search);
        if (listing.patternRoutes?.size === 0) listing.patternRoutes = undefined;
        changes.push(this.#change('remove', search, listing));
      }
      search.routes?.clear();
    }
    this.#routeCount -= changes.length - before;
  }
}

/**
 * True when a search from `a` and a listing from `b` are matched here: not
 * when both came through the same child link (the directory below matched
 * them), but always between this node's own (`LOCAL`) entries.
 */
function linked(a: LinkTable, b: LinkTable): boolean {
  return a !== b || a.id === LOCAL;
}

function assertLink(link: unknown): asserts link is LinkId {
  if (typeof link !== 'string' || link.length === 0) {
    throw new TypeError(`a link id must be a non-empty string, got ${String(link)}`);
  }
}
