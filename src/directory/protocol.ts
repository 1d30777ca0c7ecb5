import { defineMessage, t } from '../messages/index.ts';
import { RelayPass } from '../transport/relay/pass.ts';
import { SEARCH_KINDS } from './entries.ts';
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
export class PublisherInfo extends defineMessage('callsign.dir.PublisherInfo', {
  nodeKey: t.string,
  actor: t.uint,
  endpoints: t.array(t.string),
  where: t.string,
}) {}

/** A listing as it travels between directories. */
export class ListingInfo extends defineMessage('callsign.dir.ListingInfo', {
  id: t.string,
  name: t.string,
  scope,
  multi: t.bool,
  publisher: t.message(PublisherInfo),
}) {}

/** Who subscribes. */
export class SubscriberInfo extends defineMessage('callsign.dir.SubscriberInfo', {
  nodeKey: t.string,
  actor: t.uint,
  where: t.string,
}) {}

/** A search as it travels between directories. */
export class SearchInfo extends defineMessage('callsign.dir.SearchInfo', {
  id: t.string,
  pattern: t.string,
  kind: t.enumOf(SEARCH_KINDS),
  flags: t.optional(t.string),
  scope,
  subscriber: t.message(SubscriberInfo),
}) {}

/** Child → parent: hold this listing (answered by ListingAccepted or ListingRefused). */
export class PutListing extends defineMessage('callsign.dir.PutListing', {
  listing: t.message(ListingInfo),
}) {}
/** Child → parent: forget this listing. */
export class DeleteListing extends defineMessage('callsign.dir.DeleteListing', { id: t.string }) {}
/** Child → parent: hold this search. */
export class PutSearch extends defineMessage('callsign.dir.PutSearch', {
  search: t.message(SearchInfo),
}) {}
/** Child → parent: forget this search. */
export class DeleteSearch extends defineMessage('callsign.dir.DeleteSearch', { id: t.string }) {}
/** Child → parent, on connecting: everything the child holds that reaches this far. */
export class Sync extends defineMessage('callsign.dir.Sync', {
  where: t.string,
  listings: t.array(t.message(ListingInfo)),
  searches: t.array(t.message(SearchInfo)),
}) {}

/**
 * Parent → child: the listing is held (and by every directory above within
 * its scope). From a WAN directory it carries the publisher node's pass to
 * the relay, so that other sites can reach it there (docs/wan.md); every
 * directory below passes it on toward the publisher.
 */
export class ListingAccepted extends defineMessage('callsign.dir.ListingAccepted', {
  id: t.string,
  relay: t.optional(t.message(RelayPass)),
}) {}
/**
 * True when a ListingRefused with `code` withdraws the listing (a duplicate,
 * an invalid listing): every directory below forgets it. Any other code (the
 * directory above refused the one below: wrong realm, version) leaves it
 * held where it was accepted, to be put up again when the refusal ends.
 */
export function withdrawsListing(code: string): boolean {
  return code === 'ERR_DUPLICATE_LISTING' || code === 'ERR_INVALID_LISTING';
}

/** Parent → child: the listing is refused. */
export class ListingRefused extends defineMessage('callsign.dir.ListingRefused', {
  id: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}
/**
 * Parent → child, toward the subscriber: a search matched a listing at
 * `level`. A WAN directory adds the subscriber node's pass to the relay when
 * the listing's endpoints include one (`relay:<peer>`).
 */
export class RouteAdded extends defineMessage('callsign.dir.RouteAdded', {
  searchId: t.string,
  listing: t.message(ListingInfo),
  level: scope,
  relay: t.optional(t.message(RelayPass)),
}) {}
/**
 * Parent → child, toward the subscriber: the search is not held (a limit of
 * the WAN directory): the subscriber is told NotSubscribed with the code.
 */
export class SearchRefused extends defineMessage('callsign.dir.SearchRefused', {
  id: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}
/** Parent → child: a route is gone (the listing or the search went away). */
export class RouteRemoved extends defineMessage('callsign.dir.RouteRemoved', {
  searchId: t.string,
  listingId: t.string,
  level: scope,
}) {}

/** Anyone → a directory: describe yourself (for `callsign network`). */
export class DirectoryEnquiry extends defineMessage('callsign.dir.DirectoryEnquiry', {}) {}
/** A directory's answer to DirectoryEnquiry. */
export class DirectoryReport extends defineMessage('callsign.dir.DirectoryReport', {
  level: scope,
  endpoint: t.string,
  parent: t.optional(t.string),
  children: t.array(t.string),
  listings: t.array(t.message(ListingInfo)),
  searches: t.array(t.message(SearchInfo)),
  routes: t.uint,
  /** Why the directory above refused this one, while it does (`ERR_WRONG_REALM`, ...). */
  refusedCode: t.optional(t.errorCode),
  refusedReason: t.optional(t.string),
  /** The directory's node counters of messages that did not reach an actor, by name. */
  counters: t.record(t.uint),
}) {}

/** Parent → child, after a Sync: every route of the synced tables has been sent. */
export class SyncComplete extends defineMessage('callsign.dir.SyncComplete', { level: scope }) {}
/**
 * Directory → children: the directory lost its own parent; routes matched above
 * `level` may be stale until UpstreamSynced. Sessions already open go on.
 */
export class UpstreamLost extends defineMessage('callsign.dir.UpstreamLost', { level: scope }) {}
/**
 * Directory → children: the directory above refused this one (wrong realm,
 * version, trust), so nothing reaches beyond `level` until it accepts: the
 * children tell every actor whose listing or search reaches further.
 */
export class UpstreamRefused extends defineMessage('callsign.dir.UpstreamRefused', {
  level: scope,
  code: t.errorCode,
  reason: t.string,
}) {}
/**
 * Directory → children: connect to the directory at `endpoint` instead of
 * this one (a LAN directory that found a preferred one of its realm after a
 * partition healed). Routes from above are stale until the children have
 * synced there; sessions go on.
 */
export class Handover extends defineMessage('callsign.dir.Handover', { endpoint: t.string }) {}
/** Directory → children: its parent is back and synced; routes above `level` not sent again since UpstreamLost are gone. */
export class UpstreamSynced extends defineMessage('callsign.dir.UpstreamSynced', {
  level: scope,
}) {}
