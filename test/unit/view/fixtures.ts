// Reports as directories and nodes send them, for the view's unit tests.

import type { AskedDirectory } from '../../../orchestrator/view/snapshot.ts';
import {
  GatheredDirectory,
  GatheredNode,
  NetworkReport,
  type NodeListing,
  NodeReport,
  SessionReport,
  SilentLink,
} from '../../../src/directory/network-report.ts';
import {
  DirectoryReport,
  ListingInfo,
  PublisherInfo,
  SearchInfo,
  SubscriberInfo,
} from '../../../src/directory/protocol.ts';
import type { Scope } from '../../../src/directory/scope.ts';

export function listingInfo(id: string, name: string, where: string, scope: Scope = 'host') {
  return new ListingInfo({
    id,
    name,
    scope,
    multi: false,
    publisher: new PublisherInfo({ nodeKey: 'k', actor: 1, endpoints: [], where }),
  });
}

export function searchInfo(id: string, pattern: string, where: string, scope: Scope = 'host') {
  return new SearchInfo({
    id,
    pattern,
    kind: 'name',
    scope,
    subscriber: new SubscriberInfo({ nodeKey: 'k', actor: 2, where }),
  });
}

export function directory(
  level: Scope,
  endpoint: string,
  more: Partial<{
    parent: string;
    children: string[];
    listings: ListingInfo[];
    searches: SearchInfo[];
    routes: number;
  }> = {},
): DirectoryReport {
  return new DirectoryReport({
    level,
    endpoint,
    ...(more.parent ? { parent: more.parent } : {}),
    children: more.children ?? [],
    listings: more.listings ?? [],
    searches: more.searches ?? [],
    routes: more.routes ?? 0,
    counters: { noSuchActor: 0 },
  });
}

export interface SessionOf {
  id: string;
  name: string;
  listingId: string;
  side: 'subscriber' | 'publisher' | 'both';
  peerNode?: string;
  toSubscriber?: [number, number];
  toPublisher?: [number, number];
  metered?: boolean;
}

export function session(s: SessionOf): SessionReport {
  return new SessionReport({
    id: s.id,
    name: s.name,
    listingId: s.listingId,
    search: s.name,
    level: 'host',
    side: s.side,
    open: true,
    publisherWhere: 'pub (pid 1)',
    ...(s.peerNode ? { peerNode: s.peerNode } : {}),
    metered: s.metered ?? true,
    messagesToSubscriber: s.toSubscriber?.[0] ?? 0,
    bytesToSubscriber: s.toSubscriber?.[1] ?? 0,
    messagesToPublisher: s.toPublisher?.[0] ?? 0,
    bytesToPublisher: s.toPublisher?.[1] ?? 0,
  });
}

export function node(
  nodeId: string,
  where: string,
  more: Partial<{ sessions: SessionReport[]; listings: NodeListing[]; meteredMs: number }> = {},
): NodeReport {
  return new NodeReport({
    where,
    nodeId,
    listings: more.listings ?? [],
    searches: [],
    sessions: more.sessions ?? [],
    meteredMs: more.meteredMs ?? 1000,
    connections: 1,
    waiting: 0,
    counters: { noSuchActor: 0, dropped: 2 },
  });
}

export function report(
  id: number,
  parts: {
    directories?: [string, DirectoryReport][];
    nodes?: [string, NodeReport][];
    silent?: [string, string][];
  },
): NetworkReport {
  return new NetworkReport({
    id,
    directories: (parts.directories ?? []).map(
      ([under, r]) => new GatheredDirectory({ under, report: r }),
    ),
    nodes: (parts.nodes ?? []).map(([under, r]) => new GatheredNode({ under, report: r })),
    silent: (parts.silent ?? []).map(([under, where]) => new SilentLink({ under, where })),
  });
}

export function asked(
  endpoint: string,
  level: string,
  r: NetworkReport,
  us = 'US',
): AskedDirectory {
  return {
    level,
    endpoint,
    realm: 'lab',
    realmFile: '/realm.json',
    sameRealmAsHome: true,
    refusedConnections: [],
    answer: { report: r, us },
  };
}
