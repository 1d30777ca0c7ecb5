import { defineMessage, t } from '../messages/index.ts';
import { SCOPES } from './scope.ts';

/**
 * The messages directories exchange with the directories and nodes below
 * them. A child sends its listings and searches up (Put/Delete, or Sync of
 * everything when it connects); a directory answers listings with
 * ListingAccepted/ListingRefused and sends routes down toward the subscriber
 * (RouteAdded/RouteRemoved). See docs/directory.md.
 */

const scope = t.enumOf(SCOPES);

/** Who publishes a listing and how to reach its node. */
export const PublisherInfo = defineMessage('callsign.dir.PublisherInfo', {
  nodeKey: t.string,
  actor: t.uint,
  endpoints: t.array(t.string),
  where: t.string,
});
export type PublisherInfo = InstanceType<typeof PublisherInfo>;

/** A listing as it travels between directories. */
export const ListingInfo = defineMessage('callsign.dir.ListingInfo', {
  id: t.string,
  name: t.string,
  scope,
  multi: t.bool,
  publisher: t.message(PublisherInfo),
});
export type ListingInfo = InstanceType<typeof ListingInfo>;

/** Who subscribes. */
export const SubscriberInfo = defineMessage('callsign.dir.SubscriberInfo', {
  nodeKey: t.string,
  actor: t.uint,
  where: t.string,
});
export type SubscriberInfo = InstanceType<typeof SubscriberInfo>;

/** A search as it travels between directories. */
export const SearchInfo = defineMessage('callsign.dir.SearchInfo', {
  id: t.string,
  pattern: t.string,
  regex: t.bool,
  flags: t.optional(t.string),
  scope,
  subscriber: t.message(SubscriberInfo),
});
export type SearchInfo = InstanceType<typeof SearchInfo>;

/** Child → parent: hold this listing (answered by ListingAccepted or ListingRefused). */
export const PutListing = defineMessage('callsign.dir.PutListing', {
  listing: t.message(ListingInfo),
});
/** Child → parent: forget this listing. */
export const DeleteListing = defineMessage('callsign.dir.DeleteListing', { id: t.string });
/** Child → parent: hold this search. */
export const PutSearch = defineMessage('callsign.dir.PutSearch', { search: t.message(SearchInfo) });
/** Child → parent: forget this search. */
export const DeleteSearch = defineMessage('callsign.dir.DeleteSearch', { id: t.string });
/** Child → parent, on connecting: everything the child holds that reaches this far. */
export const Sync = defineMessage('callsign.dir.Sync', {
  where: t.string,
  listings: t.array(t.message(ListingInfo)),
  searches: t.array(t.message(SearchInfo)),
});

/** Parent → child: the listing is held (and by every directory above within its scope). */
export const ListingAccepted = defineMessage('callsign.dir.ListingAccepted', { id: t.string });
/** Parent → child: the listing is refused. */
export const ListingRefused = defineMessage('callsign.dir.ListingRefused', {
  id: t.string,
  code: t.string,
  reason: t.string,
});
/** Parent → child, toward the subscriber: a search matched a listing at `level`. */
export const RouteAdded = defineMessage('callsign.dir.RouteAdded', {
  searchId: t.string,
  listing: t.message(ListingInfo),
  level: scope,
});
/** Parent → child: a route is gone (the listing or the search went away). */
export const RouteRemoved = defineMessage('callsign.dir.RouteRemoved', {
  searchId: t.string,
  listingId: t.string,
  level: scope,
});

/** Anyone → a directory: describe yourself (for `callsign network`). */
export const DirectoryEnquiry = defineMessage('callsign.dir.DirectoryEnquiry', {});
/** A directory's answer to DirectoryEnquiry. */
export const DirectoryReport = defineMessage('callsign.dir.DirectoryReport', {
  level: scope,
  endpoint: t.string,
  parent: t.optional(t.string),
  children: t.array(t.string),
  listings: t.array(t.message(ListingInfo)),
  searches: t.array(t.message(SearchInfo)),
  routes: t.uint,
});

/** Parent → child, after a Sync: every route of the synced tables has been sent. */
export const SyncComplete = defineMessage('callsign.dir.SyncComplete', { level: scope });
/**
 * Directory → children: the directory lost its own parent; routes matched above
 * `level` may be stale until UpstreamSynced. Sessions already open go on.
 */
export const UpstreamLost = defineMessage('callsign.dir.UpstreamLost', { level: scope });
/** Directory → children: its parent is back and synced; routes above `level` not sent again since UpstreamLost are gone. */
export const UpstreamSynced = defineMessage('callsign.dir.UpstreamSynced', { level: scope });
