/**
 * What enters a node's directory actor through its mailbox: the requests of
 * `publish`, `subscribe`, `clear` and `retract` (sent by the asking actor,
 * so the directory knows who asks), and the notices the directory posts to
 * itself (an actor ended, a session's time to open ran out). Only local
 * senders are heard; these never cross the wire.
 *
 * @module
 */
import { SCOPES } from '../directory/scope.ts';
import { defineMessage, t } from '../messages/index.ts';
import { OVERFLOW_POLICIES } from '../transport/overflow.ts';
import { SEARCH_KINDS } from './options.ts';

const scope = t.enumOf(SCOPES);
/** A session overflow option (see `SessionOverflow`); absent for the node's default. */
const overflow = t.optional(t.enumOf(OVERFLOW_POLICIES));
const overflowLimit = t.optional(t.uint);

/** An actor → its node's directory: publish `name`. */
export class PublishRequest extends defineMessage('callsign.ps.Publish', {
  name: t.string,
  scope,
  multi: t.bool,
  interest: t.bool,
  overflow,
  overflowLimit,
}) {}

/** An actor → its node's directory: subscribe with a search of `kind`. */
export class SubscribeRequest extends defineMessage('callsign.ps.Subscribe', {
  kind: t.enumOf(SEARCH_KINDS),
  /** The name, or the source of the regular expression. */
  pattern: t.string,
  /** The regular expression's flags, as given. */
  flags: t.optional(t.string),
  scope,
  overflow,
  overflowLimit,
}) {}

/** An actor → its node's directory: end the session with `other`. */
export class ClearRequest extends defineMessage('callsign.ps.Clear', { other: t.address }) {}

/** An actor → its node's directory: withdraw everything it published and subscribed. */
export class RetractRequest extends defineMessage('callsign.ps.Retract', {}) {}

/** The directory → itself: a local actor with listings or searches ended. */
export class ActorEnded extends defineMessage('callsign.ps.ActorEnded', { actor: t.address }) {}

/**
 * The directory → itself: try again the route (`searchId`, `key`) to
 * `listingId`, whose session through the WAN relay was lost or did not open.
 */
export class RetryRoute extends defineMessage('callsign.ps.RetryRoute', {
  searchId: t.string,
  key: t.string,
  listingId: t.string,
}) {}

/** The directory → itself: a session's time to open ran out. */
export class OpenDeadline extends defineMessage('callsign.ps.OpenDeadline', {
  sessionId: t.string,
}) {}
