import { type ListingEntry, LOCAL, type SearchEntry } from '../directory/entries.ts';
import { DeleteListing, DeleteSearch } from '../directory/protocol.ts';
import type { Scope } from '../directory/scope.ts';
import { DirectoryTable, type RouteChange } from '../directory/table.ts';
import { codeOf, toError, type WireErrorCode } from '../errors.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { OverflowPolicy } from '../transport/overflow.ts';
import { type Effect, send } from './effects.ts';
import {
  Interested,
  NotAvailable,
  NotInterested,
  NotPublished,
  NotSubscribed,
  Retracted,
  Subscribed,
} from './messages.ts';
import { type SearchSpec, searchPattern, searchText } from './options.ts';
import { type OverflowChoice, OwnEntries, type OwnListing } from './own-entries.ts';
import { RouteBook, type RouteDecision, updatesOf } from './route-book.ts';
import {
  type Ending,
  endingMessages,
  openingMessages,
  type Session,
  SessionBook,
} from './session-book.ts';
import { SessionPeers } from './session-peers.ts';
import { Upstream } from './upstream.ts';

/** Options of {@link ProcessDirectory}. */
export interface ProcessDirectoryInit {
  /** This node's public key and short id (entry ids are `<nodeId>:<n>`). */
  nodeKey: string;
  nodeId: string;
  /** How this node's actors are described. */
  where: string;
  /** Whether a directory above is configured (entries that reach further go up). */
  hasParent: boolean;
  /** How long a subscriber waits for the publisher's node to open a session, in ms. Default 5000. */
  openTimeoutMs?: number;
  /** Where the jitter of retried routes comes from (tests fix it). Default `Math.random`. */
  random?: () => number;
}

/** What a publish asks, as the directory actor received it. */
export interface PublishAsk {
  name: string;
  scope: Scope;
  multi: boolean;
  interest: boolean;
  /** The publisher's overflow policy for its sessions (undefined: the node's default). */
  overflow?: OverflowPolicy | undefined;
  overflowLimit?: number | undefined;
}

/** A node's own directory; see the module. */
export class ProcessDirectory {
  readonly table = new DirectoryTable('process');
  readonly entries = new OwnEntries();
  readonly routes = new RouteBook();
  readonly sessions = new SessionBook();
  readonly #init: ProcessDirectoryInit;
  readonly peers: SessionPeers;
  readonly upstream: Upstream;
  #seq = 0;

  constructor(init: ProcessDirectoryInit) {
    this.#init = init;
    this.peers = new SessionPeers(this, init.openTimeoutMs ?? 5000, init.random);
    this.upstream = new Upstream(this, init.hasParent);
  }

  /** The next id of an entry or session of this node. */
  nextId(): string {
    return `${this.#init.nodeId}:${++this.#seq}`;
  }

  get nodeKey(): string {
    return this.#init.nodeKey;
  }

  // ------------------------------------------------------------ requests

