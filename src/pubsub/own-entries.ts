/**
 * The node's own listings and searches: the actor behind each, what it was
 * told, and how many subscribers each listing has. Pure data with indices by
 * id and by actor.
 *
 * @module
 */
import type { ListingEntry, SearchEntry } from '../directory/entries.ts';
import type { WireErrorCode } from '../errors.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { OverflowPolicy } from '../transport/overflow.ts';
import type { SearchSpec } from './options.ts';

/** An actor's choice of overflow for the messages it sends its sessions' other parties. */
export interface OverflowChoice {
  readonly policy: OverflowPolicy;
  readonly limit: number | undefined;
}

/** What a publisher has been told about its listing. */
export type ListingAnswer =
  /** Nothing yet: the directory above has still to answer. */
  | 'pending'
  /** Published. */
  | 'published'
  /** NotPublished because a directory above refused this node (kept, and put up again when it accepts). */
  | 'refused';

/** A listing of one of the node's actors. */
export interface OwnListing {
  readonly entry: ListingEntry;
  readonly actor: ActorAddress;
  /** Send Interested / NotInterested. */
  readonly interest: boolean;
  /** How what the publisher sends its subscribers overflows (undefined: the node's default). */
  readonly overflow?: OverflowChoice | undefined;
  /** Open sessions with subscribers. */
  subscribers: number;
  answer: ListingAnswer;
}

/** A search of one of the node's actors. */
export interface OwnSearch {
  readonly entry: SearchEntry;
  readonly actor: ActorAddress;
  readonly spec: SearchSpec;
  /** The search as shown back to the subscriber (in Available). */
  readonly text: string;
  /** How what the subscriber sends its publishers overflows (undefined: the node's default). */
  readonly overflow?: OverflowChoice | undefined;
  /** The code of the refusal the subscriber was told of (NotSubscribed), until the next sync. */
  refused: WireErrorCode | undefined;
}

interface OfActor {
  listings: Set<string>;
  searches: Set<string>;
}

/** The node's own listings and searches. */
export class OwnEntries {
  readonly #listings = new Map<string, OwnListing>();
  readonly #searches = new Map<string, OwnSearch>();
  readonly #byActor = new Map<number, OfActor>();

  /** Adds a listing; true when it is its actor's first entry (so it should be watched). */
  addListing(listing: OwnListing): boolean {
    this.#listings.set(listing.entry.id, listing);
    return this.#of(listing.actor, (a) => a.listings.add(listing.entry.id));
  }

  /** Adds a search; true when it is its actor's first entry. */
  addSearch(search: OwnSearch): boolean {
    this.#searches.set(search.entry.id, search);
    return this.#of(search.actor, (a) => a.searches.add(search.entry.id));
  }

  listing(id: string): OwnListing | undefined {
    return this.#listings.get(id);
  }

  search(id: string): OwnSearch | undefined {
    return this.#searches.get(id);
  }

  /** Removes and returns a listing. */
  takeListing(id: string): OwnListing | undefined {
    const l = this.#listings.get(id);
    if (!l) return undefined;
    this.#listings.delete(id);
    this.#forget(l.actor, (a) => a.listings.delete(id));
    return l;
  }

  /** Removes and returns a search. */
  takeSearch(id: string): OwnSearch | undefined {
    const s = this.#searches.get(id);
    if (!s) return undefined;
    this.#searches.delete(id);
    this.#forget(s.actor, (a) => a.searches.delete(id));
    return s;
  }

  /** The listings and searches of `actor`, in the order they were made. */
  ofActor(actor: ActorAddress): { listings: OwnListing[]; searches: OwnSearch[] } {
    const a = this.#byActor.get(actor.id);
    return {
      listings: [...(a?.listings ?? [])].map((id) => this.#listings.get(id) as OwnListing),
      searches: [...(a?.searches ?? [])].map((id) => this.#searches.get(id) as OwnSearch),
    };
  }

  /** A subscriber's session opened: true when it is the first and the publisher asked for interest. */
  joined(listingId: string): boolean {
    const l = this.#listings.get(listingId);
    if (!l) return false;
    l.subscribers++;
    return l.interest && l.subscribers === 1;
  }

  /** A subscriber's open session ended: true when it was the last and the publisher asked for interest. */
  left(listingId: string): boolean {
    const l = this.#listings.get(listingId);
    if (!l || l.subscribers === 0) return false;
    l.subscribers--;
    return l.interest && l.subscribers === 0;
  }

  listings(): IterableIterator<OwnListing> {
    return this.#listings.values();
  }

  searches(): IterableIterator<OwnSearch> {
    return this.#searches.values();
  }

  #of(actor: ActorAddress, add: (a: OfActor) => void): boolean {
    let a = this.#byActor.get(actor.id);
    const first = a === undefined;
    if (!a) {
      a = { listings: new Set(), searches: new Set() };
      this.#byActor.set(actor.id, a);
    }
    add(a);
    return first;
  }

  #forget(actor: ActorAddress, remove: (a: OfActor) => void): void {
    const a = this.#byActor.get(actor.id);
    if (!a) return;
    remove(a);
    if (a.listings.size === 0 && a.searches.size === 0) this.#byActor.delete(actor.id);
  }
}
