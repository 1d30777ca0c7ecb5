/**
 * What a node's directory knows of the directory above it, as pure
 * decisions: whether it is there, whether it refused this node, and what
 * each publisher and subscriber is told about it. `Published` is sent once
 * the listing is held by every directory within its scope that is there
 * (the parent's ListingAccepted, or at once when there is none to ask);
 * never for a scope a directory refused: then `NotPublished` /
 * `NotSubscribed` with the refusal's code, and the entries stay, to be put
 * up again when the refusal ends. Part of {@link ProcessDirectory}.
 *
 * @module
 */
import { listingEntry, listingInfo, searchInfo } from '../directory/convert.ts';
import { LOCAL, type SearchEntry } from '../directory/entries.ts';
import {
  ListingAccepted,
  ListingRefused,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  SearchRefused,
  SyncComplete,
  UpstreamLost,
  UpstreamRefused,
  UpstreamSynced,
  withdrawsListing,
} from '../directory/protocol.ts';
import { type Scope, scopeRank } from '../directory/scope.ts';
import type { WireErrorCode } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { type Effect, send } from './effects.ts';
import { NotSubscribed, Published } from './messages.ts';
import type { OwnListing } from './own-entries.ts';
import type { ProcessDirectory } from './process-directory.ts';
import { updatesOf } from './route-book.ts';

/** Where the link to the directory above stands. */
export type UpstreamState = 'none' | 'connecting' | 'up' | 'down' | 'refused';

/** A refusal: its code and why. */
export interface Refusal {
  code: WireErrorCode;
  reason: string;
}

/** The directory above, as the node's directory sees it: see the module. */
export class Upstream {
  readonly #dir: ProcessDirectory;
  #state: UpstreamState;
  #refusal: Refusal | undefined;

  constructor(dir: ProcessDirectory, hasParent: boolean) {
    this.#dir = dir;
    this.#state = hasParent ? 'connecting' : 'none';
  }

  get state(): UpstreamState {
    return this.#state;
  }

  /** Why the directory above refused this node, while it does. */
  get refusal(): Refusal | undefined {
    return this.#refusal;
  }

