/**
 * The sessions a node's actors take part in, with indices by local actor,
 * by the other node's directory (the peer), by listing, by search and by
 * route, and what opening and ending one tells whom. Pure: the messages are
 * returned as effects.
 *
 * @module
 */
import type { Scope } from '../directory/scope.ts';
import type { WireErrorCode } from '../errors.ts';
import type { ActorAddress, Channel } from '../runtime/address.ts';
import { type Effect, send } from './effects.ts';
import { Available, Cleared, Delivered, Dropped, NotAvailable } from './messages.ts';
import { EndSession } from './protocol.ts';

/**
 * One session: the pairing of a subscriber actor and a publisher actor for
 * one listing, local or across one connection. A session between two nodes
 * is known to both, under the same id (chosen by the subscriber's node).
 */
export interface Session {
  readonly id: string;
  /** The listing's id and name. */
  readonly listingId: string;
  readonly name: string;
  /** The search as the subscriber gave it, its id and route key on the subscriber's node. */
  readonly search: string;
  readonly searchId: string | undefined;
  readonly routeKey: string | undefined;
  /** The level at which the directory matched them. */
  readonly level: Scope;
  /** Which end this node holds. */
  readonly side: 'subscriber' | 'publisher' | 'both';
  readonly subscriber: ActorAddress;
  /** Unknown on the subscriber's side until the publisher's node answers. */
  publisher: ActorAddress | undefined;
  /** The other node's directory actor, when the session crosses a connection. */
  remoteAgent: ActorAddress | undefined;
  /** Who publishes, for messages (`where` of the listing). */
  readonly publisherWhere: string;
  /** Open once both parties have been told (Available / Delivered). */
  open: boolean;
}

/** Why a session ends. */
export interface Ending {
  code: WireErrorCode;
  reason: string;
}

/** Sets of session ids by actor address (local or remote). */
class ByAddress {
  readonly #map = new Map<Channel | undefined, Map<number, Set<string>>>();

  add(a: ActorAddress, id: string): void {
    let byId = this.#map.get(a.channel);
    if (!byId) {
      byId = new Map();
      this.#map.set(a.channel, byId);
    }
    let ids = byId.get(a.id);
    if (!ids) {
      ids = new Set();
      byId.set(a.id, ids);
    }
    ids.add(id);
  }

