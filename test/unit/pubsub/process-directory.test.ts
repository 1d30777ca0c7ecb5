import { describe, expect, it } from 'vitest';
import { listingInfo } from '../../../src/directory/convert.ts';
import {
  ListingAccepted,
  ListingRefused,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  SyncComplete,
  UpstreamRefused,
} from '../../../src/directory/protocol.ts';
import type { Scope } from '../../../src/directory/scope.ts';
import type { Message } from '../../../src/messages/registry.ts';
import type { Effect } from '../../../src/pubsub/effects.ts';
import { ProcessDirectory, type PublishAsk } from '../../../src/pubsub/process-directory.ts';
import {
  EndSession,
  OpenSession,
  SessionOpened,
  SessionRefused,
} from '../../../src/pubsub/protocol.ts';
import { ActorAddress, type Channel } from '../../../src/runtime/address.ts';
import { listing } from '../directory/fixtures.ts';

/** A connection to another node, as far as addresses go. */
function channel(label: string): Channel {
  return { label, closed: false, post: () => true };
}

const pub = new ActorAddress(11);
const sub = new ActorAddress(12);
const sub2 = new ActorAddress(13);
const link = channel('other-node');
const peer = new ActorAddress(1, link);
const remotePub = new ActorAddress(40, link);
const remoteSub = new ActorAddress(41, link);

const names = new Map<string, string>([
  [String(pub), 'pub'],
  [String(sub), 'sub'],
  [String(sub2), 'sub2'],
  [String(peer), 'peer'],
  [String(remotePub), 'remotePub'],
  [String(remoteSub), 'remoteSub'],
]);
const who = (a: ActorAddress | undefined) => (a ? (names.get(String(a)) ?? String(a)) : '-');

/** A message as `Type{code}` (code when it has one). */
function short(m: Message): string {
  const name = m.constructor.name;
  const code = (m as { code?: string }).code;
  return code ? `${name}{${code}}` : name;
}

/** Effects as short strings: `Available→sub from pub`, `up PutListing`, `connect`, ... */
function said(effects: Effect[]): string[] {
  return effects.map((e) => {
    switch (e.kind) {
      case 'send':
        return `${short(e.message)}→${who(e.to)}${e.from ? ` from ${who(e.from)}` : ''}`;
      case 'up':
        return `up ${short(e.message)}`;
      case 'connect':
        return `connect ${e.local ? 'local' : 'network'} ${e.endpoints.join(' ')}`;
      case 'log':
        return `log ${e.level}`;
      default:
        return e.kind;
    }
  });
}

function directory(hasParent = false, random = () => 0) {
  // No jitter unless asked: a retry's wait is exactly the backoff's base.
  return new ProcessDirectory({
    nodeKey: 'me',
    nodeId: 'n1',
    where: 'test (pid 1)',
    hasParent,
    random,
  });
}

const ask = (name: string, scope: Scope = 'host', more: Partial<PublishAsk> = {}): PublishAsk => ({
  name,
  scope,
  multi: false,
  interest: false,
  ...more,
});

const exactly = (name: string) => ({ kind: 'name', name }) as const;

/** The message of the one `up` effect of `effects`. */
function upMessage<M extends Message>(effects: Effect[], type: new (...a: never[]) => M): M {
  const e = effects.find((x) => x.kind === 'up' && x.message instanceof type);
  if (e?.kind !== 'up') throw new Error(`no up ${type.name} in ${said(effects).join(', ')}`);
  return e.message as M;
}

/** A route from above for search `searchId` to a listing of another node. */
function routeFromAbove(searchId: string, id: string, name: string, level: Scope, multi = false) {
  const l = listing(id, name, { multi, scope: 'lan' });
  return new RouteAdded({ searchId, listing: listingInfo(l), level });
}

