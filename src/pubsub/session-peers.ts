/**
 * The part of a node's sessions that crosses to other nodes, as pure
 * decisions: opening a session on a route (in this process, or by asking
 * the publisher's node), the answers of the other node, and the loss of its
 * connection. Part of {@link ProcessDirectory}.
 *
 * @module
 */
import type { ListingEntry } from '../directory/entries.ts';
import { type Scope, scopeRank } from '../directory/scope.ts';
import type { WireErrorCode } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { ActorAddress } from '../runtime/address.ts';
import { backoffDelays } from '../runtime/repeating-task.ts';
import { isRelayEndpoint } from '../transport/relay/pass.ts';
import { type Effect, send } from './effects.ts';
import { NotAvailable } from './messages.ts';
import type { ProcessDirectory } from './process-directory.ts';
import { EndSession, OpenSession, SessionOpened, SessionRefused } from './protocol.ts';
import type { Session } from './session-book.ts';

/** How long a direct connection may take when a relay is the fallback, in seconds. */
export const DIRECT_BEFORE_RELAY_SECONDS = 2;

/**
 * The first wait before a route through the relay is tried again, in ms; it
 * doubles up to the next, each wait drawn between half of it and all of it.
 */
export const RELAY_RETRY_FIRST_MS = 500;
/** The longest wait between two tries of a route through the relay, in ms. */
export const RELAY_RETRY_MAX_MS = 8000;

/**
 * Codes with which a session through the relay may end for a while only:
 * the route is tried again (see {@link SessionPeers}).
 */
const PASSING: ReadonlySet<string> = new Set([
  'ERR_NOT_AVAILABLE',
  'ERR_CONNECT_FAILED',
  'ERR_CONNECTION_LOST',
  'ERR_HANDSHAKE_TIMEOUT',
  'ERR_TIMEOUT',
]);

/**
 * Sessions with other nodes: see the module.
 *
 * A route whose listing offers the WAN relay is tried again, with a growing
 * wait, when its session does not open or is lost for a passing reason
 * while the listing stays: the node's circuits through the relay can break
 * (its own relay session lost under loss, or the publisher's being
 * re-established) while the directories above still hold the listing, so
 * no new route would ever come. The subscriber is told `NotAvailable` or
 * `Dropped` once, and `Available` when a later try opens.
 */
export class SessionPeers {
  readonly #dir: ProcessDirectory;
  readonly #openTimeoutMs: number;
  /** Sessions still opening with endpoints left to try if the one tried fails (a relay last). */
  readonly #fallbacks = new Map<string, string[]>();
  /** Routes through the relay being tried again → their next waits (by {@link routeOf}). */
  readonly #retries = new Map<string, Iterator<number>>();
  /** Where the jitter of the waits comes from. */
  readonly #random: () => number;
  /** Sessions opened by a retry: their failure is not told to the subscriber again. */
  readonly #quiet = new Set<string>();
  /** Sessions on a listing that offers the relay. */
  readonly #relayed = new Set<string>();

  constructor(dir: ProcessDirectory, openTimeoutMs: number, random: () => number = Math.random) {
    this.#dir = dir;
    this.#openTimeoutMs = openTimeoutMs;
    this.#random = random;
  }

