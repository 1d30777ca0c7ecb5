/**
 * The parts of relays over a cluster, without NATS: the circuit book's ends
 * at another relay (held, counted, limited, ended), circuits between two
 * relays over a bus (OPEN asked of the relay holding the peer, DATA renamed
 * both ways, CLOSE passed on, no relay holding the peer: wait here), and a
 * tenant's directory shared through a store (matching across relays, within
 * the tenant; stale entries expire; a site that moves takes its entries).
 */
import { describe, expect, it, vi } from 'vitest';
import {
  CircuitBook,
  type CircuitOutput,
  REMOTE_SESSION,
} from '../../../scopes/wan/circuit-book.ts';
import { MemoryPeerNetwork, type PeerBus } from '../../../scopes/wan/nats/peer-bus.ts';
import { RemoteCircuits } from '../../../scopes/wan/nats/remote-circuits.ts';
import { MemoryDirectoryStore } from '../../../scopes/wan/state/directory-store.ts';
import { SharedDirectory, stateKey } from '../../../scopes/wan/state/shared-directory.ts';
import { type Delivery, WanBook } from '../../../scopes/wan/wan-book.ts';
import { SearchInfo, SubscriberInfo } from '../../../src/directory/protocol.ts';
import {
  decodeCircuitFrame,
  encodeData,
  ListingInfo,
  PublisherInfo,
  PutListing,
  PutSearch,
  RelayPass,
  RouteAdded,
  RouteRemoved,
} from '../../../src/internal.ts';

const limits = { sessions: 10, circuits: 10, circuitsPerSession: 3 };

describe('circuit ends at another relay', () => {
  it('are held under the limits, brought in on even ids, ended either way, and released with the session', () => {
    const book = new CircuitBook(() => limits);
    book.addSession({ id: 1, tenant: 't', site: 'a', peer: 'A' }, 0);
    expect(book.hasPeer('t', 'A')).toBe(true);
    expect(book.hasPeer('u', 'A')).toBe(false);
    expect(book.openRemote(1, 1, 77)).toBeUndefined();
    expect(book.route(1, 1)).toEqual({ session: REMOTE_SESSION, circuit: 77 });
    expect(book.openRemote(1, 1, 78)?.[0]).toMatchObject({ code: 'ERR_MALFORMED_FRAME' });
    expect(book.openRemote(1, 2, 78)?.[0]).toMatchObject({ code: 'ERR_MALFORMED_FRAME' });
    const r = book.acceptRemote('t', 'A', 99);
    expect(r).toMatchObject({
      session: 1,
      circuit: 2,
      outputs: [{ kind: 'incoming', circuit: 2 }],
    });
    expect(book.acceptRemote('t', 'B', 100)).toEqual({ refused: 'ERR_NOT_AVAILABLE' });
    expect(book.acceptRemote('u', 'A', 100)).toEqual({ refused: 'ERR_NOT_AVAILABLE' });
    expect(book.openRemote(1, 3, 80)).toBeUndefined();
    expect(book.acceptRemote('t', 'A', 101)).toEqual({ refused: 'ERR_WAN_LIMIT' });
    expect(book.counts('t').circuits).toBe(3);
    expect(
      book
        .remoteCircuitsOf(1)
        .map((c) => c.token)
        .sort(),
    ).toEqual([77, 80, 99]);
    expect(book.closeRemote(1, 2, 'ERR_CLOSED')).toEqual([
      { kind: 'close', session: 1, circuit: 2, code: 'ERR_CLOSED' },
    ]);
    expect(book.closeRemote(1, 2, 'ERR_CLOSED')).toEqual([]);
    expect(book.close(1, 3, 'ERR_CLOSED')).toEqual([]);
    expect(book.counts('t').circuits).toBe(1);
    book.removeSession(1);
    expect(book.counts('t')).toEqual({ sessions: 0, circuits: 0 });
  });
});

/** A relay's circuits over a bus, with what it sent to each session. */
type Relay = ReturnType<typeof relayOn>;