describe('ProcessDirectory: within one process', () => {
  it('a subscriber meets a publisher at once: Available and Delivered, and interest for the first and last', () => {
    const d = directory();
    expect(said(d.publish(pub, ask('svc', 'host', { interest: true }), ['unix:/x.sock']))).toEqual([
      'watch',
      'Published→pub',
    ]);
    expect(said(d.subscribe(sub, exactly('svc'), 'host'))).toEqual([
      'watch',
      'Subscribed→sub',
      'Available→sub from pub',
      'Delivered→pub from sub',
      'Interested→pub',
    ]);
    expect(said(d.subscribe(sub2, exactly('svc'), 'host'))).toEqual([
      'watch',
      'Subscribed→sub2',
      'Available→sub2 from pub',
      'Delivered→pub from sub2',
    ]);
    expect(said(d.actorEnded(sub))).toEqual([
      'cancel-open',
      'Dropped{ERR_SUBSCRIBER_ENDED}→pub from sub',
    ]);
    expect(said(d.actorEnded(sub2))).toEqual([
      'cancel-open',
      'Dropped{ERR_SUBSCRIBER_ENDED}→pub from sub2',
      'NotInterested→pub',
    ]);
    expect(d.report().listings).toEqual([
      { name: 'svc', scope: 'host', subscribers: 0, answer: 'published' },
    ]);
  });

  it('multi listings of one name each give the subscriber a session', () => {
    const d = directory();
    d.publish(pub, ask('many', 'host', { multi: true }), []);
    d.publish(sub2, ask('many', 'host', { multi: true }), []);
    const effects = said(d.subscribe(sub, exactly('many'), 'host'));
    expect(effects.filter((e) => e.startsWith('Available'))).toEqual([
      'Available→sub from pub',
      'Available→sub from sub2',
    ]);
    // A second, single listing of the name is refused.
    expect(said(d.publish(pub, ask('many'), []))).toEqual([
      'NotPublished{ERR_DUPLICATE_LISTING}→pub',
    ]);
  });

  it('clear: Cleared for the caller, Dropped for the other; retract withdraws and counts', () => {
    const d = directory();
    d.publish(pub, ask('svc'), []);
    d.subscribe(sub, { kind: 'regex', source: 's.c', flags: 'i' }, 'host');
    expect(said(d.clear(sub, pub))).toEqual([
      'cancel-open',
      'Cleared→sub from pub',
      'Dropped{ERR_CLEARED}→pub from sub',
    ]);
    expect(said(d.clear(sub, pub))).toEqual([]);
    expect(said(d.retract(pub, 1))).toEqual(['Retracted→pub']);
    expect(d.report()).toMatchObject({
      listings: [],
      searches: [{ search: '/s.c/i', scope: 'host' }],
    });
  });

  it('refuses a bad search and a bad listing with their codes', () => {
    const d = directory();
    expect(said(d.subscribe(sub, { kind: 'regex', source: '(a+)+', flags: '' }, 'host'))).toEqual([
      'NotSubscribed{ERR_INVALID_SEARCH}→sub',
    ]);
    expect(said(d.publish(pub, ask(''), []))).toEqual(['NotPublished{ERR_INVALID_LISTING}→pub']);
  });
});