  /** Publishes `ask.name` for `actor`, reachable at `endpoints`. */
  publish(actor: ActorAddress, ask: PublishAsk, endpoints: string[]): Effect[] {
    const entry: ListingEntry = {
      id: this.nextId(),
      name: ask.name,
      scope: ask.scope,
      multi: ask.multi,
      publisher: { nodeKey: this.nodeKey, actor: actor.id, endpoints, where: this.#init.where },
    };
    let result: ReturnType<DirectoryTable['putListing']>;
    try {
      result = this.table.putListing(LOCAL, entry);
    } catch (err) {
      return [this.notPublished(actor, ask, codeOf(err, 'ERR_INVALID_LISTING'), toError(err))];
    }
    if (!result.accepted) {
      const reason = `${ask.name} is already published by ${result.holder.publisher.where}`;
      return [this.notPublished(actor, ask, 'ERR_DUPLICATE_LISTING', reason)];
    }
    const own: OwnListing = {
      entry,
      actor,
      interest: ask.interest,
      overflow: choiceOf(ask.overflow, ask.overflowLimit),
      subscribers: 0,
      answer: 'pending',
    };
    const out: Effect[] = [];
    if (this.entries.addListing(own)) out.push({ kind: 'watch', actor });
    out.push(...this.#decide(this.routes.apply(updatesOf(result.changes))));
    out.push(...this.upstream.listingAdded(own, this.table.shouldForward(entry)));
    return out;
  }

  /** NotPublished for a publish that could not be made (`reason` an error or text). */
  notPublished(
    actor: ActorAddress,
    ask: Pick<PublishAsk, 'name' | 'scope'>,
    code: WireErrorCode,
    reason: Error | string,
  ): Effect {
    const text = typeof reason === 'string' ? reason : reason.message;
    return send(new NotPublished({ name: ask.name, scope: ask.scope, code, reason: text }), actor);
  }

  /** Subscribes `actor` with `spec` at `scope` (`overflow`: its choice for its sessions). */
  subscribe(
    actor: ActorAddress,
    spec: SearchSpec,
    scope: Scope,
    overflow?: OverflowChoice,
  ): Effect[] {
    const regex = spec.kind === 'regex';
    const pattern = searchPattern(spec);
    const entry: SearchEntry = {
      id: this.nextId(),
      pattern,
      kind: spec.kind,
      flags: regex ? spec.flags.replace(/[gy]/g, '') || undefined : undefined,
      scope,
      subscriber: { nodeKey: this.nodeKey, actor: actor.id, where: this.#init.where },
    };
    let changes: RouteChange[];
    try {
      changes = this.table.putSearch(LOCAL, entry);
    } catch (err) {
      const code = codeOf(err, 'ERR_INVALID_SEARCH');
      return [
        send(new NotSubscribed({ search: pattern, code, reason: toError(err).message }), actor),
      ];
    }
    const out: Effect[] = [];
    if (
      this.entries.addSearch({
        entry,
        actor,
        spec,
        text: searchText(spec),
        overflow,
        refused: undefined,
      })
    )
      out.push({ kind: 'watch', actor });
    out.push(send(new Subscribed({ search: pattern, kind: spec.kind, regex, scope }), actor));
    out.push(...this.#decide(this.routes.apply(updatesOf(changes))));
    if (this.table.shouldForward(entry)) out.push(...this.upstream.searchAdded(entry));
    return out;
  }

  /** Ends `actor`'s session with `other`: Cleared for it, Dropped for the other. */
  clear(actor: ActorAddress, other: ActorAddress): Effect[] {
    const s = this.sessions.between(actor, other);
    return s
      ? this.end(s, { code: 'ERR_CLEARED', reason: 'cleared by the other party' }, actor)
      : [];
  }

  /** Withdraws everything `actor` published and subscribed; `alsoPending` publishes were still waiting. */
  retract(actor: ActorAddress, alsoPending = 0): Effect[] {
    const { out, listings, searches } = this.#withdraw(
      actor,
      { code: 'ERR_RETRACTED', reason: 'the listing was retracted' },
      actor,
    );
    out.push(send(new Retracted({ listings: listings + alsoPending, searches }), actor));
    return out;
  }

  /** A local actor ended: its sessions end, its entries go; it is told nothing. */
  actorEnded(actor: ActorAddress): Effect[] {
    const out: Effect[] = [];
    for (const s of this.sessions.ofActor(actor)) {
      const subscriber = s.side !== 'publisher' && s.subscriber.equals(actor);
      const code = subscriber ? 'ERR_SUBSCRIBER_ENDED' : 'ERR_PUBLISHER_ENDED';
      const reason = `${subscriber ? 'the subscriber' : 'the publisher'} ended`;
      out.push(...this.end(s, { code, reason }, undefined));
    }
    const why = { code: 'ERR_PUBLISHER_ENDED', reason: 'the publisher ended' } as const;
    out.push(...this.#withdraw(actor, why, undefined).out);
    return out.filter((e) => e.kind !== 'send' || !e.to.equals(actor));
  }

  #withdraw(actor: ActorAddress, why: Ending, clearer: ActorAddress | undefined) {
    const out: Effect[] = [];
    const { listings, searches } = this.entries.ofActor(actor);
    for (const own of listings) {
      this.entries.takeListing(own.entry.id);
      for (const s of this.sessions.ofListing(own.entry.id)) out.push(...this.end(s, why, clearer));
      out.push(
        ...this.#decide(
          this.routes.apply(updatesOf(this.table.deleteListing(LOCAL, own.entry.id))),
        ),
      );
      if (this.#forwards(own.entry))
        out.push({ kind: 'up', message: new DeleteListing({ id: own.entry.id }) });
    }
    for (const own of searches) {
      this.entries.takeSearch(own.entry.id);
      for (const s of this.sessions.ofSearch(own.entry.id)) out.push(...this.end(s, why, clearer));
      this.table.deleteSearch(LOCAL, own.entry.id);
      this.routes.forgetSearch(own.entry.id);
      if (this.#forwards(own.entry))
        out.push({ kind: 'up', message: new DeleteSearch({ id: own.entry.id }) });
    }
    return { out, listings: listings.length, searches: searches.length };
  }

  // ------------------------------------------------------------ sessions

  /** True when `entry` goes to the directory above (there is one, and it reaches further). */
  #forwards(entry: ListingEntry | SearchEntry): boolean {
    return this.upstream.state !== 'none' && this.table.shouldForward(entry);
  }

  /** Opens again the route (`searchId`, `key`) to `listingId` if it is still known and unused. */
  retryRoute(searchId: string, key: string, listingId: string): Effect[] {
    const decisions = this.routes.retry(searchId, key, listingId);
    // The route is gone or another is in use: its tries end here.
    if (decisions.length === 0) this.peers.retriesEnded(searchId, key, listingId);
    return this.#decide(decisions);
  }

  /** Applies route decisions: ends and opens sessions. */
  decide(decisions: RouteDecision[]): Effect[] {
    return this.#decide(decisions);
  }

  /** Ends a session from this side (see {@link endingMessages}); its route stays known. */
  end(s: Session, why: Ending, clearer: ActorAddress | undefined): Effect[] {
    if (this.sessions.take(s.id) !== s) return [];
    // A retry that had not opened: the subscriber was told already (see SessionPeers).
    const told = !s.open && this.peers.quiet(s.id);
    this.peers.forget(s.id);
    const out: Effect[] = [{ kind: 'cancel-open', sessionId: s.id }];
    if (s.searchId !== undefined && s.routeKey !== undefined)
      this.routes.ended(s.searchId, s.routeKey, s.listingId);
    const ending = endingMessages(s, why, clearer);
    out.push(...(told ? ending.filter((e) => !isNotAvailable(e)) : ending));
    if (s.open && s.side !== 'subscriber' && this.entries.left(s.listingId)) {
      const own = this.entries.listing(s.listingId) as OwnListing;
      out.push(send(new NotInterested({ name: own.entry.name }), own.actor));
    }
    return out;
  }

  /** Both parties of a session are known: it is open; tells them, and counts interest. */
  opened(s: Session, out: Effect[]): void {
    s.open = true;
    if (s.searchId !== undefined && s.routeKey !== undefined)
      this.routes.opened(s.searchId, s.routeKey, s.listingId);
    out.push(...openingMessages(s), ...this.#overflowOf(s));
    if (s.side !== 'subscriber' && this.entries.joined(s.listingId)) {
      const own = this.entries.listing(s.listingId) as OwnListing;
      out.push(send(new Interested({ name: own.entry.name }), own.actor));
    }
  }

  /** The overflow choices of this side's party in an open session with another node. */
  #overflowOf(s: Session): Effect[] {
    const out: Effect[] = [];
    const publisher = s.publisher as ActorAddress;
    if (s.side === 'subscriber' && s.searchId !== undefined) {
      const o = this.entries.search(s.searchId)?.overflow;
      if (o) out.push({ kind: 'overflow', sender: s.subscriber, remote: publisher, ...o });
    }
    if (s.side === 'publisher') {
      const o = this.entries.listing(s.listingId)?.overflow;
      if (o) out.push({ kind: 'overflow', sender: publisher, remote: s.subscriber, ...o });
    }
    return out;
  }

  #decide(decisions: RouteDecision[]): Effect[] {
    const out: Effect[] = [];
    for (const d of decisions) {
      if (d.kind !== 'open') {
        const active = this.sessions.ofRoute(d.searchId, d.key);
        if (active?.listingId === d.listingId) {
          const reason =
            d.kind === 'end' ? 'the listing is gone' : 'a closer route replaced this one';
          out.push(...this.end(active, { code: 'ERR_ROUTE_REMOVED', reason }, undefined));
        }
      }
      if (d.kind !== 'end') out.push(...this.peers.open(d.searchId, d.key, d.listing, d.level));
    }
    return out;
  }

  // ------------------------------------------------------------ views

  /** The other node's directory in the session between `actor` and `other` (undefined within one process). */
  remoteDirectoryOf(actor: ActorAddress, other: ActorAddress): ActorAddress | undefined {
    return this.sessions.between(actor, other)?.remoteAgent;
  }

  /** A description of the tables, for `callsign network` and tests. */
  report() {
    return {
      listings: [...this.entries.listings()].map((l) => ({
        name: l.entry.name,
        scope: l.entry.scope,
        subscribers: l.subscribers,
        answer: l.answer,
      })),
      searches: [...this.entries.searches()].map((s) => ({ search: s.text, scope: s.entry.scope })),
      sessions: this.sessions.size,
      refused: this.upstream.refusal,
    };
  }
}

/** An actor's overflow choice from a request's fields (undefined: none made). */
export function choiceOf(
  policy: OverflowPolicy | undefined,
  limit: number | undefined,
): OverflowChoice | undefined {
  return policy === undefined ? undefined : { policy, limit };
}

function isNotAvailable(e: Effect): boolean {
  return e.kind === 'send' && e.message instanceof NotAvailable;
}
