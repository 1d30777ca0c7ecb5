/**
 * The scope-agnostic directory: the tables one directory holds, how searches
 * match listings, and the route changes that follow.
 *
 * @module
 */
export {
  assertListing,
  assertSearch,
  type LinkId,
  type ListingEntry,
  LOCAL,
  MAX_ENTRY_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PATTERN_LENGTH,
  type PublisherRef,
  type SearchEntry,
  type SubscriberRef,
} from './entries.ts';
export type { RouteChange } from './route.ts';
export { isScope, SCOPES, type Scope, scopeRank } from './scope.ts';
export {
  compileSearchPattern,
  MAX_PATTERN_COST,
  SEARCH_FLAGS,
  type SearchPattern,
} from './search-pattern.ts';
export { DirectoryTable, type PutListingResult } from './table.ts';