  /** A new own listing: put it up, or answer it, as the directory above stands. */
  listingAdded(own: OwnListing, forward: boolean): Effect[] {
    if (!forward || this.#state === 'down' || this.#state === 'none') return this.#published(own);
    if (this.#state === 'up') {
      return [{ kind: 'up', message: new PutListing({ listing: listingInfo(own.entry) }) }];
    }
    if (this.#state === 'refused') return this.#refused(own, this.#refusal);
    // Connecting: answered when the link settles; the listing goes up in the Sync.
    return [];
  }

  /** A new own search that reaches further than the node. */
  searchAdded(entry: SearchEntry): Effect[] {
    if (this.#state === 'up')
      return [{ kind: 'up', message: new PutSearch({ search: searchInfo(entry) }) }];
    if (this.#state === 'refused' && this.#refusal)
      return this.#searchRefused(entry.id, this.#refusal);
    return [];
  }

  /** Connected above: the caller sends the Sync of the table; routes from above are stale until it completes. */
  connected(): Effect[] {
    this.#state = 'up';
    this.#refusal = undefined;
    this.#dir.routes.markStale('process');
    for (const s of this.#dir.entries.searches()) s.refused = undefined;
    return [];
  }

  /** The connection above ended: sessions go on, routes from above are kept until the next sync. */
  lost(): Effect[] {
    this.#state = 'down';
    return this.#answerPending();
  }

  /** An attempt above failed, or the first takes long: what waited is held by every directory that is there. */
  unreachable(): Effect[] {
    if (this.#state === 'connecting' || this.#state === 'refused') {
      this.#state = 'down';
      this.#refusal = undefined;
    }
    return this.#state === 'down' ? this.#answerPending() : [];
  }

  /** The directory above (at `endpoint`) refused this node. */
  refused(code: WireErrorCode, reason: string, endpoint: string | undefined): Effect[] {
    const first = this.#refusal?.code !== code;
    this.#state = 'refused';
    this.#refusal = { code, reason };
    const out = this.#refusedAbove('process', { code, reason });
    if (first) {
      const at = endpoint ? ` at ${endpoint}` : '';
      out.unshift({
        kind: 'log',
        level: 'WARNING',
        text: `the directory above${at} refused this node: ${reason} (${code}); listings and searches beyond process scope reach nothing until it accepts (another realm file? docs/security.md)`,
      });
    }
    return out;
  }

  /** A message of the directory above. */
  fromParent(m: Message): Effect[] {
    const dir = this.#dir;
    if (m instanceof RouteAdded) {
      const listing = listingEntry(m.listing);
      // The pass first: the session may go through the relay.
      const out: Effect[] = m.relay ? [{ kind: 'relay', pass: m.relay, listen: false }] : [];
      out.push(
        ...dir.decide(
          dir.routes.apply([{ kind: 'add', searchId: m.searchId, listing, level: m.level }]),
        ),
      );
      return out;
    }
    if (m instanceof RouteRemoved) {
      return dir.decide(
        dir.routes.apply([{ kind: 'remove', searchId: m.searchId, listingId: m.listingId }]),
      );
    }
    if (m instanceof ListingAccepted) {
      const own = dir.entries.listing(m.id);
      if (!own) return [];
      // Accepted by a WAN directory: other sites reach the listing through the relay.
      const out: Effect[] = m.relay ? [{ kind: 'relay', pass: m.relay, listen: true }] : [];
      if (own.answer !== 'published') out.push(...this.#published(own));
      return out;
    }
    if (m instanceof ListingRefused) return this.#listingRefused(m);
    if (m instanceof SearchRefused) {
      const s = dir.entries.search(m.id);
      return s && s.refused === undefined ? this.#searchRefused(m.id, m) : [];
    }
    if (m instanceof UpstreamLost) {
      dir.routes.markStale(m.level);
      return [];
    }
    if (m instanceof UpstreamSynced) {
      for (const s of dir.entries.searches()) s.refused = undefined;
      return dir.decide(dir.routes.sweep(m.level));
    }
    if (m instanceof SyncComplete) return dir.decide(dir.routes.sweep('process'));
    if (m instanceof UpstreamRefused) {
      const out = this.#refusedAbove(m.level, m);
      if (out.length > 0) {
        out.unshift({
          kind: 'log',
          level: 'WARNING',
          text: `the ${m.level} directory above was refused further up: ${m.reason} (${m.code}); listings and searches beyond ${m.level} reach nothing until it is accepted`,
        });
      }
      return out;
    }
    return [];
  }

  #listingRefused(m: ListingRefused): Effect[] {
    const dir = this.#dir;
    const own = dir.entries.listing(m.id);
    if (!own) return [];
    if (!withdrawsListing(m.code)) return own.answer === 'refused' ? [] : this.#refused(own, m);
    // A duplicate (or invalid) further up: the listing goes everywhere.
    const out: Effect[] = [];
    dir.entries.takeListing(m.id);
    for (const s of dir.sessions.ofListing(m.id)) out.push(...dir.end(s, m, undefined));
    out.push(...dir.decide(dir.routes.apply(updatesOf(dir.table.deleteListing(LOCAL, m.id)))));
    out.push(dir.notPublished(own.actor, own.entry, m.code, m.reason));
    return out;
  }

  /** NotPublished / NotSubscribed, once, for every entry that reaches beyond `level`. */
  #refusedAbove(level: Scope, why: Refusal): Effect[] {
    const out: Effect[] = [];
    const beyond = (scope: Scope) => scopeRank(scope) > scopeRank(level);
    for (const own of this.#dir.entries.listings()) {
      if (beyond(own.entry.scope) && own.answer !== 'refused') out.push(...this.#refused(own, why));
    }
    for (const s of this.#dir.entries.searches()) {
      if (beyond(s.entry.scope) && s.refused === undefined)
        out.push(...this.#searchRefused(s.entry.id, why));
    }
    return out;
  }

  #refused(own: OwnListing, why: Refusal | undefined): Effect[] {
    own.answer = 'refused';
    const code = why?.code ?? 'ERR_WRONG_REALM';
    const reason = why?.reason ?? 'refused by the directory above';
    return [this.#dir.notPublished(own.actor, own.entry, code, reason)];
  }

  #searchRefused(searchId: string, why: Refusal): Effect[] {
    const s = this.#dir.entries.search(searchId);
    if (!s) return [];
    s.refused = why.code;
    const m = new NotSubscribed({ search: s.entry.pattern, code: why.code, reason: why.reason });
    return [send(m, s.actor)];
  }

  #published(own: OwnListing): Effect[] {
    own.answer = 'published';
    const { name, scope, publisher } = own.entry;
    return [send(new Published({ name, scope, endpoints: [...publisher.endpoints] }), own.actor)];
  }

  #answerPending(): Effect[] {
    const out: Effect[] = [];
    for (const own of this.#dir.entries.listings()) {
      if (own.answer === 'pending') out.push(...this.#published(own));
    }
    return out;
  }
}
