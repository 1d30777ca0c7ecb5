/**
 * The routes of a node's searches, and which one each search uses: the
 * closest. Routes arrive from the node's own table (level `process`) and
 * from the directories above; for one search, the routes to listings of one
 * name (or to one multi listing) are alternatives, and a session is opened
 * on the closest only. Pure: it answers decisions, the directory actor opens
 * and ends the sessions.
 *
 * - A route to a closer listing than the one in use replaces it (the session
 *   moves); a farther one waits as a fallback.
 * - When the route in use goes, the session ends and the closest remaining
 *   alternative, if any, is opened.
 * - When a directory above is lost, the routes it gave are marked stale;
 *   after it has synced again, stale routes it did not send again are swept,
 *   except those whose session is open (an open session proves the
 *   publisher is there).
 *
 * @module
 */
import type { ListingEntry } from '../directory/entries.ts';
import { LOCAL } from '../directory/entries.ts';
import { type Scope, scopeRank } from '../directory/scope.ts';
import type { RouteChange } from '../directory/table.ts';

/** A route that appeared or went away for one of the node's searches. */
export type RouteUpdate =
  | { kind: 'add'; searchId: string; listing: ListingEntry; level: Scope }
  | { kind: 'remove'; searchId: string; listingId: string };

/** What to do with sessions after an update. */
export type RouteDecision =
  /** Open a session on this route (nothing was in use for its alternatives). */
  | { kind: 'open'; searchId: string; key: string; listing: ListingEntry; level: Scope }
  /** End the session on `listingId` (a closer route replaces it) and open one on `listing`. */
  | {
      kind: 'replace';
      searchId: string;
      key: string;
      listingId: string;
      listing: ListingEntry;
      level: Scope;
    }
  /** End the session on `listingId`: its route is gone. */
  | { kind: 'end'; searchId: string; key: string; listingId: string };

interface Candidate {
  listing: ListingEntry;
  level: Scope;
  stale: boolean;
}

/** The alternatives of one search for one name (or one multi listing), and the one in use. */
interface Alternatives {
  candidates: Map<string, Candidate>;
  active: { listingId: string; level: Scope; open: boolean } | undefined;
}

/** The key that groups alternatives: the name, or the listing id of a multi listing. */
export function routeKey(listing: Pick<ListingEntry, 'id' | 'name' | 'multi'>): string {
  return listing.multi ? `id:${listing.id}` : `name:${listing.name}`;
}

/** The updates of a node's own table: its searches are all `LOCAL`. */
export function updatesOf(changes: readonly RouteChange[]): RouteUpdate[] {
  return changes
    .filter((c) => c.searchLink === LOCAL)
    .map((c) =>
      c.kind === 'add'
        ? { kind: 'add', searchId: c.search.id, listing: c.listing, level: c.level }
        : { kind: 'remove', searchId: c.search.id, listingId: c.listing.id },
    );
}

/** The routes of a node's searches. */
export class RouteBook {
  /** searchId → route key → alternatives. */
  readonly #routes = new Map<string, Map<string, Alternatives>>();

  /** Applies updates in order; answers what to do with sessions. */
  apply(updates: readonly RouteUpdate[]): RouteDecision[] {
    const out: RouteDecision[] = [];
    for (const u of updates) {
      if (u.kind === 'add') this.#add(u.searchId, u.listing, u.level, out);
      else this.#remove(u.searchId, u.listingId, out);
    }
    return out;
  }

  /** Routes matched above `level` become stale until {@link RouteBook.sweep}. */
  markStale(level: Scope): void {
    for (const byKey of this.#routes.values()) {
      for (const alt of byKey.values()) {
        for (const c of alt.candidates.values()) {
          if (scopeRank(c.level) > scopeRank(level)) c.stale = true;
        }
      }
    }
  }

  /**
   * After a re-sync at `level`: removes the routes above it still stale,
   * except those whose session is open (they are fresh again).
   */
  sweep(level: Scope): RouteDecision[] {
    const gone: RouteUpdate[] = [];
    for (const [searchId, byKey] of this.#routes) {
      for (const alt of byKey.values()) {
        for (const c of alt.candidates.values()) {
          if (!c.stale || scopeRank(c.level) <= scopeRank(level)) continue;
          if (alt.active?.listingId === c.listing.id && alt.active.open) c.stale = false;
          else gone.push({ kind: 'remove', searchId, listingId: c.listing.id });
        }
      }
    }
    return this.apply(gone);
  }

