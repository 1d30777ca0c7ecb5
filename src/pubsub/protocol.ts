import { SCOPES } from '../directory/scope.ts';
import { defineMessage, t } from '../messages/index.ts';

/**
 * What two nodes' directories say to each other to open and end sessions
 * (see docs/pubsub.md). Addresses travel as `t.address`, so each side gets
 * the other party's actor as a remote address on their connection.
 */

/** Subscriber node → publisher node: open a session with the publisher of `listingId`. */
export class OpenSession extends defineMessage('callsign.ps.OpenSession', {
  sessionId: t.string,
  listingId: t.string,
  name: t.string,
  search: t.string,
  level: t.enumOf(SCOPES),
  subscriber: t.address,
}) {}

/** Publisher node → subscriber node: the session is open; `publisher` is the publishing actor. */
export class SessionOpened extends defineMessage('callsign.ps.SessionOpened', {
  sessionId: t.string,
  publisher: t.address,
}) {}

/** Publisher node → subscriber node: no such listing here (any more). */
export class SessionRefused extends defineMessage('callsign.ps.SessionRefused', {
  sessionId: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}

/** Either node → the other: the session has ended on this side. */
export class EndSession extends defineMessage('callsign.ps.EndSession', {
  sessionId: t.string,
  code: t.errorCode,
  reason: t.string,
}) {}