  delete(a: ActorAddress, id: string): void {
    const byId = this.#map.get(a.channel);
    const ids = byId?.get(a.id);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) byId?.delete(a.id);
    if (byId?.size === 0) this.#map.delete(a.channel);
  }

  get(a: ActorAddress): string[] {
    return [...(this.#map.get(a.channel)?.get(a.id) ?? [])];
  }
}

/** Sets of session ids by a string key. */
class ByKey {
  readonly #map = new Map<string, Set<string>>();

  add(key: string, id: string): void {
    let ids = this.#map.get(key);
    if (!ids) {
      ids = new Set();
      this.#map.set(key, ids);
    }
    ids.add(id);
  }

  delete(key: string, id: string): void {
    const ids = this.#map.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#map.delete(key);
  }

  get(key: string): string[] {
    return [...(this.#map.get(key) ?? [])];
  }
}

/** The sessions of one node. */
export class SessionBook {
  readonly #byId = new Map<string, Session>();
  /** By local party: the subscriber (sides subscriber, both) and the publisher (sides publisher, both). */
  readonly #byActor = new ByAddress();
  readonly #byPeer = new ByAddress();
  /** Publisher-side sessions by listing id. */
  readonly #byListing = new ByKey();
  readonly #bySearch = new ByKey();
  readonly #byRoute = new ByKey();

  get size(): number {
    return this.#byId.size;
  }

  /** Adds a session; its publisher (for sides publisher and both) and peer must be set already if known. */
  add(s: Session): void {
    this.#byId.set(s.id, s);
    if (s.side !== 'publisher') this.#byActor.add(s.subscriber, s.id);
    if (s.side !== 'subscriber' && s.publisher) this.#byActor.add(s.publisher, s.id);
    if (s.remoteAgent) this.#byPeer.add(s.remoteAgent, s.id);
    if (s.side !== 'subscriber') this.#byListing.add(s.listingId, s.id);
    if (s.searchId !== undefined) {
      this.#bySearch.add(s.searchId, s.id);
      if (s.routeKey !== undefined) this.#byRoute.add(`${s.searchId}\n${s.routeKey}`, s.id);
    }
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  /** Sets the other node's directory of a session. */
  setPeer(s: Session, peer: ActorAddress | undefined): void {
    if (s.remoteAgent) this.#byPeer.delete(s.remoteAgent, s.id);
    s.remoteAgent = peer;
    if (peer && this.#byId.get(s.id) === s) this.#byPeer.add(peer, s.id);
  }

  /** Removes and returns the session, if it was there. */
  take(id: string): Session | undefined {
    const s = this.#byId.get(id);
    if (!s) return undefined;
    this.#byId.delete(id);
    if (s.side !== 'publisher') this.#byActor.delete(s.subscriber, id);
    if (s.side !== 'subscriber' && s.publisher) this.#byActor.delete(s.publisher, id);
    if (s.remoteAgent) this.#byPeer.delete(s.remoteAgent, id);
    if (s.side !== 'subscriber') this.#byListing.delete(s.listingId, id);
    if (s.searchId !== undefined) {
      this.#bySearch.delete(s.searchId, id);
      if (s.routeKey !== undefined) this.#byRoute.delete(`${s.searchId}\n${s.routeKey}`, id);
    }
    return s;
  }

  /** Sessions in which the local actor `actor` takes part. */
  ofActor(actor: ActorAddress): Session[] {
    return this.#sessions(this.#byActor.get(actor));
  }

  /** Sessions that cross the connection of the other node's directory `peer`. */
  ofPeer(peer: ActorAddress): Session[] {
    return this.#sessions(this.#byPeer.get(peer));
  }

  /** Sessions of a listing held by this node's publisher. */
  ofListing(listingId: string): Session[] {
    return this.#sessions(this.#byListing.get(listingId));
  }

  /** Sessions opened for a search of this node. */
  ofSearch(searchId: string): Session[] {
    return this.#sessions(this.#bySearch.get(searchId));
  }

  /** The session in use for a search's route key. */
  ofRoute(searchId: string, key: string): Session | undefined {
    return this.#sessions(this.#byRoute.get(`${searchId}\n${key}`))[0];
  }

  /** The session between the local actor `self` and `other`. */
  between(self: ActorAddress, other: ActorAddress): Session | undefined {
    for (const s of this.ofActor(self)) {
      if (s.side !== 'publisher' && s.subscriber.equals(self) && s.publisher?.equals(other))
        return s;
      if (s.side !== 'subscriber' && s.publisher?.equals(self) && s.subscriber.equals(other))
        return s;
    }
    return undefined;
  }

  all(): IterableIterator<Session> {
    return this.#byId.values();
  }

  #sessions(ids: string[]): Session[] {
    return ids.map((id) => this.#byId.get(id) as Session);
  }
}

/** Available / Delivered for a session whose parties are both known now. */
export function openingMessages(s: Session): Effect[] {
  const publisher = s.publisher as ActorAddress;
  const out: Effect[] = [];
  if (s.side !== 'publisher') {
    out.push(
      send(
        new Available({ search: s.search, name: s.name, scope: s.level }),
        s.subscriber,
        publisher,
      ),
    );
  }
  if (s.side !== 'subscriber') {
    out.push(send(new Delivered({ name: s.name, scope: s.level }), publisher, s.subscriber));
  }
  return out;
}

/**
 * What ending a session from this side tells: the other node (EndSession),
 * and the local parties: `clearer` (who ended it on purpose) Cleared, the
 * others Dropped; a subscriber whose session never opened NotAvailable.
 */
export function endingMessages(
  s: Session,
  why: Ending,
  clearer: ActorAddress | undefined,
): Effect[] {
  const out: Effect[] = [];
  if (s.remoteAgent) {
    out.push(
      send(new EndSession({ sessionId: s.id, code: why.code, reason: why.reason }), s.remoteAgent),
    );
  }
  if (!s.open) {
    if (s.side !== 'publisher' && !clearer) {
      out.push(
        send(
          new NotAvailable({ search: s.search, name: s.name, code: why.code, reason: why.reason }),
          s.subscriber,
        ),
      );
    }
    return out;
  }
  const parties: [ActorAddress, ActorAddress | undefined][] = [];
  if (s.side !== 'publisher') parties.push([s.subscriber, s.publisher]);
  if (s.side !== 'subscriber' && s.publisher) parties.push([s.publisher, s.subscriber]);
  for (const [party, other] of parties) {
    const message =
      clearer && party.equals(clearer)
        ? new Cleared({ name: s.name })
        : new Dropped({ name: s.name, code: why.code, reason: why.reason });
    out.push(send(message, party, other));
  }
  return out;
}
