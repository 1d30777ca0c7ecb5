import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../orchestrator/view/snapshot.ts';
import { NodeListing } from '../../../src/directory/network-report.ts';
import { asked, directory, listingInfo, node, report, searchInfo, session } from './fixtures.ts';

const HOST = 'unix:/h.sock';
const GROUP = 'unix:/g.sock';
const AT = new Date('2026-12-01T10:00:00Z');

/** A host directory with a group directory below it, a publisher in the group and a subscriber on the host. */
function network() {
  const held = listingInfo('P:1', 'temperature-0', 'pub (pid 1)');
  const sought = searchInfo('S:1', 'temperature-0', 'sub (pid 2)');
  const host = directory('host', HOST, {
    children: ['group directory unix:/g.sock', 'sub (pid 2)', 'US'],
    listings: [held],
    searches: [sought],
    routes: 1,
  });
  const group = directory('group', GROUP, {
    parent: HOST,
    // The link of whoever asked the group directory directly, seen through the host's gathering.
    children: ['pub (pid 1)', 'GROUP-ASKER'],
    listings: [held],
  });
  const both = { id: 'S:7', name: 'temperature-0', listingId: 'P:1', peerNode: 'P' } as const;
  const pub = node('P', 'pub (pid 1)', {
    meteredMs: 5000,
    listings: [
      new NodeListing({
        id: 'P:1',
        name: 'temperature-0',
        scope: 'host',
        subscribers: 1,
        answer: 'published',
      }),
      new NodeListing({
        id: 'P:2',
        name: 'inside',
        scope: 'process',
        subscribers: 0,
        answer: 'published',
      }),
    ],
    sessions: [
      session({
        ...both,
        side: 'publisher',
        peerNode: 'S',
        toSubscriber: [10, 1000],
        toPublisher: [1, 20],
      }),
    ],
  });
  const sub = node('S', 'sub (pid 2)', {
    sessions: [session({ ...both, side: 'subscriber', toSubscriber: [9, 900] })],
  });
  const fromHost = report(1, {
    directories: [
      ['', host],
      [HOST, group],
    ],
    nodes: [
      [GROUP, pub],
      [HOST, sub],
    ],
    silent: [[HOST, 'old (pid 9)']],
  });
  const fromGroup = report(1, { directories: [['', group]], nodes: [[GROUP, pub]] });
  return { fromHost, fromGroup };
}

describe('the snapshot of the network', () => {
  it('holds each directory, node, session and listing once, wherever they were reported', () => {
    const { fromHost, fromGroup } = network();
    const s = buildSnapshot(
      [asked(GROUP, 'group', fromGroup, 'GROUP-ASKER'), asked(HOST, 'host', fromHost)],
      '/home/.callsign',
      AT,
    );
    expect(s.at).toBe(AT.toISOString());
    expect(s.home).toBe('/home/.callsign');
    expect(s.directories.map((d) => [d.level, d.endpoint, d.under])).toEqual([
      ['host', HOST, null],
      // Asked itself and through the host directory: shown once, below the host's.
      ['group', GROUP, HOST],
    ]);
    const host = s.directories[0];
    expect(host?.children).toEqual(['group directory unix:/g.sock', 'sub (pid 2)']);
    expect(host?.silent).toEqual(['old (pid 9)']);
    // No asker's own link shows, wherever its directory was reported from.
    expect(s.directories[1]?.children).toEqual(['pub (pid 1)']);
    expect(host?.listings).toEqual([
      { name: 'temperature-0', scope: 'host', multi: false, where: 'pub (pid 1)' },
    ]);
    expect(host?.undelivered).toEqual({});
    expect(s.nodes.map((n) => [n.id, n.where, n.under, n.undelivered])).toEqual([
      ['P', 'pub (pid 1)', GROUP, { dropped: 2 }],
      ['S', 'sub (pid 2)', HOST, { dropped: 2 }],
    ]);
    expect(s.sessions).toEqual([
      {
        id: 'S:7',
        name: 'temperature-0',
        listingId: 'P:1',
        search: 'temperature-0',
        level: 'host',
        open: true,
        subscriber: { where: 'sub (pid 2)', node: 'S' },
        publisher: { where: 'pub (pid 1)', node: 'P' },
        crossesConnection: true,
        // The publisher's count is used when it has one.
        countedAt: 'publisher',
        toSubscriber: { messages: 10, bytes: 1000 },
        toPublisher: { messages: 1, bytes: 20 },
        meteredMs: 5000,
        rate: null,
      },
    ]);
    expect(s.listings.map((l) => [l.id, l.name, l.heldBy, l.sessions, l.traffic])).toEqual([
      ['P:2', 'inside', [], 0, { messages: 0, bytes: 0 }],
      ['P:1', 'temperature-0', [HOST, GROUP], 1, { messages: 11, bytes: 1020 }],
    ]);
    expect(s.unreachable).toEqual([]);
  });

  it('uses the count of the end that reported when the other did not', () => {
    const sub = node('S', 'sub (pid 2)', {
      meteredMs: 3000,
      sessions: [
        session({
          id: 'S:7',
          name: 'x',
          listingId: 'P:1',
          side: 'subscriber',
          peerNode: 'P',
          toSubscriber: [4, 40],
        }),
      ],
    });
    const s = buildSnapshot(
      [
        asked(
          HOST,
          'host',
          report(1, { directories: [['', directory('host', HOST)]], nodes: [[HOST, sub]] }),
        ),
      ],
      null,
      AT,
    );
    expect(s.sessions[0]).toMatchObject({
      subscriber: { where: 'sub (pid 2)', node: 'S' },
      publisher: { where: 'pub (pid 1)', node: 'P' },
      countedAt: 'subscriber',
      toSubscriber: { messages: 4, bytes: 40 },
      meteredMs: 3000,
    });
  });

  it('counts no traffic of a session within one process, or one not metered', () => {
    const n = node('N', 'both (pid 3)', {
      sessions: [
        session({ id: 'N:1', name: 'inside', listingId: 'N:2', side: 'both', metered: false }),
        session({ id: 'N:3', name: 'far', listingId: 'F:1', side: 'subscriber', metered: false }),
      ],
    });
    const s = buildSnapshot(
      [
        asked(
          HOST,
          'host',
          report(1, { directories: [['', directory('host', HOST)]], nodes: [[HOST, n]] }),
        ),
      ],
      null,
      AT,
    );
    expect(s.sessions.map((x) => [x.id, x.crossesConnection, x.countedAt, x.meteredMs])).toEqual([
      ['N:3', true, null, 0],
      ['N:1', false, null, 0],
    ]);
  });

  it('lists the directories that did not answer', () => {
    const s = buildSnapshot(
      [
        {
          ...asked(HOST, 'host', report(1, {})),
          answer: { code: 'ERR_CONNECT_FAILED', reason: 'refused' },
        },
      ],
      null,
      AT,
    );
    expect(s.directories).toEqual([]);
    expect(s.unreachable).toEqual([
      { level: 'host', endpoint: HOST, code: 'ERR_CONNECT_FAILED', reason: 'refused' },
    ]);
  });
});
