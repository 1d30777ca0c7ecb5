/**
 * The codecs of the messages that a node's first session sends and reads,
 * compiled once at start. Each message class's encoder and decoder are made
 * on first use (messages/codec.ts); in a new process that first use costs
 * about half a millisecond to a millisecond per class, and without this it
 * falls on the way of the node's first publish or subscribe (the listing or
 * search going up, the directory's answer, the route, the session's opening).
 *
 * @module
 */
import {
  ListingAccepted,
  ListingInfo,
  PublisherInfo,
  PutListing,
  PutSearch,
  RouteAdded,
  SearchInfo,
  SubscriberInfo,
} from '../directory/protocol.ts';
import type { AddressCodec } from '../messages/address.ts';
import { decodeMessage, encodeMessage } from '../messages/codec.ts';
import type { Message } from '../messages/registry.ts';
import { ActorAddress } from '../runtime/address.ts';
import { OpenSession, SessionOpened } from './protocol.ts';

/** Stands in for a connection's address codec: every address is this process's actor 1, in one byte. */
const SAME_ADDRESS: AddressCodec = {
  write: (w) => w.u8(1),
  read: (r) => new ActorAddress(r.u8()),
};

/**
 * Encodes and decodes one message of each class that a first publish and
 * a first subscribe exchange with the directory above and the other node,
 * so that their codecs are compiled. In memory, a few milliseconds in a new
 * process, nothing afterwards; `createNode` runs it while the node's link
 * above is being made. Never throws.
 */
export function warmSessionCodecs(): void {
  const publisher = new PublisherInfo({
    nodeKey: 'warm',
    actor: 1,
    endpoints: ['unix:/warm'],
    where: 'warm',
  });
  const listing = new ListingInfo({
    id: 'warm',
    name: 'warm',
    scope: 'host',
    multi: false,
    publisher,
  });
  const subscriber = new SubscriberInfo({ nodeKey: 'warm', actor: 1, where: 'warm' });
  const address = new ActorAddress(1);
  const messages: Message[] = [
    new PutListing({ listing }),
    new ListingAccepted({ id: 'warm' }),
    new PutSearch({
      search: new SearchInfo({
        id: 'warm',
        pattern: 'warm',
        kind: 'name',
        scope: 'host',
        subscriber,
      }),
    }),
    new RouteAdded({ searchId: 'warm', listing, level: 'host' }),
    new OpenSession({
      sessionId: 'warm',
      listingId: 'warm',
      name: 'warm',
      search: 'warm',
      level: 'host',
      subscriber: address,
    }),
    new SessionOpened({ sessionId: 'warm', publisher: address }),
  ];
  const ctx = { addresses: SAME_ADDRESS };
  for (const m of messages) {
    try {
      decodeMessage(encodeMessage(m, ctx), ctx);
    } catch {
      // Only a warm-up: the real message says what is wrong, where it is sent.
    }
  }
}
