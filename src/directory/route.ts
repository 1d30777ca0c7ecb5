/**
 * Routes: matches of a search to a listing, and the changes to them a
 * directory sends.
 *
 * @module
 */
import type { LinkId, ListingEntry, SearchEntry } from './entries.ts';
import type { Scope } from './scope.ts';

/**
 * A route that appeared (`add`) or went away (`remove`) in a directory. It is
 * sent down `searchLink`, toward the subscriber; when `searchLink` is
 * `LOCAL` the route is for this node itself.
 *
 * Apply a batch of changes in order: an entry updated in place gives the
 * `remove` of its old routes before the `add` of its new ones, and a route
 * can be removed and added again within one batch.
 */
export interface RouteChange {
  kind: 'add' | 'remove';
  /** The link the search came in through: where to send the change. */
  searchLink: LinkId;
  /** The link the listing came in through. */
  listingLink: LinkId;
  search: SearchEntry;
  listing: ListingEntry;
  /** The level of the directory that matched them. */
  level: Scope;
}