function relayOn(net: MemoryPeerNetwork, member: string, answerDelayMs = 0) {
  const bus = answerDelayMs > 0 ? slowToAnswer(net.join(member), answerDelayMs) : net.join(member);
  const clock = { now: 0 };
  const book = new CircuitBook(() => limits, 3000);
  const sent: { session: number; frame: Uint8Array }[] = [];
  const told: CircuitOutput[] = [];
  const remote = new RemoteCircuits({
    bus,
    book,
    toSession: (session, frame) => sent.push({ session, frame: Uint8Array.from(frame) }),
    perform: (outputs) => told.push(...outputs),
    now: () => clock.now,
    forwarded: () => {},
    warn: () => {},
  });
  const admit = (id: number, peer: string) => {
    const s = { id, tenant: 't', site: 's', peer };
    book.addSession(s, 0);
    remote.attached(s);
    return s;
  };
  return { book, remote, sent, told, admit, bus, clock };
}

/** `bus`, whose answers to OPENs and PINGs leave `ms` late. */
function slowToAnswer(bus: PeerBus, ms: number): PeerBus {
  return {
    member: bus.member,
    get connected() {
      return bus.connected;
    },
    onConnected: (l) => bus.onConnected(l),
    attach: (tenant, peer, handler) =>
      bus.attach(tenant, peer, (frame, from, reply) =>
        handler(frame, from, reply && ((answer) => setTimeout(() => reply(answer), ms))),
      ),
    send: (...a) => bus.send(...a),
    ask: (...a) => bus.ask(...a),
    holds: (...a) => bus.holds(...a),
  };
}

