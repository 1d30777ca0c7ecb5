import { SEARCH_KINDS } from '../directory/entries.ts';
import { SCOPES } from '../directory/scope.ts';
import { defineMessage, t } from '../messages/index.ts';

/**
 * The messages an actor receives from publish/subscribe. See docs/pubsub.md.
 */

const scope = t.enumOf(SCOPES);

/** Reply to publish: the listing is held by every directory within its scope that is there now. */
export class Published extends defineMessage('callsign.Published', {
  name: t.string,
  scope,
  /** The endpoints where this node accepts sessions. */
  endpoints: t.array(t.string),
}) {}

/** Reply to publish: the listing was refused; `code` says why (ERR_DUPLICATE_LISTING, ERR_INVALID_LISTING, ...). */
export class NotPublished extends defineMessage('callsign.NotPublished', {
  name: t.string,
  scope,
  code: t.errorCode,
  reason: t.string,
}) {}

/** Reply to subscribe, at once. */
export class Subscribed extends defineMessage('callsign.Subscribed', {
  search: t.string,
  /** How the search matches names: `name` (exactly), `regex` or `subject` (a subject pattern). */
  kind: t.enumOf(SEARCH_KINDS),
  /** True for a regular expression (the same as `kind === 'regex'`). */
  regex: t.bool,
  scope,
}) {}

/** Reply to subscribe when the search is invalid (a bad regular expression, say). */
export class NotSubscribed extends defineMessage('callsign.NotSubscribed', {
  search: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/** To the subscriber: a session with a publisher is open; `returnAddress` is the publisher. */
export class Available extends defineMessage('callsign.Available', {
  search: t.string,
  name: t.string,
  scope,
}) {}

/** To the subscriber: a matched listing could not be reached in time (or refused the session). */
export class NotAvailable extends defineMessage('callsign.NotAvailable', {
  search: t.string,
  name: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/** To the publisher: a subscriber's session is open; `returnAddress` is the subscriber. */
export class Delivered extends defineMessage('callsign.Delivered', { name: t.string, scope }) {}

/** A session ended on the other side, or was lost; `returnAddress` is the other party. */
export class Dropped extends defineMessage('callsign.Dropped', {
  name: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/** A session this actor ended with `clear`; `returnAddress` is the other party. */
export class Cleared extends defineMessage('callsign.Cleared', { name: t.string }) {}

/** Reply to retract: what was withdrawn. */
export class Retracted extends defineMessage('callsign.Retracted', {
  listings: t.uint,
  searches: t.uint,
}) {}

/** To a publisher that asked for interest events: its listing has its first subscriber. */
export class Interested extends defineMessage('callsign.Interested', { name: t.string }) {}

/** To a publisher that asked for interest events: its listing has lost its last subscriber. */
export class NotInterested extends defineMessage('callsign.NotInterested', { name: t.string }) {}