describe('ProcessDirectory: with the directory above and other nodes', () => {
  /** A directory connected above, with `sub` subscribed to `svc`: answers its search id. */
  function subscribed(random?: () => number) {
    const d = directory(true, random);
    d.upstream.connected();
    const searchId = upMessage(d.subscribe(sub, exactly('svc'), 'lan'), PutSearch).search.id;
    return { d, searchId };
  }

  /** Opens the session of the route just added: the peer answers, the publisher's node opens it. */
  function open(d: ProcessDirectory, effects: Effect[]): string {
    expect(said(effects)).toEqual([
      'deadline',
      expect.stringMatching(/^connect (local|network) unix:\/tmp\/test.sock$/),
    ]);
    const sessionId = (effects[0] as { sessionId: string }).sessionId;
    expect(said(d.peers.peerReady(sessionId, peer))).toEqual(['OpenSession→peer']);
    const opened = d.peers.fromPeer(new SessionOpened({ sessionId, publisher: remotePub }), peer);
    expect(said(opened)).toEqual(['cancel-open', 'Available→sub from remotePub']);
    return sessionId;
  }

  it('opens a session on a route from above through the publisher node, and loses it with the peer', () => {
    const { d, searchId } = subscribed();
    open(d, d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'host')));
    expect(d.remoteDirectoryOf(sub, remotePub)).toBe(peer);
    expect(said(d.peers.peerLost(peer, 'ERR_CONNECTION_LOST', 'gone'))).toEqual([
      'cancel-open',
      'Dropped{ERR_CONNECTION_LOST}→sub from remotePub',
    ]);
    expect(d.sessions.size).toBe(0);
  });

  it('moves the session when a closer route appears', () => {
    const { d, searchId } = subscribed();
    open(d, d.upstream.fromParent(routeFromAbove(searchId, 'far', 'svc', 'lan')));
    const moved = d.upstream.fromParent(routeFromAbove(searchId, 'near', 'svc', 'host'));
    expect(said(moved)).toEqual([
      'cancel-open',
      'EndSession{ERR_ROUTE_REMOVED}→peer',
      'Dropped{ERR_ROUTE_REMOVED}→sub from remotePub',
      'deadline',
      'connect local unix:/tmp/test.sock',
    ]);
  });

  it('gives NotAvailable when the publisher node cannot be reached, or does not open in time', () => {
    const { d, searchId } = subscribed();
    const first = d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'lan'));
    const id = (first[0] as { sessionId: string }).sessionId;
    expect(said(d.peers.peerFailed(id, 'ERR_CONNECT_FAILED', 'nobody'))).toEqual([
      'cancel-open',
      'NotAvailable{ERR_CONNECT_FAILED}→sub',
    ]);
    // The route is known, unused; when it comes again a session is tried again.
    const again = d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'lan'));
    const id2 = (again[0] as { sessionId: string }).sessionId;
    d.peers.peerReady(id2, peer);
    expect(said(d.peers.openTimedOut(id2))).toEqual([
      'cancel-open',
      'EndSession{ERR_NOT_AVAILABLE}→peer',
      'NotAvailable{ERR_NOT_AVAILABLE}→sub',
    ]);
    expect(said(d.peers.openTimedOut(id2))).toEqual([]);
  });

  it('after a re-sync sweeps the routes not sent again, but keeps a route whose session is open', () => {
    const { d, searchId } = subscribed();
    open(d, d.upstream.fromParent(routeFromAbove(searchId, 'L-open', 'svc', 'lan')));
    const other = d.upstream.fromParent(routeFromAbove(searchId, 'L-opening', 'other', 'lan'));
    // The search is for svc only, but a directory may send any route of the search: it is obeyed.
    expect(said(other)).toEqual(['deadline', 'connect network unix:/tmp/test.sock']);
    d.upstream.lost();
    d.upstream.connected();
    const swept = d.upstream.fromParent(new SyncComplete({ level: 'process' }));
    expect(said(swept)).toEqual(['cancel-open', 'NotAvailable{ERR_ROUTE_REMOVED}→sub']);
    expect(d.routes.routesOf(searchId).map((r) => [r.listingId, r.stale])).toEqual([
      ['L-open', false],
    ]);
    // A removed route ends its session.
    const removed = d.upstream.fromParent(
      new RouteRemoved({ searchId, listingId: 'L-open', level: 'lan' }),
    );
    expect(said(removed)).toEqual([
      'cancel-open',
      'EndSession{ERR_ROUTE_REMOVED}→peer',
      'Dropped{ERR_ROUTE_REMOVED}→sub from remotePub',
    ]);
  });

  it('as the publisher node: opens what a subscriber node asks for, refuses an unknown listing, ends on EndSession', () => {
    const d = directory(true);
    d.upstream.connected();
    const listingId = upMessage(
      d.publish(pub, ask('svc', 'host', { interest: true }), ['unix:/x']),
      PutListing,
    ).listing.id;
    const request = (sessionId: string, id = listingId) =>
      new OpenSession({
        sessionId,
        listingId: id,
        name: 'svc',
        search: 'svc',
        level: 'host',
        subscriber: remoteSub,
      });
    expect(said(d.peers.fromPeer(request('other:1'), peer))).toEqual([
      'SessionOpened→peer',
      'Delivered→pub from remoteSub',
      'Interested→pub',
    ]);
    expect(said(d.peers.fromPeer(request('other:1'), peer))).toEqual([
      'SessionRefused{ERR_SESSION_REFUSED}→peer',
    ]);
    expect(said(d.peers.fromPeer(request('other:2', 'nope'), peer))).toEqual([
      'SessionRefused{ERR_SESSION_REFUSED}→peer',
    ]);
    // Only the peer of the session may end it.
    const stranger = new ActorAddress(1, channel('stranger'));
    const end = new EndSession({ sessionId: 'other:1', code: 'ERR_CLEARED', reason: 'cleared' });
    expect(said(d.peers.fromPeer(end, stranger))).toEqual([]);
    expect(said(d.peers.fromPeer(end, peer))).toEqual([
      'cancel-open',
      'Dropped{ERR_CLEARED}→pub from remoteSub',
      'NotInterested→pub',
    ]);
  });

  it('applies each party’s overflow choice to its open sessions with another node, and no other', () => {
    const d = directory(true);
    d.upstream.connected();
    const searchId = upMessage(
      d.subscribe(sub, exactly('svc'), 'lan', { policy: 'refuse', limit: 10 }),
      PutSearch,
    ).search.id;
    const effects = d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'host'));
    const sessionId = (effects[0] as { sessionId: string }).sessionId;
    d.peers.peerReady(sessionId, peer);
    const opened = d.peers.fromPeer(new SessionOpened({ sessionId, publisher: remotePub }), peer);
    expect(said(opened)).toEqual(['cancel-open', 'Available→sub from remotePub', 'overflow']);
    expect(opened.at(-1)).toEqual({
      kind: 'overflow',
      sender: sub,
      remote: remotePub,
      policy: 'refuse',
      limit: 10,
    });

    const listingId = upMessage(
      d.publish(pub, ask('pushed', 'host', { overflow: 'drop-oldest' }), ['unix:/x']),
      PutListing,
    ).listing.id;
    const asked = d.peers.fromPeer(
      new OpenSession({
        sessionId: 'other:9',
        listingId,
        name: 'pushed',
        search: 'pushed',
        level: 'host',
        subscriber: remoteSub,
      }),
      peer,
    );
    expect(asked.at(-1)).toEqual({
      kind: 'overflow',
      sender: pub,
      remote: remoteSub,
      policy: 'drop-oldest',
      limit: undefined,
    });
    // Within one process there is no connection to pace: nothing to set.
    const local = directory();
    local.publish(pub, ask('near', 'process', { overflow: 'refuse' }), []);
    expect(said(local.subscribe(sub, exactly('near'), 'process'))).not.toContain('overflow');
  });

  it('a refused session gives NotAvailable with the publisher node’s code', () => {
    const { d, searchId } = subscribed();
    const first = d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'lan'));
    const sessionId = (first[0] as { sessionId: string }).sessionId;
    d.peers.peerReady(sessionId, peer);
    const refused = new SessionRefused({
      sessionId,
      code: 'ERR_SESSION_REFUSED',
      reason: 'no listing',
    });
    expect(said(d.peers.fromPeer(refused, peer))).toEqual([
      'cancel-open',
      'NotAvailable{ERR_SESSION_REFUSED}→sub',
    ]);
  });

  /** A route from above to a listing reached only through the WAN relay. */
  function relayedRoute(searchId: string, id: string) {
    const l = listing(id, 'svc', { scope: 'wan' });
    const entry = {
      ...l,
      publisher: { ...l.publisher, endpoints: [`relay:${l.publisher.nodeKey}`] },
    };
    return new RouteAdded({ searchId, listing: listingInfo(entry), level: 'lan' });
  }

  it('tries a route through the relay again while its listing stays: NotAvailable and Dropped once, Available when a try opens', () => {
    const { d, searchId } = subscribed();
    const first = d.upstream.fromParent(relayedRoute(searchId, 'R1'));
    expect(said(first)).toEqual(['deadline', 'connect network relay:key-of-R1']);
    const id = (first[0] as { sessionId: string }).sessionId;
    const failed = d.peers.peerFailed(id, 'ERR_CONNECT_FAILED', 'no relay session');
    expect(said(failed)).toEqual(['cancel-open', 'NotAvailable{ERR_CONNECT_FAILED}→sub', 'retry']);
    const retry = failed[2] as Extract<Effect, { kind: 'retry' }>;
    expect(retry).toMatchObject({ searchId, listingId: 'R1', ms: 500 });
    // The second try fails too: the subscriber is not told again, and the wait doubles.
    const second = d.retryRoute(retry.searchId, retry.key, retry.listingId);
    const id2 = (second[0] as { sessionId: string }).sessionId;
    const quiet = d.peers.openTimedOut(id2);
    expect(said(quiet)).toEqual(['cancel-open', 'retry']);
    expect((quiet[1] as { ms: number }).ms).toBe(1000);
    // The third opens: Available; then the circuit is lost: Dropped, and tried again at the first wait.
    const third = d.retryRoute(retry.searchId, retry.key, retry.listingId);
    const id3 = (third[0] as { sessionId: string }).sessionId;
    expect(said(d.peers.peerReady(id3, peer))).toEqual(['OpenSession→peer']);
    const opened = d.peers.fromPeer(
      new SessionOpened({ sessionId: id3, publisher: remotePub }),
      peer,
    );
    expect(said(opened)).toEqual(['cancel-open', 'Available→sub from remotePub']);
    const lost = d.peers.peerLost(peer, 'ERR_KEEPALIVE_TIMEOUT', 'silent');
    expect(said(lost)).toEqual([
      'cancel-open',
      'Dropped{ERR_KEEPALIVE_TIMEOUT}→sub from remotePub',
      'retry',
    ]);
    expect((lost[2] as { ms: number }).ms).toBe(500);
    // Once the listing is gone, a retry does nothing; a refusal is never retried.
    d.upstream.fromParent(new RouteRemoved({ searchId, listingId: 'R1', level: 'lan' }));
    expect(d.retryRoute(retry.searchId, retry.key, retry.listingId)).toEqual([]);
    const again = d.upstream.fromParent(relayedRoute(searchId, 'R2'));
    const id4 = (again[0] as { sessionId: string }).sessionId;
    d.peers.peerReady(id4, peer);
    const refused = d.peers.fromPeer(
      new SessionRefused({
        sessionId: id4,
        code: 'ERR_SESSION_REFUSED',
        reason: 'no such listing',
      }),
      peer,
    );
    expect(said(refused)).toEqual(['cancel-open', 'NotAvailable{ERR_SESSION_REFUSED}→sub']);
  });

  it('waits before a retry are jittered by the runtime backoff, and start again from the first once a route is gone', () => {
    const { d, searchId } = subscribed(() => 1); // the most jitter: half of each base
    const fail = (effects: Effect[]) => {
      const id = (effects[0] as { sessionId: string }).sessionId;
      const out = d.peers.peerFailed(id, 'ERR_CONNECT_FAILED', 'no relay session');
      return out.find((e) => e.kind === 'retry') as Extract<Effect, { kind: 'retry' }>;
    };
    const r1 = fail(d.upstream.fromParent(relayedRoute(searchId, 'R1')));
    expect(r1.ms).toBe(250);
    const r2 = fail(d.retryRoute(r1.searchId, r1.key, r1.listingId));
    expect(r2.ms).toBe(500);
    // The listing goes: the next retry finds nothing and the route's waits are forgotten.
    d.upstream.fromParent(new RouteRemoved({ searchId, listingId: 'R1', level: 'lan' }));
    expect(d.retryRoute(r2.searchId, r2.key, r2.listingId)).toEqual([]);
    const back = fail(d.upstream.fromParent(relayedRoute(searchId, 'R1')));
    expect(back.ms).toBe(250);
  });

  it('a retry still opening when its route goes ends quietly: the subscriber was told already', () => {
    const { d, searchId } = subscribed();
    const first = d.upstream.fromParent(relayedRoute(searchId, 'R1'));
    const id = (first[0] as { sessionId: string }).sessionId;
    const failed = d.peers.peerFailed(id, 'ERR_CONNECT_FAILED', 'no relay session');
    const retry = failed[2] as Extract<Effect, { kind: 'retry' }>;
    d.retryRoute(retry.searchId, retry.key, retry.listingId);
    const gone = d.upstream.fromParent(
      new RouteRemoved({ searchId, listingId: 'R1', level: 'lan' }),
    );
    expect(said(gone)).toEqual(['cancel-open']);
  });

  it('does not try again a route that does not offer the relay', () => {
    const { d, searchId } = subscribed();
    const first = d.upstream.fromParent(routeFromAbove(searchId, 'L1', 'svc', 'lan'));
    const id = (first[0] as { sessionId: string }).sessionId;
    expect(said(d.peers.peerFailed(id, 'ERR_CONNECT_FAILED', 'nobody'))).toEqual([
      'cancel-open',
      'NotAvailable{ERR_CONNECT_FAILED}→sub',
    ]);
  });
});