  /** The session on the route in use for (`searchId`, `key`) is open. */
  opened(searchId: string, key: string, listingId: string): void {
    const active = this.#routes.get(searchId)?.get(key)?.active;
    if (active?.listingId === listingId) active.open = true;
  }

  /**
   * The session on `listingId` for (`searchId`, `key`) ended: the route
   * stays known, unused, until it is removed or a closer one comes.
   */
  ended(searchId: string, key: string, listingId: string): void {
    const alt = this.#routes.get(searchId)?.get(key);
    if (alt?.active?.listingId === listingId) alt.active = undefined;
  }

  /**
   * Uses again the route (`searchId`, `key`) whose session on `listingId`
   * ended, if that listing is still a candidate and nothing is in use.
   */
  retry(searchId: string, key: string, listingId: string): RouteDecision[] {
    const alt = this.#routes.get(searchId)?.get(key);
    if (!alt || alt.active || !alt.candidates.has(listingId)) return [];
    const out: RouteDecision[] = [];
    this.#reconsider(searchId, key, alt, out);
    return out;
  }

  /** Forgets a search and its routes (its sessions are ended by the caller). */
  forgetSearch(searchId: string): void {
    this.#routes.delete(searchId);
  }

  /** The route in use for (`searchId`, `key`), if any. */
  active(
    searchId: string,
    key: string,
  ): { listingId: string; level: Scope; open: boolean } | undefined {
    const a = this.#routes.get(searchId)?.get(key)?.active;
    return a && { ...a };
  }

  /** The routes known for a search: `[key, listing id, level, stale]`, for tests and reports. */
  routesOf(searchId: string): { key: string; listingId: string; level: Scope; stale: boolean }[] {
    const out: { key: string; listingId: string; level: Scope; stale: boolean }[] = [];
    for (const [key, alt] of this.#routes.get(searchId) ?? []) {
      for (const c of alt.candidates.values()) {
        out.push({ key, listingId: c.listing.id, level: c.level, stale: c.stale });
      }
    }
    return out;
  }

  #add(searchId: string, listing: ListingEntry, level: Scope, out: RouteDecision[]): void {
    const key = routeKey(listing);
    let byKey = this.#routes.get(searchId);
    if (!byKey) {
      byKey = new Map();
      this.#routes.set(searchId, byKey);
    }
    let alt = byKey.get(key);
    if (!alt) {
      alt = { candidates: new Map(), active: undefined };
      byKey.set(key, alt);
    }
    alt.candidates.set(listing.id, { listing, level, stale: false });
    this.#reconsider(searchId, key, alt, out);
  }

  #remove(searchId: string, listingId: string, out: RouteDecision[]): void {
    const byKey = this.#routes.get(searchId);
    if (!byKey) return;
    for (const [key, alt] of byKey) {
      if (!alt.candidates.delete(listingId)) continue;
      if (alt.active?.listingId === listingId) {
        alt.active = undefined;
        out.push({ kind: 'end', searchId, key, listingId });
      }
      if (alt.candidates.size === 0) byKey.delete(key);
      else this.#reconsider(searchId, key, alt, out);
    }
    if (byKey.size === 0) this.#routes.delete(searchId);
  }

  /** Opens the closest alternative if none is in use, or moves to it if it is closer. */
  #reconsider(searchId: string, key: string, alt: Alternatives, out: RouteDecision[]): void {
    let best: Candidate | undefined;
    for (const c of alt.candidates.values()) {
      if (!best || scopeRank(c.level) < scopeRank(best.level)) best = c;
    }
    if (!best) return;
    const active = alt.active;
    if (active?.listingId === best.listing.id) return;
    if (active && scopeRank(best.level) >= scopeRank(active.level)) return;
    alt.active = { listingId: best.listing.id, level: best.level, open: false };
    out.push(
      active
        ? {
            kind: 'replace',
            searchId,
            key,
            listingId: active.listingId,
            listing: best.listing,
            level: best.level,
          }
        : { kind: 'open', searchId, key, listing: best.listing, level: best.level },
    );
  }
}
