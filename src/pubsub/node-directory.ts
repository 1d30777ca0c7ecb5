import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listingEntry, listingInfo, searchInfo } from '../directory/convert.ts';
import { type ListingEntry, LOCAL, type SearchEntry } from '../directory/entries.ts';
import {
  DeleteListing,
  DeleteSearch,
  ListingAccepted,
  ListingRefused,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  Sync,
  SyncComplete,
  UpstreamLost,
  UpstreamSynced,
} from '../directory/protocol.ts';
import { type Scope, scopeRank } from '../directory/scope.ts';
import { DirectoryTable, type RouteChange } from '../directory/table.ts';
import { CallsignError, codeOf, type ErrorCode, toError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import {
  Abandoned,
  Accepted,
  Ack,
  Closed,
  Connected,
  Enquiry,
  Listening,
  NotConnected,
  NotListening,
  Stop,
} from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase, ActorContext } from '../runtime/context.ts';
import type { Node } from '../runtime/node.ts';
import { backoffDelays } from '../runtime/repeating-task.ts';
import { formatEndpoint, parseEndpoint } from '../transport/endpoint.ts';
import { connect, listen, localIdentity, socketAnswers } from '../transport/transport.ts';
import {
  Available,
  Cleared,
  Delivered,
  Dropped,
  Interested,
  NotAvailable,
  NotInterested,
  NotPublished,
  Published,
  Retracted,
  Subscribed,
} from './messages.ts';
import { EndSession, OpenSession, SessionOpened, SessionRefused } from './protocol.ts';
import { type Session, SessionTable } from './sessions.ts';
import { parentEndpoint } from './well-known.ts';

const NODE_DIRECTORY = Symbol('callsign.nodeDirectory');

/** Options of {@link publish}. */
export interface PublishOptions {
  /** How far the listing reaches. Default `host`. */
  scope?: Scope;
  /** Allow other publishers of the same name (each gets its own sessions). Default false. */
  multi?: boolean;
  /** Send Interested / NotInterested when the first subscriber comes and the last goes. */
  interest?: boolean;
}

/** Options of {@link subscribe}. */
export interface SubscribeOptions {
  /** How far the search reaches. Default `host`. */
  scope?: Scope;
}

/** Options of a node's directory; see {@link configureDirectory}. */
export interface NodeDirectoryInit {
  /**
   * The directory above this node: an endpoint, `null` for none (process
   * scope only), or undefined to take it from the environment
   * (`CALLSIGN_GROUP`, else the host directory).
   */
  parent?: string | null;
}

interface OwnListing {
  entry: ListingEntry;
  actor: ActorAddress;
  interest: boolean;
  subscribers: number;
  /** Published has been sent (a later refusal comes as NotPublished all the same). */
  answered: boolean;
}

interface OwnSearch {
  entry: SearchEntry;
  actor: ActorAddress;
  text: string;
}

/** Routes of one search, by the key that groups alternatives (the name, or the listing id for multi listings). */
interface RouteCandidate {
  listing: ListingEntry;
  level: Scope;
  stale: boolean;
}

/** How long a subscriber waits for the publisher's node to open a session. */
const OPEN_TIMEOUT_MS = 5000;

/**
 * A node's own directory: the process-scope table of its actors' listings
 * and searches, the link to the directory above (group or host), the
 * endpoint where it accepts sessions, and the sessions themselves.
 */
export class NodeDirectory {
  readonly node: Node;
  readonly #table = new DirectoryTable('process');
  readonly #listings = new Map<string, OwnListing>();
  readonly #searches = new Map<string, OwnSearch>();
  /** searchId → key of alternatives (name, or listing id for multi) → listing id → route. */
  readonly #routes = new Map<string, Map<string, Map<string, RouteCandidate>>>();
  readonly #active = new Map<string, string>(); // `${searchId}\n${key}` → session id
  readonly #sessions = new SessionTable();
  readonly #peers = new Map<
    string,
    { agent?: ActorAddress; waiting: ((agent: ActorAddress | Error) => void)[] }
  >();
  #agentCtx: ActorContext | undefined;
  #ready: Promise<void>;
  #identity: { publicKey: string; nodeId: string } | undefined;
  /** Where this node accepts sessions: a unix socket, and TCP on all interfaces once a listing reaches the LAN. */
  #endpoints: string[] = [];
  readonly #listening = new Map<'unix' | 'tcp', Promise<string>>();
  readonly #listenWaiters = new Map<
    'unix' | 'tcp',
    { resolve: (e: string) => void; reject: (e: Error) => void }
  >();
  #parent: ActorAddress | undefined;
  readonly #parentEndpoint: string | undefined;
  #seq = 0;
  #stopped = false;
  /** Settles after the first attempt to reach the parent (at once when there is none to try). */
  #parentSettled!: Promise<void>;
  #settleParent: () => void = () => {};
  readonly where: string;

