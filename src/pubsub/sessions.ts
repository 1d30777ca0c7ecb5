import type { Scope } from '../directory/scope.ts';
import type { ActorAddress } from '../runtime/address.ts';

/**
 * One session: the pairing of a subscriber actor and a publisher actor for
 * one listing, local or across one connection. Each node keeps the sessions
 * its own actors take part in; a session between two nodes is known to both,
 * under the same id (chosen by the subscriber's node).
 */
export interface Session {
  readonly id: string;
  /** The listing's id and name. */
  readonly listingId: string;
  readonly name: string;
  /** The search as the subscriber gave it, and its id on the subscriber's node. */
  readonly search: string;
  readonly searchId: string | undefined;
  /** The level at which the directory matched them. */
  readonly level: Scope;
  /** Which end this node holds. */
  readonly side: 'subscriber' | 'publisher' | 'both';
  subscriber: ActorAddress;
  /** Unknown until the publisher's node answers. */
  publisher: ActorAddress | undefined;
  /** The other node's directory actor, when the session crosses a connection. */
  remoteAgent: ActorAddress | undefined;
  /** Open once both parties have been told (Available / Delivered). */
  open: boolean;
  /** A timer that gives up on an unanswered OpenSession. */
  timer?: NodeJS.Timeout;
}

/** The sessions of one node, found by id, by actor and by connection. */
export class SessionTable {
  readonly #byId = new Map<string, Session>();

  get size(): number {
    return this.#byId.size;
  }

  add(session: Session): void {
    this.#byId.set(session.id, session);
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  /** Removes and returns the session, if it was there. */
  take(id: string): Session | undefined {
    const s = this.#byId.get(id);
    if (s) {
      this.#byId.delete(id);
      clearTimeout(s.timer);
    }
    return s;
  }

  /** Sessions in which the local actor `actor` takes part, on its own side. */
  ofActor(actor: ActorAddress): Session[] {
    return [...this.#byId.values()].filter(
      (s) =>
        ((s.side !== 'publisher' && s.subscriber.equals(actor)) ||
          (s.side !== 'subscriber' && s.publisher?.equals(actor))) === true,
    );
  }

  /** Sessions that cross the connection of `agent`. */
  ofAgent(agent: ActorAddress): Session[] {
    return [...this.#byId.values()].filter((s) => s.remoteAgent?.equals(agent));
  }

  /** Sessions of a listing held by this node's publisher. */
  ofListing(listingId: string): Session[] {
    return [...this.#byId.values()].filter(
      (s) => s.listingId === listingId && s.side !== 'subscriber',
    );
  }

  /** Sessions opened for a search of this node. */
  ofSearch(searchId: string): Session[] {
    return [...this.#byId.values()].filter((s) => s.searchId === searchId);
  }

  /** The session between `self` (on its own side) and `other`. */
  between(self: ActorAddress, other: ActorAddress): Session | undefined {
    for (const s of this.#byId.values()) {
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
}