  /** Opens a session of search `searchId` on the route to `listing`, matched at `level`. */
  open(searchId: string, key: string, listing: ListingEntry, level: Scope): Effect[] {
    const dir = this.#dir;
    const search = dir.entries.search(searchId);
    if (!search) return [];
    const route = routeOf(searchId, key, listing.id);
    const base = {
      id: dir.nextId(),
      listingId: listing.id,
      name: listing.name,
      search: search.text,
      searchId,
      routeKey: key,
      level,
      subscriber: search.actor,
      remoteAgent: undefined,
      publisherWhere: listing.publisher.where,
      open: false,
    };
    if (listing.publisher.nodeKey === dir.nodeKey) {
      const own = dir.entries.listing(listing.id);
      if (!own) {
        dir.routes.ended(searchId, key, listing.id);
        return [];
      }
      const s: Session = { ...base, side: 'both', publisher: own.actor };
      dir.sessions.add(s);
      const out: Effect[] = [];
      dir.opened(s, out);
      return out;
    }
    dir.sessions.add({ ...base, side: 'subscriber', publisher: undefined });
    if (listing.publisher.endpoints.some(isRelayEndpoint)) this.#relayed.add(base.id);
    if (this.#retries.has(route)) this.#quiet.add(base.id);
    // Matched on this host: its unix socket; further away: a network address.
    const local = scopeRank(level) <= scopeRank('host');
    return this.#attempt(base.id, [...listing.publisher.endpoints], local);
  }

  /**
   * Tries `endpoints` for session `sessionId`: a direct address first, with a
   * short time limit when a relay waits behind it; the relay when nothing
   * direct is left (docs/wan.md).
   */
  #attempt(sessionId: string, endpoints: string[], local: boolean): Effect[] {
    const direct = endpoints.filter((e) => !isRelayEndpoint(e));
    const relayed = endpoints.filter(isRelayEndpoint);
    const out: Effect[] = [{ kind: 'deadline', sessionId, ms: this.#openTimeoutMs }];
    if (local || relayed.length === 0 || direct.length === 0) {
      this.#fallbacks.delete(sessionId);
      out.push({ kind: 'connect', sessionId, endpoints: local ? direct : endpoints, local });
      return out;
    }
    this.#fallbacks.set(sessionId, relayed);
    out.push({
      kind: 'connect',
      sessionId,
      endpoints: direct,
      local,
      seconds: DIRECT_BEFORE_RELAY_SECONDS,
    });
    return out;
  }

  /** The publisher's node of session `sessionId` is reached at `peer`: ask it to open. */
  peerReady(sessionId: string, peer: ActorAddress): Effect[] {
    this.#fallbacks.delete(sessionId);
    const s = this.#dir.sessions.get(sessionId);
    if (s?.side !== 'subscriber' || s.remoteAgent) return [];
    this.#dir.sessions.setPeer(s, peer);
    const { listingId, name, search, level, subscriber } = s;
    return [send(new OpenSession({ sessionId, listingId, name, search, level, subscriber }), peer)];
  }

  /** The publisher's node of session `sessionId` could not be reached: the relay, if any is left. */
  peerFailed(sessionId: string, code: WireErrorCode, reason: string): Effect[] {
    const s = this.#dir.sessions.get(sessionId);
    if (!s || s.open) return [];
    const fallback = this.#fallbacks.get(sessionId);
    if (fallback) {
      this.#fallbacks.delete(sessionId);
      return [{ kind: 'cancel-open', sessionId }, ...this.#attempt(sessionId, fallback, false)];
    }
    return this.notAvailable(s, code, reason);
  }

  /** Session `sessionId` did not open in time. */
  openTimedOut(sessionId: string): Effect[] {
    const s = this.#dir.sessions.get(sessionId);
    if (!s || s.open) return [];
    if (this.#fallbacks.has(sessionId)) {
      return this.peerFailed(sessionId, 'ERR_NOT_AVAILABLE', 'no direct connection in time');
    }
    const reason = `no session with ${s.publisherWhere} within ${this.#openTimeoutMs} ms`;
    return this.notAvailable(s, 'ERR_NOT_AVAILABLE', reason);
  }

  /** A session that never opened is given up: NotAvailable to the subscriber. */
  notAvailable(s: Session, code: WireErrorCode, reason: string): Effect[] {
    const dir = this.#dir;
    this.#fallbacks.delete(s.id);
    const quiet = this.#quiet.delete(s.id);
    const retry = this.#retryAfter(s, code);
    if (dir.sessions.take(s.id) !== s) return [];
    if (s.searchId !== undefined && s.routeKey !== undefined) {
      dir.routes.ended(s.searchId, s.routeKey, s.listingId);
    }
    const out: Effect[] = [{ kind: 'cancel-open', sessionId: s.id }];
    // The other node may still open it: tell it not to.
    if (s.remoteAgent)
      out.push(send(new EndSession({ sessionId: s.id, code, reason }), s.remoteAgent));
    if (!quiet) {
      out.push(
        send(new NotAvailable({ search: s.search, name: s.name, code, reason }), s.subscriber),
      );
    }
    out.push(...retry);
    return out;
  }

  /**
   * The retry of the route of `s`, ending with `code`, if its listing offers
   * the relay and the code is a passing one; forgets what `s` was.
   */
  #retryAfter(s: Session, code: WireErrorCode): Effect[] {
    const relayed = this.#relayed.delete(s.id);
    this.#quiet.delete(s.id);
    if (!relayed || !PASSING.has(code) || s.searchId === undefined || s.routeKey === undefined)
      return [];
    const { searchId, routeKey: key, listingId } = s;
    const route = routeOf(searchId, key, listingId);
    let waits = this.#retries.get(route);
    if (!waits) {
      // The runtime's one jittered backoff, as every reconnect loop uses.
      waits = backoffDelays({
        initialMs: RELAY_RETRY_FIRST_MS,
        maxMs: RELAY_RETRY_MAX_MS,
        random: this.#random,
      });
      this.#retries.set(route, waits);
    }
    const ms = waits.next().value as number;
    return [{ kind: 'retry', searchId, key, listingId, ms }];
  }

  /** A session message from the directory of another node, `peer`. */
  fromPeer(m: Message, peer: ActorAddress): Effect[] {
    const dir = this.#dir;
    if (m instanceof OpenSession) return this.#openRequested(m, peer);
    const s = 'sessionId' in m ? dir.sessions.get(String(m.sessionId)) : undefined;
    if (!s?.remoteAgent?.equals(peer)) return [];
    if (m instanceof SessionOpened) {
      if (s.open || s.side !== 'subscriber' || !(m.publisher instanceof ActorAddress)) return [];
      s.publisher = m.publisher;
      this.#quiet.delete(s.id);
      if (s.searchId !== undefined && s.routeKey !== undefined)
        this.#retries.delete(routeOf(s.searchId, s.routeKey, s.listingId));
      const out: Effect[] = [{ kind: 'cancel-open', sessionId: s.id }];
      dir.opened(s, out);
      return out;
    }
    if (m instanceof SessionRefused) {
      if (s.open) return [];
      dir.sessions.setPeer(s, undefined);
      return this.notAvailable(s, m.code, m.reason);
    }
    if (m instanceof EndSession) {
      dir.sessions.setPeer(s, undefined);
      return dir.end(s, { code: m.code, reason: m.reason }, undefined);
    }
    return [];
  }

  /** True when session `sessionId` is a retry whose failure is not told to the subscriber again. */
  quiet(sessionId: string): boolean {
    return this.#quiet.has(sessionId);
  }

  /** A retried route that will not be tried again (gone, or another in use): its waits are forgotten. */
  retriesEnded(searchId: string, key: string, listingId: string): void {
    this.#retries.delete(routeOf(searchId, key, listingId));
  }

  /** Session `sessionId` has ended: nothing is left to try for it. */
  forget(sessionId: string): void {
    this.#fallbacks.delete(sessionId);
    this.#relayed.delete(sessionId);
    this.#quiet.delete(sessionId);
  }

  /** The connection to the directory of another node ended: the sessions across it end. */
  peerLost(peer: ActorAddress, code: WireErrorCode, reason: string): Effect[] {
    const out: Effect[] = [];
    for (const s of this.#dir.sessions.ofPeer(peer)) {
      this.#dir.sessions.setPeer(s, undefined);
      const why = { code, reason: `the connection to the other node ended: ${reason}` };
      // However the circuit ended, the listing decides: a route still known is tried again.
      const lost = s.side === 'subscriber' ? 'ERR_CONNECTION_LOST' : code;
      const retry = this.#retryAfter(s, lost);
      out.push(...this.#dir.end(s, why, undefined), ...retry);
    }
    return out;
  }

  #openRequested(m: OpenSession, peer: ActorAddress): Effect[] {
    const dir = this.#dir;
    const own = dir.entries.listing(m.listingId);
    const refuse = (reason: string) => [
      send(
        new SessionRefused({ sessionId: m.sessionId, code: 'ERR_SESSION_REFUSED', reason }),
        peer,
      ),
    ];
    if (!own) return refuse(`no listing ${m.name} here`);
    if (!(m.subscriber instanceof ActorAddress) || dir.sessions.get(m.sessionId)) {
      return refuse(`session ${m.sessionId} cannot be opened`);
    }
    const s: Session = {
      id: m.sessionId,
      listingId: m.listingId,
      name: own.entry.name,
      search: m.search,
      searchId: undefined,
      routeKey: undefined,
      level: m.level,
      side: 'publisher',
      subscriber: m.subscriber,
      publisher: own.actor,
      remoteAgent: peer,
      publisherWhere: own.entry.publisher.where,
      open: false,
    };
    dir.sessions.add(s);
    const out: Effect[] = [
      send(new SessionOpened({ sessionId: m.sessionId, publisher: own.actor }), peer),
    ];
    dir.opened(s, out);
    return out;
  }
}

/** The key of a route in {@link SessionPeers}'s retries. */
function routeOf(searchId: string, key: string, listingId: string): string {
  return `${searchId}\n${key}\n${listingId}`;
}