  constructor(node: Node, init: NodeDirectoryInit = {}) {
    this.node = node;
    this.#parentEndpoint =
      init.parent === undefined ? parentEndpoint(process.env) : (init.parent ?? undefined);
    this.where = `${process.env.CALLSIGN_ROLE ?? node.name} (pid ${process.pid})`;
    this.#parentSettled = new Promise<void>((resolve) => {
      this.#settleParent = resolve;
    });
    const p = this.#parentEndpoint ? parseEndpoint(this.#parentEndpoint) : undefined;
    if (!p || (p.kind === 'unix' && !existsSync(p.path))) this.#settleParent();
    // Never wait long for a directory that does not answer.
    setTimeout(() => this.#settleParent(), 3000).unref();
    let started: () => void = () => {};
    this.#ready = new Promise((resolve) => {
      started = resolve;
    });
    node.spawn(
      async (self: ActorContext) => {
        this.#agentCtx = self;
        this.#identity = await localIdentity(node);
        started();
        await this.#run(self);
      },
      undefined,
      { name: 'directory' },
    );
    node.onStop(() => {
      this.#stopped = true;
    });
  }

  /** The node directory of `node`, made and started on first use. */
  static of(node: Node, init?: NodeDirectoryInit): NodeDirectory {
    return node.extension(NODE_DIRECTORY, () => new NodeDirectory(node, init));
  }

  get #agent(): ActorAddress {
    if (!this.#agentCtx) throw new CallsignError('ERR_INVALID_STATE', 'node directory not started');
    return this.#agentCtx.address;
  }

  get #key(): string {
    return this.#identity?.publicKey ?? '';
  }

  #id(): string {
    return `${this.#identity?.nodeId ?? 'node'}:${++this.#seq}`;
  }

  #send(message: Message, to: ActorAddress, from: ActorAddress = this.#agent): void {
    this.node.send(message, to, from);
  }

  // ---------------------------------------------------------------------------
  // What actors ask for

  async publish(actor: ActorAddress, name: string, options: PublishOptions): Promise<void> {
    const scope = options.scope ?? 'host';
    await this.#ready;
    // Answer once the directory above has seen the listing, when there is one to see it.
    await this.#parentSettled;
    let endpoints: string[] = [];
    try {
      // Sessions within this process need no socket.
      if (scope !== 'process') endpoints = await this.#listen(scopeRank(scope) >= scopeRank('lan'));
    } catch (err) {
      this.#send(
        new NotPublished({
          name,
          scope,
          code: codeOf(err, 'ERR_LISTEN_FAILED'),
          reason: toError(err).message,
        }),
        actor,
      );
      return;
    }
    const entry: ListingEntry = {
      id: this.#id(),
      name,
      scope,
      multi: options.multi ?? false,
      publisher: { nodeKey: this.#key, actor: actor.id, endpoints, where: this.where },
    };
    let result: ReturnType<DirectoryTable['putListing']>;
    try {
      result = this.#table.putListing(LOCAL, entry);
    } catch (err) {
      this.#send(
        new NotPublished({
          name,
          scope,
          code: codeOf(err, 'ERR_INVALID_LISTING'),
          reason: toError(err).message,
        }),
        actor,
      );
      return;
    }
    if (!result.accepted) {
      this.#send(
        new NotPublished({
          name,
          scope,
          code: 'ERR_DUPLICATE_LISTING',
          reason: `${name} is already published by ${result.holder.publisher.where}`,
        }),
        actor,
      );
      return;
    }
    const own: OwnListing = {
      entry,
      actor,
      interest: options.interest ?? false,
      subscribers: 0,
      answered: false,
    };
    this.#listings.set(entry.id, own);
    this.node.watch(actor.id, () => this.#actorEnded(actor));
    this.#apply(result.changes);
    if (this.#parent && this.#table.shouldForward(entry)) {
      this.#send(new PutListing({ listing: listingInfo(entry) }), this.#parent);
      // Published comes with the parent's ListingAccepted.
    } else {
      own.answered = true;
      this.#send(new Published({ name, scope, endpoints }), actor);
    }
  }

  async subscribe(
    actor: ActorAddress,
    search: string | RegExp,
    options: SubscribeOptions,
  ): Promise<void> {
    const scope = options.scope ?? 'host';
    await this.#ready;
    await this.#parentSettled;
    const regex = search instanceof RegExp;
    const text = regex ? search.source : search;
    const entry: SearchEntry = {
      id: this.#id(),
      pattern: text,
      regex,
      flags: regex ? search.flags.replace(/[gy]/g, '') || undefined : undefined,
      scope,
      subscriber: { nodeKey: this.#key, actor: actor.id, where: this.where },
    };
    let changes: RouteChange[];
    try {
      changes = this.#table.putSearch(LOCAL, entry);
    } catch (err) {
      const { NotSubscribed } = await import('./messages.ts');
      this.#send(
        new NotSubscribed({
          search: text,
          code: codeOf(err, 'ERR_INVALID_SEARCH'),
          reason: toError(err).message,
        }),
        actor,
      );
      return;
    }
    this.#searches.set(entry.id, { entry, actor, text: regex ? String(search) : text });
    this.node.watch(actor.id, () => this.#actorEnded(actor));
    this.#send(new Subscribed({ search: text, regex, scope }), actor);
    this.#apply(changes);
    if (this.#parent && this.#table.shouldForward(entry)) {
      this.#send(new PutSearch({ search: searchInfo(entry) }), this.#parent);
    }
  }

  /** Ends the session between `actor` and `other`: Cleared here, Dropped there. */
  clear(actor: ActorAddress, other: ActorAddress): boolean {
    const session = this.#sessions.between(actor, other);
    if (!session) return false;
    this.#end(session, { code: 'ERR_CLEARED', reason: 'cleared by the other party' }, actor);
    return true;
  }

  /** Withdraws everything `actor` published and subscribed. */
  retract(actor: ActorAddress): void {
    const { listings, searches } = this.#withdraw(
      actor,
      'ERR_RETRACTED',
      'the listing was retracted',
      actor,
    );
    this.#send(new Retracted({ listings, searches }), actor);
  }

  // ---------------------------------------------------------------------------
  // Tables

  #withdraw(
    actor: ActorAddress,
    code: ErrorCode,
    reason: string,
    clearer: ActorAddress | undefined,
  ) {
    let listings = 0;
    let searches = 0;
    for (const [id, own] of this.#listings) {
      if (!own.actor.equals(actor)) continue;
      listings++;
      this.#listings.delete(id);
      for (const s of this.#sessions.ofListing(id)) this.#end(s, { code, reason }, clearer);
      this.#apply(this.#table.deleteListing(LOCAL, id));
      if (this.#parent && this.#table.shouldForward(own.entry))
        this.#send(new DeleteListing({ id }), this.#parent);
    }
    for (const [id, own] of this.#searches) {
      if (!own.actor.equals(actor)) continue;
      searches++;
      this.#searches.delete(id);
      for (const s of this.#sessions.ofSearch(id)) this.#end(s, { code, reason }, clearer);
      this.#apply(this.#table.deleteSearch(LOCAL, id));
      this.#routes.delete(id);
      if (this.#parent && this.#table.shouldForward(own.entry))
        this.#send(new DeleteSearch({ id }), this.#parent);
    }
    return { listings, searches };
  }

  #actorEnded(actor: ActorAddress): void {
    if (this.#stopped) return;
    for (const s of this.#sessions.ofActor(actor)) {
      const code: ErrorCode = s.subscriber.equals(actor)
        ? 'ERR_SUBSCRIBER_ENDED'
        : 'ERR_PUBLISHER_ENDED';
      this.#end(
        s,
        {
          code,
          reason: `${code === 'ERR_SUBSCRIBER_ENDED' ? 'the subscriber' : 'the publisher'} ended`,
        },
        undefined,
      );
    }
    this.#withdraw(actor, 'ERR_PUBLISHER_ENDED', 'the publisher ended', undefined);
  }

  /** Acts on route changes of the local table (its searches are all LOCAL). */
  #apply(changes: RouteChange[]): void {
    for (const c of changes) {
      if (c.kind === 'add') this.#routeAdded(c.search.id, c.listing, c.level);
      else this.#routeRemoved(c.search.id, c.listing.id);
    }
  }

  #routeAdded(searchId: string, listing: ListingEntry, level: Scope): void {
    const search = this.#searches.get(searchId);
    if (!search) return;
    const key = listing.multi ? `id:${listing.id}` : `name:${listing.name}`;
    let byKey = this.#routes.get(searchId);
    if (!byKey) {
      byKey = new Map();
      this.#routes.set(searchId, byKey);
    }
    let all = byKey.get(key);
    if (!all) {
      all = new Map();
      byKey.set(key, all);
    }
    all.set(listing.id, { listing, level, stale: false });
    this.#reconsider(search, key, all);
  }

  #routeRemoved(searchId: string, listingId: string): void {
    const search = this.#searches.get(searchId);
    const byKey = this.#routes.get(searchId);
    if (!search || !byKey) return;
    for (const [key, all] of byKey) {
      if (!all.delete(listingId)) continue;
      const sessionId = this.#active.get(`${searchId}\n${key}`);
      const session = sessionId ? this.#sessions.get(sessionId) : undefined;
      if (session && session.listingId === listingId) {
        this.#end(session, { code: 'ERR_ROUTE_REMOVED', reason: 'the listing is gone' }, undefined);
      }
      if (all.size === 0) byKey.delete(key);
      else this.#reconsider(search, key, all);
    }
  }

  /** Opens a session on the closest route of a group of alternatives, if none is open. */
  #reconsider(search: OwnSearch, key: string, all: Map<string, RouteCandidate>): void {
    let best: RouteCandidate | undefined;
    for (const c of all.values()) if (!best || scopeRank(c.level) < scopeRank(best.level)) best = c;
    if (!best) return;
    const activeKey = `${search.entry.id}\n${key}`;
    const activeId = this.#active.get(activeKey);
    const active = activeId ? this.#sessions.get(activeId) : undefined;
    if (active && active.listingId === best.listing.id) return;
    if (active) {
      // A closer route appeared: move to it.
      if (scopeRank(best.level) >= scopeRank(active.level)) return;
      this.#end(
        active,
        { code: 'ERR_ROUTE_REMOVED', reason: 'a closer route replaced this one' },
        undefined,
      );
    }
    this.#openSession(search, activeKey, best.listing, best.level);
  }

  // ---------------------------------------------------------------------------
  // Sessions

  #openSession(search: OwnSearch, activeKey: string, listing: ListingEntry, level: Scope): void {
    const id = this.#id();
    this.#active.set(activeKey, id);
    const base = {
      id,
      listingId: listing.id,
      name: listing.name,
      search: search.text,
      searchId: search.entry.id,
      level,
      subscriber: search.actor,
      open: false,
    };
    if (listing.publisher.nodeKey === this.#key) {
      const own = this.#listings.get(listing.id);
      if (!own) return;
      const session: Session = {
        ...base,
        side: 'both',
        publisher: own.actor,
        remoteAgent: undefined,
      };
      this.#sessions.add(session);
      this.#opened(session);
      return;
    }
    const session: Session = {
      ...base,
      side: 'subscriber',
      publisher: undefined,
      remoteAgent: undefined,
    };
    this.#sessions.add(session);
    session.timer = setTimeout(
      () =>
        this.#notAvailable(
          session,
          'ERR_NOT_AVAILABLE',
          `no session with ${listing.publisher.where} within ${OPEN_TIMEOUT_MS} ms`,
        ),
      OPEN_TIMEOUT_MS,
    );
    session.timer.unref();
    this.#peer(listing.publisher.endpoints, level).then(
      (agent) => {
        if (this.#sessions.get(id) !== session) return;
        session.remoteAgent = agent;
        this.#send(
          new OpenSession({
            sessionId: id,
            listingId: listing.id,
            name: listing.name,
            search: search.text,
            level,
            subscriber: search.actor,
          }),
          agent,
        );
      },
      (err: unknown) =>
        this.#notAvailable(session, codeOf(err, 'ERR_NOT_AVAILABLE'), toError(err).message),
    );
  }

  #notAvailable(session: Session, code: string, reason: string): void {
    if (this.#sessions.take(session.id) !== session) return;
    this.#forgetActive(session);
    this.#send(
      new NotAvailable({ search: session.search, name: session.name, code, reason }),
      session.subscriber,
    );
  }

  /** Both parties are known: tell them. */
  #opened(session: Session): void {
    session.open = true;
    clearTimeout(session.timer);
    const publisher = session.publisher as ActorAddress;
    if (session.side !== 'publisher') {
      this.#send(
        new Available({ search: session.search, name: session.name, scope: session.level }),
        session.subscriber,
        publisher,
      );
    }
    if (session.side !== 'subscriber') {
      this.#send(
        new Delivered({ name: session.name, scope: session.level }),
        publisher,
        session.subscriber,
      );
      this.#interest(session.listingId, +1);
    }
  }

  /**
   * Ends a session from this side. `clearer` (a local party that ended it on
   * purpose) gets Cleared; every other local party gets Dropped; the other
   * node is told.
   */
  #end(
    session: Session,
    why: { code: ErrorCode | string; reason: string },
    clearer: ActorAddress | undefined,
  ): void {
    if (this.#sessions.take(session.id) !== session) return;
    this.#forgetActive(session);
    const publisher = session.publisher;
    if (session.remoteAgent) {
      this.#send(
        new EndSession({ sessionId: session.id, code: why.code, reason: why.reason }),
        session.remoteAgent,
      );
    }
    if (!session.open) {
      if (session.side !== 'publisher' && !clearer) {
        this.#send(
          new NotAvailable({
            search: session.search,
            name: session.name,
            code: why.code,
            reason: why.reason,
          }),
          session.subscriber,
        );
      }
      return;
    }
    if (session.side !== 'subscriber') this.#interest(session.listingId, -1);
    const parties: ActorAddress[] = [];
    if (session.side !== 'publisher') parties.push(session.subscriber);
    if (session.side !== 'subscriber' && publisher) parties.push(publisher);
    for (const party of parties) {
      const other = party === session.subscriber ? publisher : session.subscriber;
      const message =
        clearer && party.equals(clearer)
          ? new Cleared({ name: session.name })
          : new Dropped({ name: session.name, code: why.code, reason: why.reason });
      if (this.node.cell(party.id)) this.#send(message, party, other);
    }
  }

  #forgetActive(session: Session): void {
    if (!session.searchId) return;
    for (const [k, v] of this.#active) if (v === session.id) this.#active.delete(k);
  }

  #interest(listingId: string, delta: number): void {
    const own = this.#listings.get(listingId);
    if (!own) return;
    own.subscribers += delta;
    if (!own.interest) return;
    if (delta > 0 && own.subscribers === 1)
      this.#send(new Interested({ name: own.entry.name }), own.actor);
    if (delta < 0 && own.subscribers === 0)
      this.#send(new NotInterested({ name: own.entry.name }), own.actor);
  }

  // ---------------------------------------------------------------------------
  // Connections

  /** Makes sure this node listens for sessions; returns its endpoints. */
  async #listen(network: boolean): Promise<string[]> {
    const kinds: ('unix' | 'tcp')[] = network ? ['unix', 'tcp'] : ['unix'];
    await Promise.all(kinds.map((kind) => this.#listenOn(kind)));
    return this.#endpoints;
  }

  #listenOn(kind: 'unix' | 'tcp'): Promise<string> {
    let listening = this.#listening.get(kind);
    if (!listening) {
      listening = new Promise<string>((resolve, reject) => {
        this.#listenWaiters.set(kind, { resolve, reject });
        const endpoint =
          kind === 'unix'
            ? `unix:${join(socketFolder(), `${randomBytes(6).toString('hex')}.sock`)}`
            : '0.0.0.0:0';
        listen(this.#agentCtx as ActorBase, endpoint);
      });
      this.#listening.set(kind, listening);
      listening.catch(() => this.#listening.delete(kind));
    }
    return listening;
  }

  /** The directory actor of the node at `endpoints`, connecting if need be. */
  #peer(endpoints: string[], level: Scope): Promise<ActorAddress> {
    // Matched on this host: its unix socket. Matched further away: the
    // network address the directory saw (never a wildcard, never a socket
    // path, which on another host could name something else).
    const local = scopeRank(level) <= scopeRank('host');
    const usable = endpoints.find((e) => {
      const p = parseEndpoint(e);
      if (p.kind === 'unix') return local && existsSync(p.path);
      return !local && p.host !== '0.0.0.0' && p.host !== '::';
    });
    if (!usable) {
      return Promise.reject(
        new CallsignError(
          'ERR_NOT_AVAILABLE',
          `no reachable endpoint among ${endpoints.join(', ')}`,
        ),
      );
    }
    const key = formatEndpoint(parseEndpoint(usable));
    let peer = this.#peers.get(key);
    if (peer?.agent && !peer.agent.channel?.closed) return Promise.resolve(peer.agent);
    if (!peer || peer.agent) {
      peer = { waiting: [] };
      this.#peers.set(key, peer);
      connect(this.#agentCtx as ActorBase, key);
    }
    const p = peer;
    return new Promise((resolve, reject) => {
      p.waiting.push((agent) => (agent instanceof Error ? reject(agent) : resolve(agent)));
    });
  }

  async #run(self: ActorContext): Promise<void> {
    const parentLoop = this.#parentEndpoint ? this.#connectParent(self) : undefined;
    for (;;) {
      const m = await self.select();
      if (m instanceof Stop) break;
      try {
        this.#handle(self, m);
      } catch (err) {
        self.warning(`directory: ${toError(err).message} (${codeOf(err, 'ERR_INVALID_STATE')})`);
      }
    }
    this.#stopped = true;
    // Release the parent loop wherever it waits.
    this.#parentGone?.();
    this.#parentFailed?.();
    await parentLoop?.catch(() => {});
  }

  #handle(self: ActorContext, m: Message): void {
    const from = self.returnAddress;
    if (m instanceof Listening) {
      const kind = parseEndpoint(m.endpoint).kind;
      this.#endpoints = [...this.#endpoints, m.endpoint].sort(
        (a, b) => Number(b.startsWith('unix:')) - Number(a.startsWith('unix:')),
      );
      this.#listenWaiters.get(kind)?.resolve(m.endpoint);
    } else if (m instanceof NotListening) {
      const kind = m.endpoint.startsWith('unix:') ? 'unix' : 'tcp';
      this.#listenWaiters
        .get(kind)
        ?.reject(new CallsignError('ERR_LISTEN_FAILED', `${m.reason} (${m.code})`));
    } else if (m instanceof Connected) {
      if (
        this.#parentEndpoint &&
        m.endpoint === formatEndpoint(parseEndpoint(this.#parentEndpoint)) &&
        !this.#parent
      ) {
        this.#parentConnected(from as ActorAddress);
        return;
      }
      const peer = this.#peers.get(m.endpoint);
      if (peer && from) {
        peer.agent = from;
        for (const w of peer.waiting.splice(0)) w(from);
      }
    } else if (m instanceof NotConnected) {
      if (
        this.#parentEndpoint &&
        m.endpoint === formatEndpoint(parseEndpoint(this.#parentEndpoint))
      ) {
        this.#settleParent();
        this.#parentFailed?.();
        return;
      }
      const peer = this.#peers.get(m.endpoint);
      this.#peers.delete(m.endpoint);
      for (const w of peer?.waiting.splice(0) ?? [])
        w(new CallsignError('ERR_NOT_AVAILABLE', `${m.reason} (${m.code})`));
    } else if (m instanceof Abandoned || m instanceof Closed) {
      if (from && this.#parent?.equals(from)) {
        this.#parentLost();
        return;
      }
      for (const [key, peer] of this.#peers)
        if (peer.agent && from?.equals(peer.agent)) this.#peers.delete(key);
      const code = m instanceof Abandoned ? m.code : 'ERR_CLOSED';
      for (const s of from ? this.#sessions.ofAgent(from) : []) {
        s.remoteAgent = undefined;
        this.#end(
          s,
          { code, reason: `the connection to the other node ended: ${m.reason ?? ''}` },
          undefined,
        );
      }
    } else if (m instanceof Accepted) {
      // A subscriber's node connected; sessions follow.
    } else if (m instanceof Enquiry && from) {
      // Liveness of this node's directory, for `callsign ping`.
      this.#send(new Ack(), from);
    } else if (m instanceof OpenSession) {
      this.#openRequested(m, from as ActorAddress);
    } else if (m instanceof SessionOpened) {
      const s = this.#sessions.get(m.sessionId);
      if (!s || s.open) return;
      s.publisher = m.publisher as ActorAddress;
      this.#opened(s);
    } else if (m instanceof SessionRefused) {
      const s = this.#sessions.get(m.sessionId);
      if (s) this.#notAvailable(s, m.code, m.reason);
    } else if (m instanceof EndSession) {
      const s = this.#sessions.get(m.sessionId);
      if (s && from && s.remoteAgent?.equals(from)) {
        s.remoteAgent = undefined;
        this.#end(s, { code: m.code, reason: m.reason }, undefined);
      }
    } else if (m instanceof ListingAccepted) {
      const own = this.#listings.get(m.id);
      if (own && !own.answered) {
        own.answered = true;
        this.#send(
          new Published({
            name: own.entry.name,
            scope: own.entry.scope,
            endpoints: this.#endpoints,
          }),
          own.actor,
        );
      }
    } else if (m instanceof ListingRefused) {
      const own = this.#listings.get(m.id);
      if (!own) return;
      this.#listings.delete(m.id);
      for (const s of this.#sessions.ofListing(m.id))
        this.#end(s, { code: m.code, reason: m.reason }, undefined);
      this.#apply(this.#table.deleteListing(LOCAL, m.id));
      this.#send(
        new NotPublished({
          name: own.entry.name,
          scope: own.entry.scope,
          code: m.code,
          reason: m.reason,
        }),
        own.actor,
      );
    } else if (m instanceof RouteAdded) {
      this.#routeAdded(m.searchId, listingEntry(m.listing), m.level);
    } else if (m instanceof RouteRemoved) {
      this.#routeRemoved(m.searchId, m.listingId);
    } else if (m instanceof UpstreamLost) {
      this.#markStale(m.level);
    } else if (m instanceof UpstreamSynced || m instanceof SyncComplete) {
      this.#sweepStale(m instanceof SyncComplete ? 'process' : m.level);
    }
  }

  #openRequested(m: InstanceType<typeof OpenSession>, agent: ActorAddress): void {
    const own = this.#listings.get(m.listingId);
    if (!own || !this.node.cell(own.actor.id)) {
      this.#send(
        new SessionRefused({
          sessionId: m.sessionId,
          code: 'ERR_SESSION_REFUSED',
          reason: `no listing ${m.name} here`,
        }),
        agent,
      );
      return;
    }
    const session: Session = {
      id: m.sessionId,
      listingId: m.listingId,
      name: m.name,
      search: m.search,
      searchId: undefined,
      level: m.level,
      side: 'publisher',
      subscriber: m.subscriber as ActorAddress,
      publisher: own.actor,
      remoteAgent: agent,
      open: false,
    };
    this.#sessions.add(session);
    this.#send(new SessionOpened({ sessionId: m.sessionId, publisher: own.actor }), agent);
    this.#opened(session);
  }

  // ---------------------------------------------------------------------------
  // The directory above

  #parentFailed: (() => void) | undefined;
  #parentGone: (() => void) | undefined;

  async #connectParent(self: ActorContext): Promise<void> {
    const endpoint = this.#parentEndpoint as string;
    const delays = backoffDelays({ initialMs: 100, maxMs: 1000 });
    while (!this.#stopped) {
      const p = parseEndpoint(endpoint);
      if (p.kind === 'unix' && !existsSync(p.path)) {
        await pause(delays.next().value);
        continue;
      }
      const outcome = await new Promise<'failed' | 'lost'>((resolve) => {
        this.#parentFailed = () => resolve('failed');
        this.#parentGone = () => resolve('lost');
        connect(self, endpoint, { seconds: 5 });
      });
      if (outcome === 'lost') {
        // Connected for a while: start again quickly.
        await pause(100);
      } else {
        await pause(delays.next().value);
      }
    }
  }

  #parentConnected(parent: ActorAddress): void {
    this.#parent = parent;
    const snapshot = this.#table.snapshot();
    this.#markStale('process');
    this.#send(
      new Sync({
        where: this.where,
        listings: snapshot.listings.map(listingInfo),
        searches: snapshot.searches.map(searchInfo),
      }),
      parent,
    );
    this.#settleParent();
  }

  #parentLost(): void {
    this.#parent = undefined;
    // Sessions go on; routes from above are kept until the parent is back and synced.
    this.#parentGone?.();
  }

  /** Routes matched above `level` become stale until the next sync. */
  #markStale(level: Scope): void {
    for (const byKey of this.#routes.values()) {
      for (const all of byKey.values()) {
        for (const c of all.values()) {
          if (scopeRank(c.level) > scopeRank(level)) c.stale = true;
        }
      }
    }
  }

  #sweepStale(level: Scope): void {
    for (const [searchId, byKey] of this.#routes) {
      for (const [key, all] of [...byKey.entries()]) {
        for (const c of [...all.values()]) {
          if (!c.stale || scopeRank(c.level) <= scopeRank(level)) continue;
          if (this.#sessionAlive(searchId, key, c.listing.id)) {
            // An open session is direct proof that the publisher is there (it
            // would have ended with the connection, or by EndSession); its
            // node may just not have pushed its tables to the parent yet.
            c.stale = false;
            continue;
          }
          this.#routeRemoved(searchId, c.listing.id);
        }
      }
    }
  }

  #sessionAlive(searchId: string, key: string, listingId: string): boolean {
    const id = this.#active.get(`${searchId}\n${key}`);
    const session = id ? this.#sessions.get(id) : undefined;
    return session?.open === true && session.listingId === listingId;
  }

  /**
   * The directory actor of the other node in the session between `actor`
   * and `other` (undefined within one process): it answers Enquiry with Ack,
   * which is how `callsign ping` times round trips to a listing's node.
   */
  remoteDirectoryOf(actor: ActorAddress, other: ActorAddress): ActorAddress | undefined {
    return this.#sessions.between(actor, other)?.remoteAgent;
  }

  /** A description of this node's tables, for `callsign network` and tests. */
  report() {
    return {
      where: this.where,
      parent: this.#parent ? this.#parentEndpoint : undefined,
      endpoints: this.#endpoints,
      listings: [...this.#listings.values()].map((l) => ({
        name: l.entry.name,
        scope: l.entry.scope,
        subscribers: l.subscribers,
      })),
      searches: [...this.#searches.values()].map((s) => ({ search: s.text, scope: s.entry.scope })),
      sessions: this.#sessions.size,
    };
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Where this user's session sockets go: short paths, one folder per user. */
function socketFolder(): string {
  const dir = join(tmpdir(), `callsign-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  void sweepSockets(dir);
  return dir;
}

/**
 * Removes session sockets left by nodes that died without closing them
 * (SIGKILL): files older than a minute that nobody answers on. Best effort,
 * in the background.
 */
async function sweepSockets(dir: string): Promise<void> {
  const cutoff = Date.now() - 60_000;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^[0-9a-f]{12}\.sock$/.test(n));
  } catch {
    return;
  }
  for (const name of names.slice(0, 256)) {
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs > cutoff) continue;
      if (!(await socketAnswers(path))) unlinkSync(path);
    } catch {
      // gone already, or not ours to remove
    }
  }
}
