/**
 * The pure parts of the WAN scope: relay frames, the circuit book, the
 * tenant's WAN book (matching confined to the tenant, endpoints per site,
 * limits) and which endpoints another site is given.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBook } from '../../../scopes/wan/circuit-book.ts';
import { RateBucket } from '../../../scopes/wan/rate.ts';
import { isPrivateHost, routeEndpoints } from '../../../scopes/wan/route-endpoints.ts';
import { WanBook } from '../../../scopes/wan/wan-book.ts';
import { SearchInfo, SubscriberInfo } from '../../../src/directory/protocol.ts';
import { CallsignError } from '../../../src/errors.ts';
import {
  decodeCircuitFrame,
  decodeHello,
  encodeClose,
  encodeData,
  encodeHello,
  encodeOpen,
  ListingAccepted,
  ListingInfo,
  PublisherInfo,
  PutListing,
  PutSearch,
  RelayPass,
  RouteAdded,
  SearchRefused,
  setCircuit,
} from '../../../src/internal.ts';

describe('relay frames', () => {
  it('round-trip, and DATA is renamed in place without being read', () => {
    const nonce = new Uint8Array(16).fill(7);
    const hello = {
      kind: 'session',
      tenant: 'acme',
      site: 'lab-1',
      peer: 'abc+/=',
      nonce,
    } as const;
    const back = decodeHello(encodeHello(hello));
    expect(back).toMatchObject({ kind: 'session', tenant: 'acme', site: 'lab-1', peer: 'abc+/=' });
    expect(back.kind === 'session' && [...back.nonce]).toEqual([...nonce]);
    expect(decodeHello(encodeHello({ kind: 'site', tenant: 'acme' }))).toEqual({
      kind: 'site',
      tenant: 'acme',
    });
    const data = encodeData(3, Buffer.from('sealed'));
    setCircuit(data, 8);
    expect(decodeCircuitFrame(data)).toMatchObject({ type: 'data', circuit: 8 });
    expect(decodeCircuitFrame(encodeOpen(5, 'peer'))).toEqual({
      type: 'open',
      circuit: 5,
      peer: 'peer',
    });
    expect(decodeCircuitFrame(encodeClose(5, 'ERR_WAN_LIMIT'))).toEqual({
      type: 'close',
      circuit: 5,
      code: 'ERR_WAN_LIMIT',
    });
  });

  it('refuse anything else with ERR_MALFORMED_FRAME', () => {
    const good = encodeHello({
      kind: 'session',
      tenant: 'acme',
      site: 'lab',
      peer: 'p',
      nonce: new Uint8Array(16),
    });
    const bad = [
      new Uint8Array(0),
      good.slice(0, good.length - 1),
      Uint8Array.from([...good, 0]),
      encodeHello({ kind: 'site', tenant: 'acme' }).map((b, i) => (i === 3 ? 0 : b)),
      Buffer.from([1, ...Buffer.from('cswan1'), 1, 3, ...Buffer.from('A_B')]),
    ];
    for (const b of bad) expect(() => decodeHello(b)).toThrow(CallsignError);
    for (const b of [
      Buffer.from([0x99, 0, 0, 0, 1]),
      Buffer.from([0x10, 0, 0, 0, 1, 40]),
      Buffer.from([0x11, 0, 0]),
    ]) {
      expect(() => decodeCircuitFrame(b)).toThrow(/relay frame/);
    }
  });
});

describe('the circuit book', () => {
  const limits = { sessions: 3, circuits: 2, circuitsPerSession: 2 };
  const info = (id: number, tenant: string, peer: string) => ({ id, tenant, site: 's', peer });

  it('joins a circuit to the peer of the same tenant only, and ends it at both ends', () => {
    const book = new CircuitBook(() => limits, 1000);
    book.addSession(info(1, 'acme', 'a'), 0);
    book.addSession(info(2, 'acme', 'b'), 0);
    book.addSession(info(3, 'umbrella', 'c'), 0);
    const opened = book.open(1, 1, 'b', 0);
    expect(opened).toEqual([
      { kind: 'incoming', session: 2, circuit: 2 },
      { kind: 'opened', session: 1, circuit: 1 },
    ]);
    expect(book.route(1, 1)).toEqual({ session: 2, circuit: 2 });
    // Another tenant's peer is not there: the OPEN waits, then is refused as for nobody.
    expect(book.open(1, 3, 'c', 0)).toEqual([]);
    expect(book.expire(2000)).toEqual([
      { kind: 'close', session: 1, circuit: 3, code: 'ERR_NOT_AVAILABLE' },
    ]);
    expect(book.removeSession(2)).toEqual([
      { kind: 'close', session: 1, circuit: 1, code: 'ERR_CONNECTION_LOST' },
    ]);
    expect(book.route(1, 1)).toBeUndefined();
  });

  it('refuses sessions and circuits beyond the limits with ERR_WAN_LIMIT', () => {
    const book = new CircuitBook(() => limits, 1000);
    for (let i = 1; i <= 3; i++)
      expect(book.addSession(info(i, 'acme', `p${i}`), 0)).toEqual({ outputs: [] });
    expect(book.addSession(info(4, 'acme', 'p4'), 0)).toEqual({ refused: 'ERR_WAN_LIMIT' });
    book.open(1, 1, 'p2', 0);
    book.open(1, 3, 'p3', 0);
    expect(book.open(2, 1, 'p3', 0)).toContainEqual({
      kind: 'close',
      session: 2,
      circuit: 1,
      code: 'ERR_WAN_LIMIT',
    });
  });
});

describe("a tenant's WAN book", () => {
  const pass = (site: string, peer: string) =>
    new RelayPass({ relays: ['ws://r/'], tenant: 't', site, peer, ticket: new Uint8Array(32) });
  const listing = (id: string, name: string, key: string, endpoints: string[]) =>
    new PutListing({
      listing: new ListingInfo({
        id,
        name,
        scope: 'wan',
        multi: false,
        publisher: new PublisherInfo({ nodeKey: key, actor: 1, endpoints, where: 'w' }),
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

  it('gives another site public addresses and the relay, never private ones, with the passes', () => {
    const book = new WanBook({ tenant: 't', limits: () => ({ listings: 10, searches: 10 }), pass });
    book.addLink('la', 'a');
    book.addLink('lb', 'b');
    const put = book.handle(
      'la',
      listing('l1', 'station-1', 'KA', ['10.0.0.5:4000', '198.51.100.3:4000', '0.0.0.0:4000']),
    );
    const accepted = put.find((d) => d.message instanceof ListingAccepted)
      ?.message as ListingAccepted;
    expect(accepted.relay?.peer).toBe('KA');
    const routes = book.handle('lb', search('s1', 'station-.*', 'KB'));
    const route = routes.find((d) => d.message instanceof RouteAdded);
    expect(route?.link).toBe('lb');
    const added = route?.message as RouteAdded;
    expect(added.listing.publisher.endpoints).toEqual(['198.51.100.3:4000', 'relay:KA']);
    expect(added.relay?.peer).toBe('KB');
  });

  it('matches only within its tenant: two tenants with the same names never meet', () => {
    const limits = () => ({ listings: 10, searches: 10 });
    const acme = new WanBook({ tenant: 'acme', limits, pass });
    const umbrella = new WanBook({ tenant: 'umbrella', limits, pass });
    acme.addLink('x', 'a');
    acme.addLink('x2', 'b');
    umbrella.addLink('y', 'a');
    umbrella.addLink('y2', 'b');
    acme.handle('x', listing('l1', 'station-1', 'K1', []));
    umbrella.handle('y', listing('l1', 'station-1', 'K2', []));
    const theirs = umbrella.handle('y2', search('s', '.*', 'K4'));
    expect(theirs.filter((d) => d.message instanceof RouteAdded)).toHaveLength(1);
    const found = acme
      .handle('x2', search('s', '.*', 'K3'))
      .filter((d) => d.message instanceof RouteAdded);
    expect(found.map((d) => (d.message as RouteAdded).listing.publisher.nodeKey)).toEqual(['K1']);
    expect(acme.table.stats().listings).toBe(1);
  });

  it('refuses listings and searches beyond the limits with ERR_WAN_LIMIT', () => {
    const book = new WanBook({ tenant: 't', limits: () => ({ listings: 1, searches: 1 }), pass });
    book.addLink('l', 'a');
    book.handle('l', listing('l1', 'one', 'K', []));
    const second = book.handle('l', listing('l2', 'two', 'K', []));
    expect(second[0]?.message).toMatchObject({ id: 'l2', code: 'ERR_WAN_LIMIT' });
    book.handle('l', search('s1', 'x', 'K'));
    const refused = book.handle('l', search('s2', 'y', 'K'))[0]?.message;
    expect(refused).toBeInstanceOf(SearchRefused);
    expect(refused).toMatchObject({ code: 'ERR_WAN_LIMIT' });
  });
});

describe('endpoints and rates', () => {
  it('tells private hosts from public ones', () => {
    for (const h of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.1.1',
      'fd00::1',
      'fe80::1',
      '::1',
      'printer.local',
    ])
      expect(isPrivateHost(h), h).toBe(true);
    for (const h of ['198.51.100.3', '8.8.8.8', '172.32.0.1', '2001:db8::1'])
      expect(isPrivateHost(h), h).toBe(false);
    expect(routeEndpoints(['unix:/tmp/x.sock', '[::]:5', '10.0.0.1:5'], 'K', false)).toEqual([
      'relay:K',
    ]);
  });

  it('slows a sender beyond its rate for as long as its debt lasts', () => {
    const bucket = new RateBucket(1000, 0);
    expect(bucket.take(1000, 0)).toBe(0);
    expect(bucket.take(500, 0)).toBe(500);
    expect(bucket.waitMs(500)).toBe(0);
  });
});
