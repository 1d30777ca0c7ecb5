import { describe, expect, it } from 'vitest';
import type { Session } from '../../../src/pubsub/session-book.ts';
import { METER_LEASE_MS, SessionMeters } from '../../../src/pubsub/session-meters.ts';
import { ActorAddress } from '../../../src/runtime/address.ts';
import { Connection } from '../../../src/transport/connection.ts';

/** Stands for a connection to another node, as far as meters go. */
function connection(label: string): Connection {
  const c = Object.create(Connection.prototype) as Connection;
  Object.defineProperty(c, 'label', { value: label });
  Object.defineProperty(c, 'closed', { value: false, writable: true });
  c.meter = undefined;
  return c;
}

function session(
  side: Session['side'],
  local: ActorAddress,
  remote: ActorAddress | undefined,
): Session {
  return {
    id: `s-${side}`,
    listingId: 'P:1',
    name: 'temperature-0',
    search: 'temperature-0',
    searchId: undefined,
    routeKey: undefined,
    level: 'host',
    side,
    subscriber: side === 'publisher' ? (remote as ActorAddress) : local,
    publisher: side === 'publisher' ? local : remote,
    remoteAgent: undefined,
    publisherWhere: 'pub (pid 1)',
    open: true,
  };
}

describe("a node's session meters", () => {
  it('count nothing, and put no meter on a connection, unless someone watches', () => {
    const c = connection('PEER');
    const meters = new SessionMeters();
    const [r] = meters.reports(
      [session('subscriber', new ActorAddress(5), new ActorAddress(40, c))],
      0,
    );
    expect(c.meter).toBeUndefined();
    expect(r).toMatchObject({ metered: false, peerNode: 'PEER', messagesToSubscriber: 0 });
    expect(meters.meteredMs(10)).toBe(0);
  });

  it('while watched, meter the connection of each session and report its traffic each way', () => {
    const c = connection('PEER');
    const meters = new SessionMeters();
    expect(meters.renew(1000)).toBe(true);
    const sub = session('subscriber', new ActorAddress(5), new ActorAddress(40, c));
    const pub = session('publisher', new ActorAddress(6), new ActorAddress(41, c));
    meters.reports([sub, pub], 1000);
    expect(c.meter?.since).toBe(1000);
    // What the transport counts as the messages go.
    c.meter?.received(5, 40, 100); // publisher 40 → our subscriber 5
    c.meter?.received(5, 40, 100);
    c.meter?.sent(5, 40, 10); // our subscriber → the publisher
    c.meter?.sent(6, 41, 7); // our publisher 6 → subscriber 41
    const [s, p] = meters.reports([sub, pub], 3500);
    expect(s).toMatchObject({
      side: 'subscriber',
      metered: true,
      messagesToSubscriber: 2,
      bytesToSubscriber: 200,
      messagesToPublisher: 1,
      bytesToPublisher: 10,
    });
    expect(p).toMatchObject({
      side: 'publisher',
      messagesToSubscriber: 1,
      bytesToSubscriber: 7,
      messagesToPublisher: 0,
    });
    expect(meters.meteredMs(3500)).toBe(2500);
    expect(meters.renew(3500)).toBe(false);
  });

  it('take the meters off when the lease lapses, and not before', () => {
    const c = connection('PEER');
    const meters = new SessionMeters();
    meters.renew(0);
    meters.reports([session('subscriber', new ActorAddress(5), new ActorAddress(40, c))], 0);
    meters.renew(30_000);
    expect(meters.lapse(METER_LEASE_MS)).toBe(false);
    expect(c.meter).toBeDefined();
    expect(meters.lapse(30_000 + METER_LEASE_MS)).toBe(true);
    expect(c.meter).toBeUndefined();
    expect(meters.on).toBe(false);
    expect(meters.meteredMs(100_000)).toBe(0);
  });

  it("count a stream's deliveries, sent by another actor of the server than the session's, in the consumer's session at both ends", () => {
    // At the consumer's node: its link 5 subscribed to the stream's listing,
    // published by the server's actor 40; deliveries come from actor 41.
    const c = connection('SERVER');
    const meters = new SessionMeters();
    meters.renew(0);
    const sub = session('subscriber', new ActorAddress(5), new ActorAddress(40, c));
    meters.reports([sub], 0);
    c.meter?.sent(5, 40, 30); // the attach request
    c.meter?.received(5, 41, 500); // two deliveries from the server's consumer actor
    c.meter?.received(5, 41, 500);
    c.meter?.sent(5, 41, 20); // an acknowledgement to it
    const [s] = meters.reports([sub], 1000);
    expect(s).toMatchObject({
      metered: true,
      messagesToSubscriber: 2,
      bytesToSubscriber: 1000,
      messagesToPublisher: 2,
      bytesToPublisher: 50,
    });

    // At the server's node: the listing's actor 40, its session with link 5; actor 41 delivers.
    const d = connection('CONSUMER');
    const server = new SessionMeters();
    server.renew(0);
    const pub = session('publisher', new ActorAddress(40), new ActorAddress(5, d));
    server.reports([pub], 0);
    d.meter?.sent(41, 5, 500);
    d.meter?.received(41, 5, 20);
    const [p] = server.reports([pub], 1000);
    expect(p).toMatchObject({ messagesToSubscriber: 1, bytesToSubscriber: 500 });
    expect(p).toMatchObject({ messagesToPublisher: 1, bytesToPublisher: 20 });
  });

  it('count traffic that no session joins for nobody when two sessions share its end', () => {
    const c = connection('PEER');
    const meters = new SessionMeters();
    meters.renew(0);
    // Our actor 5 subscribes to two listings of the peer's (actors 40 and 42).
    const one = { ...session('subscriber', new ActorAddress(5), new ActorAddress(40, c)), id: '1' };
    const two = { ...session('subscriber', new ActorAddress(5), new ActorAddress(42, c)), id: '2' };
    meters.reports([one, two], 0);
    c.meter?.received(5, 40, 10);
    c.meter?.received(5, 41, 99); // from a third actor of the peer: whose?
    const [a, b] = meters.reports([one, two], 1000);
    expect(a).toMatchObject({ messagesToSubscriber: 1, bytesToSubscriber: 10 });
    expect(b).toMatchObject({ messagesToSubscriber: 0, bytesToSubscriber: 0 });
  });

  it('count nothing for a session within one process', () => {
    const meters = new SessionMeters();
    meters.renew(0);
    const local = new ActorAddress(5);
    const [r] = meters.reports([session('both', local, new ActorAddress(6))], 0);
    expect(r).toMatchObject({ side: 'both', metered: false });
    expect(r?.peerNode).toBeUndefined();
  });
});