/** Relays r1, r2… on one memory network. */
function relays(n: number) {
  const net = new MemoryPeerNetwork();
  return { net, rs: Array.from({ length: n }, (_, i) => relayOn(net, `r${i + 1}`)) };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('circuits between two relays', () => {
  it('join a node here to a peer there, rename DATA both ways, and pass CLOSE on', async () => {
    const { rs } = relays(2);
    const [r1, r2] = rs as [Relay, Relay];
    const a = r1.admit(1, 'A');
    r2.admit(1, 'B');
    r1.remote.open(a, 1, 'B');
    await settle();
    expect(r2.told).toEqual([{ kind: 'incoming', session: 1, circuit: 2 }]);
    expect(decodeCircuitFrame(r1.sent[0]?.frame as Uint8Array)).toEqual({
      type: 'opened',
      circuit: 1,
    });
    const far = r1.book.route(1, 1);
    expect(far?.session).toBe(REMOTE_SESSION);
    expect(r1.remote.data(far?.circuit as number, encodeData(1, Buffer.from('sealed')))).toBe(true);
    await settle();
    expect(decodeCircuitFrame(r2.sent[0]?.frame as Uint8Array)).toMatchObject({
      type: 'data',
      circuit: 2,
    });
    const back = r2.book.route(1, 2);
    r2.remote.data(back?.circuit as number, encodeData(2, Buffer.from('reply')));
    await settle();
    expect(decodeCircuitFrame(r1.sent[1]?.frame as Uint8Array)).toMatchObject({
      type: 'data',
      circuit: 1,
    });
    r1.remote.close(far?.circuit as number, 'ERR_CLOSED');
    r1.book.close(1, 1, 'ERR_CLOSED');
    await settle();
    expect(r2.told.at(-1)).toEqual({ kind: 'close', session: 1, circuit: 2, code: 'ERR_CLOSED' });
    expect(r1.remote.size + r2.remote.size).toBe(0);
  });

  it('wait here for a peer no relay holds, as one relay does; another tenant is nobody', async () => {
    const { rs } = relays(2);
    const [r1, r2] = rs as [Relay, Relay];
    const a = r1.admit(1, 'A');
    r2.book.addSession({ id: 1, tenant: 'u', site: 's', peer: 'B' }, 0);
    r2.remote.attached({ id: 1, tenant: 'u', peer: 'B' });
    r1.remote.open(a, 1, 'B');
    await settle();
    expect(r1.book.waiting).toBe(true);
    expect(r2.told).toEqual([]);
    expect(r1.book.expire(5000)).toEqual([
      { kind: 'close', session: 1, circuit: 1, code: 'ERR_NOT_AVAILABLE' },
    ]);
  });

  it('end the circuits to a peer at another relay when it comes here, and all of a session that ends', async () => {
    const { rs } = relays(2);
    const [r1, r2] = rs as [Relay, Relay];
    const a = r1.admit(1, 'A');
    r2.admit(1, 'B');
    r1.remote.open(a, 1, 'B');
    await settle();
    expect(r1.remote.size).toBe(1);
    r1.admit(2, 'B');
    expect(r1.told.at(-1)).toEqual({
      kind: 'close',
      session: 1,
      circuit: 1,
      code: 'ERR_CONNECTION_LOST',
    });
    await settle();
    expect(r2.told.at(-1)).toMatchObject({ kind: 'close', code: 'ERR_CONNECTION_LOST' });
    r1.remote.open(a, 3, 'B');
    expect(r1.book.route(1, 3)?.session).toBe(REMOTE_SESSION);
    r1.remote.detached(a);
    r1.book.removeSession(1);
    expect(r1.remote.size).toBe(0);
  });
});

describe('relays keeping liveness of each other', () => {
  it('end the circuits to a relay that is gone, on the next look, and keep those to one that holds its peer', async () => {
    const { net, rs } = relays(3);
    const [r1, r2, r3] = rs as [Relay, Relay, Relay];
    const a = r1.admit(1, 'A');
    r2.admit(1, 'B');
    r3.admit(1, 'C');
    r1.remote.open(a, 1, 'B');
    r1.remote.open(a, 3, 'C');
    await settle();
    expect(r1.remote.size).toBe(2);
    r1.remote.tick(0);
    await settle();
    expect(r1.told).toEqual([]);
    net.leave('r2');
    r1.remote.tick(100);
    await settle();
    expect(r1.told).toEqual([]);
    r1.remote.tick(600);
    await settle();
    expect(r1.told).toEqual([
      { kind: 'close', session: 1, circuit: 1, code: 'ERR_CONNECTION_LOST' },
    ]);
    expect(r1.remote.size).toBe(1);
    expect(r1.book.counts('t').circuits).toBe(1);
    // The incoming end at r3 looks at r1 the same way: r1 still holds A.
    r3.remote.tick(0);
    await settle();
    expect(r3.told.filter((o) => o.kind === 'close')).toEqual([]);
  });

  it('close the second circuit of a peer with sessions at two relays, on both relays, and free it', async () => {
    const { rs } = relays(3);
    const [r1, r2, r3] = rs as [Relay, Relay, Relay];
    const a = r1.admit(1, 'A');
    r2.admit(1, 'B');
    r3.admit(1, 'B');
    r1.remote.open(a, 1, 'B');
    await settle();
    const opened = [r2, r3].filter((r) => r.told.some((o) => o.kind === 'incoming'));
    expect(opened.length).toBe(2);
    const ended = [r2, r3].filter((r) => r.told.some((o) => o.kind === 'close'));
    expect(ended.length).toBe(1);
    expect(ended[0]?.remote.size).toBe(0);
    expect(ended[0]?.book.counts('t').circuits).toBe(0);
    const kept = ended[0] === r2 ? r3 : r2;
    expect(kept.remote.size).toBe(1);
    // Frames of the kept circuit reach only its relay.
    const far = r1.book.route(1, 1);
    r1.remote.data(far?.circuit as number, encodeData(1, Buffer.from('sealed')));
    await settle();
    expect(kept.sent.length).toBe(1);
    expect(ended[0]?.sent.length).toBe(0);
    r1.remote.close(far?.circuit as number, 'ERR_CLOSED');
    r1.book.close(1, 1, 'ERR_CLOSED');
    await settle();
    expect(r1.remote.size + r2.remote.size + r3.remote.size).toBe(0);
    expect([r1, r2, r3].map((r) => r.book.counts('t').circuits)).toEqual([0, 0, 0]);
  });

  it('keep the circuit of the first answer when a second relay answers the OPEN after the ask is over, and end the end at the late relay, which nothing reaches', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const net = new MemoryPeerNetwork();
      const r1 = relayOn(net, 'r1');
      const r2 = relayOn(net, 'r2', 2500);
      const r3 = relayOn(net, 'r3');
      const a = r1.admit(1, 'A');
      r2.admit(1, 'B');
      r3.admit(1, 'B');
      r1.remote.open(a, 1, 'B');
      await settle();
      expect(r1.sent.map((s) => decodeCircuitFrame(s.frame).type)).toEqual(['opened']);
      // r2 answers 2.5 s late: the ask is over, so r1 never hears it.
      vi.advanceTimersByTime(2500);
      await settle();
      expect(r2.remote.size).toBe(1);
      for (const r of [r1, r2, r3]) r.clock.now = 2500;
      for (const r of [r1, r2, r3]) r.remote.tick(2500);
      await settle();
      // r2's end is asked about, r1 says it never took it: it ends there alone.
      expect(r2.remote.size).toBe(0);
      expect(r2.book.counts('t').circuits).toBe(0);
      expect(r2.told.filter((o) => o.kind === 'close')).toEqual([
        { kind: 'close', session: 1, circuit: 2, code: 'ERR_CONNECTION_LOST' },
      ]);
      // The circuit through r3 is untouched, and still carries DATA.
      expect(r1.told.filter((o) => o.kind === 'close')).toEqual([]);
      expect(r1.remote.size).toBe(1);
      expect(r3.remote.size).toBe(1);
      const far = r1.book.route(1, 1);
      r1.remote.data(far?.circuit as number, encodeData(1, Buffer.from('sealed')));
      await settle();
      expect(r3.sent.length).toBe(1);
      // r3's end was confirmed by that DATA: no more questions about it.
      for (const r of [r1, r2, r3]) r.remote.tick(5000);
      await settle();
      expect(r3.remote.size).toBe(1);
      expect(r1.sent.map((s) => decodeCircuitFrame(s.frame).type)).toEqual(['opened']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('end an answered end whose asker gave up waiting (the only answer came late)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const net = new MemoryPeerNetwork();
      const r1 = relayOn(net, 'r1');
      const r2 = relayOn(net, 'r2', 2500);
      const a = r1.admit(1, 'A');
      r2.admit(1, 'B');
      r1.remote.open(a, 1, 'B');
      vi.advanceTimersByTime(2500);
      await settle();
      // r1 waits for B here, as a single relay does; r2 answered into the void.
      expect(r1.remote.size).toBe(0);
      expect(r2.remote.size).toBe(1);
      r2.clock.now = 2500;
      r2.remote.tick(2500);
      await settle();
      expect(r2.remote.size).toBe(0);
      expect(r2.book.counts('t').circuits).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('end circuits to other relays and refuse OPENs to peers not here, with ERR_WAN_NATS, while the bus is down; open again when it is back', async () => {
    const { net, rs } = relays(2);
    const [r1, r2] = rs as [Relay, Relay];
    const a = r1.admit(1, 'A');
    r1.admit(2, 'L');
    r2.admit(1, 'B');
    r1.remote.open(a, 1, 'B');
    await settle();
    net.setConnected('r1', false);
    expect(r1.told).toEqual([{ kind: 'close', session: 1, circuit: 1, code: 'ERR_WAN_NATS' }]);
    r1.remote.open(a, 3, 'B');
    expect(decodeCircuitFrame(r1.sent.at(-1)?.frame as Uint8Array)).toEqual({
      type: 'close',
      circuit: 3,
      code: 'ERR_WAN_NATS',
    });
    // A circuit between two sessions of this relay is the book's alone.
    expect(r1.book.open(1, 5, 'L', 0)).toContainEqual({ kind: 'incoming', session: 2, circuit: 2 });
    // r2 asks whether r1 still holds A: it cannot be reached, so r2's end goes too.
    r2.remote.tick(0);
    await settle();
    expect(r2.remote.size).toBe(0);
    net.setConnected('r1', true);
    r1.remote.open(a, 7, 'B');
    await settle();
    expect(decodeCircuitFrame(r1.sent.at(-1)?.frame as Uint8Array)).toEqual({
      type: 'opened',
      circuit: 7,
    });
  });
});

const pass = (site: string, peer: string) =>
  new RelayPass({ relays: ['ws://r/'], tenant: 't', site, peer, ticket: new Uint8Array(32) });
const listing = (id: string, name: string, key: string) =>
  new PutListing({
    listing: new ListingInfo({
      id,
      name,
      scope: 'wan',
      multi: false,
      publisher: new PublisherInfo({ nodeKey: key, actor: 1, endpoints: [], where: 'w' }),
    }),
  });
const search = (id: string, pattern: string, key: string) =>
  new PutSearch({
    search: new SearchInfo({
      id,
      pattern,
      kind: 'regex',
      scope: 'wan',
      subscriber: new SubscriberInfo({ nodeKey: key, actor: 2, where: 'w' }),
    }),
  });

/** A relay's directory of tenant `tenant`, sharing `store`; changes it sees are applied at once. */
async function directoryOn(store: MemoryDirectoryStore, relay: string, tenant = 't', url = '') {
  const book = new WanBook({ tenant, limits: () => ({ listings: 10, searches: 10 }), pass });
  const shared = new SharedDirectory({
    relay,
    book,
    state: await store.tenant(tenant),
    ttlMs: store.ttlMs,
    url,
    warn: () => {},
  });
  const out: Delivery[] = [];
  let now = 0;
  await (await store.tenant(tenant)).watch((key, value) =>
    out.push(...shared.changed(key, value, now)),
  );
  const join = (link: string, site: string) => {
    out.push(...shared.siteJoined(site));
    book.addLink(link, site);
  };
  const handle = (link: string, m: PutListing | PutSearch) => {
    out.push(...book.handle(link, m));
    shared.localChanged(book.siteOf(link) as string, link);
  };
  const at = (t: number) => {
    now = t;
  };
  return { book, shared, out, join, handle, at };
}

const routes = (out: Delivery[]) =>
  out
    .filter((d) => d.message instanceof RouteAdded)
    .map((d) => (d.message as RouteAdded).listing.name);

describe('a directory shared between relays', () => {
  it('matches a search at one relay with a listing at another, within the tenant only', async () => {
    const store = new MemoryDirectoryStore(1000);
    const r1 = await directoryOn(store, 'r1');
    const r2 = await directoryOn(store, 'r2');
    const other = await directoryOn(store, 'r3', 'u');
    r1.join('la', 'a');
    r2.join('lb', 'b');
    other.join('lc', 'c');
    other.join('ld', 'd');
    r1.handle('la', listing('l1', 'station-1', 'KA'));
    other.handle('lc', listing('l9', 'station-9', 'KC'));
    await settle();
    r2.handle('lb', search('s1', 'station-.*', 'KB'));
    expect(routes(r2.out)).toEqual(['station-1']);
    other.handle('ld', search('s9', 'station-.*', 'KD'));
    expect(routes(other.out)).toEqual(['station-9']);
    // The search reached relay 1 too: a listing there now is routed to b by relay 2.
    await settle();
    r1.handle('la', listing('l2', 'station-2', 'KA'));
    await settle();
    expect(routes(r2.out)).toEqual(['station-1', 'station-2']);
    expect(r1.shared.remoteEntries).toBe(1);
    const keys: string[] = [];
    await (await store.tenant('t')).watch((k) => keys.push(k));
    await settle();
    expect(keys.sort()).toEqual(
      [
        stateKey('a', 'listing', 'l1'),
        stateKey('a', 'listing', 'l2'),
        stateKey('b', 'search', 's1'),
        stateKey('a', 'site', ''),
        stateKey('b', 'site', ''),
      ].sort(),
    );
  });

  it('tells every relay which relay a site is connected to, until it leaves or goes quiet', async () => {
    const store = new MemoryDirectoryStore(1000);
    const r1 = await directoryOn(store, 'r1', 't', 'ws://r1/');
    const r2 = await directoryOn(store, 'r2', 't', 'ws://r2/');
    const other = await directoryOn(store, 'r3', 'u', 'ws://r1/');
    r1.join('la', 'a');
    r2.join('lb', 'b');
    await settle();
    expect(r2.shared.elsewhere('a')).toMatchObject({ relay: 'ws://r1/' });
    expect(r1.shared.elsewhere('b')).toMatchObject({ relay: 'ws://r2/' });
    expect(r1.shared.elsewhere('a')).toBeUndefined();
    expect(other.shared.elsewhere('a')).toBeUndefined();
    // a moves to relay 2: relay 2 holds it now, and relay 1 hears where it went.
    r2.join('la2', 'a');
    r1.shared.localGone('a');
    await settle();
    expect(r2.shared.elsewhere('a')).toBeUndefined();
    expect(r1.shared.elsewhere('a')).toMatchObject({ relay: 'ws://r2/' });
    // b goes quiet (relay 2 stops writing): relay 1 forgets it after the lifetime.
    r1.shared.tick(500);
    expect(r1.shared.elsewhere('b')).toBeDefined();
    r1.shared.tick(1500);
    expect(r1.shared.elsewhere('b')).toBeUndefined();
    // A presence that is not one is ignored.
    const state = await store.tenant('t');
    await state.put(
      stateKey('z', 'site', ''),
      Buffer.from(JSON.stringify({ relay: 'r9', site: 'z', kind: 'site', id: '', body: 'AA==' })),
    );
    await settle();
    expect(r1.shared.elsewhere('z')).toBeUndefined();
  });

  it('forgets entries not written again within their lifetime; written again, they stay', async () => {
    const store = new MemoryDirectoryStore(1000);
    const r1 = await directoryOn(store, 'r1');
    const r2 = await directoryOn(store, 'r2');
    r1.join('la', 'a');
    r2.join('lb', 'b');
    r2.handle('lb', search('s1', 'station-.*', 'KB'));
    r1.handle('la', listing('l1', 'station-1', 'KA'));
    await settle();
    expect(routes(r2.out)).toEqual(['station-1']);
    r1.shared.tick(600);
    r2.at(600);
    await settle();
    expect(r2.shared.tick(1500).some((d) => d.message instanceof RouteRemoved)).toBe(false);
    // Relay 1 goes quiet: nothing written again.
    const gone = r2.shared.tick(1700);
    expect(gone.map((d) => d.message.constructor)).toContain(RouteRemoved);
    expect(r2.shared.remoteEntries).toBe(0);
  });

  it('lets a site that moved take its entries over, and ignores what is not an entry', async () => {
    const store = new MemoryDirectoryStore(1000);
    const r1 = await directoryOn(store, 'r1');
    const r2 = await directoryOn(store, 'r2');
    r1.join('la', 'a');
    r2.join('lb', 'b');
    r2.handle('lb', search('s1', 'station-.*', 'KB'));
    r1.handle('la', listing('l1', 'station-1', 'KA'));
    await settle();
    expect(r2.book.table.stats().listings).toBe(1);
    r2.join('la2', 'a');
    expect(r2.out.some((d) => d.message instanceof RouteRemoved)).toBe(true);
    r2.handle('la2', listing('l1', 'station-1', 'KA'));
    expect(routes(r2.out)).toEqual(['station-1', 'station-1']);
    // Relay 1, which still thinks it holds a, writes again: relay 2 holds a now.
    r1.shared.tick(100);
    await settle();
    expect(r2.book.table.stats().listings).toBe(1);
    const state = await store.tenant('t');
    const before = r2.out.length;
    await state.put('a.l.eA', Buffer.from('not json'));
    await state.put(
      stateKey('z', 'listing', 'x'),
      Buffer.from(JSON.stringify({ relay: 'r9', site: 'z', kind: 'listing', id: 'y', body: '' })),
    );
    await settle();
    expect(r2.out.length).toBe(before);
  });
});
