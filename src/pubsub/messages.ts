import { SCOPES } from '../directory/scope.ts';
import { type DefinedMessageClass, defineMessage, type MessageOf, t } from '../messages/index.ts';

/**
 * The messages an actor receives from publish/subscribe. See docs/pubsub.md.
 */

const scope = t.enumOf(SCOPES);

/** Reply to publish: the listing is held by every directory within its scope that is there now. */
const publishedFields = {
  name: t.string,
  scope,
  /** The endpoints where this node accepts sessions. */
  endpoints: t.array(t.string),
};
export interface Published extends MessageOf<typeof publishedFields> {}
export const Published: DefinedMessageClass<
  typeof publishedFields,
  'callsign.Published',
  Published
> = defineMessage('callsign.Published', publishedFields);

/** Reply to publish: the listing was refused; `code` says why (ERR_DUPLICATE_LISTING, ERR_INVALID_LISTING, ...). */
const notPublishedFields = {
  name: t.string,
  scope,
  code: t.string,
  reason: t.string,
};
export interface NotPublished extends MessageOf<typeof notPublishedFields> {}
export const NotPublished: DefinedMessageClass<
  typeof notPublishedFields,
  'callsign.NotPublished',
  NotPublished
> = defineMessage('callsign.NotPublished', notPublishedFields);

/** Reply to subscribe, at once. */
const subscribedFields = {
  search: t.string,
  regex: t.bool,
  scope,
};
export interface Subscribed extends MessageOf<typeof subscribedFields> {}
export const Subscribed: DefinedMessageClass<
  typeof subscribedFields,
  'callsign.Subscribed',
  Subscribed
> = defineMessage('callsign.Subscribed', subscribedFields);

/** Reply to subscribe when the search is invalid (a bad regular expression, say). */
const notSubscribedFields = {
  search: t.string,
  code: t.string,
  reason: t.string,
};
export interface NotSubscribed extends MessageOf<typeof notSubscribedFields> {}
export const NotSubscribed: DefinedMessageClass<
  typeof notSubscribedFields,
  'callsign.NotSubscribed',
  NotSubscribed
> = defineMessage('callsign.NotSubscribed', notSubscribedFields);

/** To the subscriber: a session with a publisher is open; `returnAddress` is the publisher. */
const availableFields = {
  search: t.string,
  name: t.string,
  scope,
};
export interface Available extends MessageOf<typeof availableFields> {}
export const Available: DefinedMessageClass<
  typeof availableFields,
  'callsign.Available',
  Available
> = defineMessage('callsign.Available', availableFields);

/** To the subscriber: a matched listing could not be reached in time (or refused the session). */
const notAvailableFields = {
  search: t.string,
  name: t.string,
  code: t.string,
  reason: t.string,
};
export interface NotAvailable extends MessageOf<typeof notAvailableFields> {}
export const NotAvailable: DefinedMessageClass<
  typeof notAvailableFields,
  'callsign.NotAvailable',
  NotAvailable
> = defineMessage('callsign.NotAvailable', notAvailableFields);

/** To the publisher: a subscriber's session is open; `returnAddress` is the subscriber. */
const deliveredFields = { name: t.string, scope };
export interface Delivered extends MessageOf<typeof deliveredFields> {}
export const Delivered: DefinedMessageClass<
  typeof deliveredFields,
  'callsign.Delivered',
  Delivered
> = defineMessage('callsign.Delivered', deliveredFields);

/** A session ended on the other side, or was lost; `returnAddress` is the other party. */
const droppedFields = {
  name: t.string,
  code: t.string,
  reason: t.string,
};
export interface Dropped extends MessageOf<typeof droppedFields> {}
export const Dropped: DefinedMessageClass<typeof droppedFields, 'callsign.Dropped', Dropped> =
  defineMessage('callsign.Dropped', droppedFields);

/** A session this actor ended with `clear`; `returnAddress` is the other party. */
const clearedFields = { name: t.string };
export interface Cleared extends MessageOf<typeof clearedFields> {}
export const Cleared: DefinedMessageClass<typeof clearedFields, 'callsign.Cleared', Cleared> =
  defineMessage('callsign.Cleared', clearedFields);

/** Reply to retract: what was withdrawn. */
const retractedFields = { listings: t.uint, searches: t.uint };
export interface Retracted extends MessageOf<typeof retractedFields> {}
export const Retracted: DefinedMessageClass<
  typeof retractedFields,
  'callsign.Retracted',
  Retracted
> = defineMessage('callsign.Retracted', retractedFields);

/** To a publisher that asked for interest events: its listing has its first subscriber. */
const interestedFields = { name: t.string };
export interface Interested extends MessageOf<typeof interestedFields> {}
export const Interested: DefinedMessageClass<
  typeof interestedFields,
  'callsign.Interested',
  Interested
> = defineMessage('callsign.Interested', interestedFields);

/** To a publisher that asked for interest events: its listing has lost its last subscriber. */
const notInterestedFields = { name: t.string };
export interface NotInterested extends MessageOf<typeof notInterestedFields> {}
export const NotInterested: DefinedMessageClass<
  typeof notInterestedFields,
  'callsign.NotInterested',
  NotInterested
> = defineMessage('callsign.NotInterested', notInterestedFields);