describe('ProcessDirectory: what the publisher is told about the directory above', () => {
  it('answers Published once the first attempt above has settled, and with the parent’s ListingAccepted', () => {
    const d = directory(true);
    expect(said(d.publish(pub, ask('svc'), ['unix:/x']))).toEqual(['watch']);
    expect(said(d.publish(pub, ask('here', 'process'), []))).toEqual(['Published→pub']);
    expect(said(d.upstream.unreachable())).toEqual(['Published→pub']);
    d.upstream.connected();
    const id = upMessage(d.publish(pub, ask('later'), []), PutListing).listing.id;
    expect(said(d.upstream.fromParent(new ListingAccepted({ id })))).toEqual(['Published→pub']);
    expect(said(d.upstream.fromParent(new ListingAccepted({ id })))).toEqual([]);
  });

  it('a refusal above: a WARNING, NotPublished / NotSubscribed with its code, never Published; Published once accepted', () => {
    const d = directory(true);
    d.publish(pub, ask('svc'), ['unix:/x']);
    const refused = d.upstream.refused('ERR_WRONG_REALM', 'it is in another realm', 'unix:/h.sock');
    expect(said(refused)).toEqual(['log WARNING', 'NotPublished{ERR_WRONG_REALM}→pub']);
    expect(said(d.subscribe(sub, exactly('svc'), 'host'))).toEqual([
      'watch',
      'Subscribed→sub',
      'Available→sub from pub',
      'Delivered→pub from sub',
      'NotSubscribed{ERR_WRONG_REALM}→sub',
    ]);
    expect(said(d.publish(pub, ask('other'), []))).toEqual(['NotPublished{ERR_WRONG_REALM}→pub']);
    expect(said(d.publish(pub, ask('mine', 'process'), []))).toEqual(['Published→pub']);
    // Refused again at the next attempt: nothing new to say.
    expect(
      said(d.upstream.refused('ERR_WRONG_REALM', 'it is in another realm', 'unix:/h.sock')),
    ).toEqual([]);
    // The directory is replaced by one of this realm: the listings go up in the Sync and are accepted.
    d.upstream.connected();
    const ids = [...d.entries.listings()]
      .filter((l) => l.answer === 'refused')
      .map((l) => l.entry.id);
    expect(ids).toHaveLength(2);
    const accepted = ids.flatMap((id) => d.upstream.fromParent(new ListingAccepted({ id })));
    expect(said(accepted)).toEqual(['Published→pub', 'Published→pub']);
  });

  it('UpstreamRefused tells only the entries that reach beyond the refused directory', () => {
    const d = directory(true);
    d.upstream.connected();
    d.publish(pub, ask('host-only', 'host'), []);
    d.publish(pub, ask('lan-wide', 'lan'), []);
    d.subscribe(sub, exactly('x'), 'lan');
    d.subscribe(sub2, exactly('y'), 'host');
    const m = new UpstreamRefused({ level: 'host', code: 'ERR_PROTOCOL_VERSION', reason: 'older' });
    expect(said(d.upstream.fromParent(m))).toEqual([
      'log WARNING',
      'NotPublished{ERR_PROTOCOL_VERSION}→pub',
      'NotSubscribed{ERR_PROTOCOL_VERSION}→sub',
    ]);
    expect(said(d.upstream.fromParent(m))).toEqual([]);
  });

  it('a duplicate found above withdraws the listing: its sessions end, NotPublished', () => {
    const d = directory(true);
    d.upstream.connected();
    const id = upMessage(d.publish(pub, ask('svc'), []), PutListing).listing.id;
    d.subscribe(sub, exactly('svc'), 'group');
    const refused = new ListingRefused({ id, code: 'ERR_DUPLICATE_LISTING', reason: 'held by x' });
    expect(said(d.upstream.fromParent(refused))).toEqual([
      'cancel-open',
      'Dropped{ERR_DUPLICATE_LISTING}→sub from pub',
      'Dropped{ERR_DUPLICATE_LISTING}→pub from sub',
      'NotPublished{ERR_DUPLICATE_LISTING}→pub',
    ]);
    expect(d.report().listings).toEqual([]);
  });
});
