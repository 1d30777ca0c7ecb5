/**
 * The network as one plain object: what `callsign network --json` prints,
 * what `callsign view` sends its page and formats for Prometheus. Built, as a
 * pure function, from the {@link NetworkReport}s the directories answered
 * (docs/view.md): every directory once, every node once, every session once
 * with the traffic one of its ends counted, every listing once with the
 * traffic of its sessions.
 *
 * @module
 */
import type { GatheredDirectory, NodeReport, SessionReport } from '../../src/internal.ts';
import {
  type AskedDirectory,
  byLevel,
  type DirectoryDescription,
  type ListingDescription,
  type NetworkSnapshot,
  type NodeDescription,
  type SessionDescription,
  type UnreachableDirectory,
} from './snapshot-shape.ts';

export * from './snapshot-shape.ts';

const positive = (counters: Record<string, number>) =>
  Object.fromEntries(Object.entries(counters).filter(([, n]) => n > 0));

function describeDirectory(g: GatheredDirectory, asked: AskedDirectory, ours: ReadonlySet<string>) {
  const r = g.report;
  const top = g.under === '';
  // A directory above the one that gathered it (a WAN directory) is not in the asker's realm.
  const above = g.above === true;
  return {
    level: r.level,
    endpoint: r.endpoint,
    parent: r.parent ?? null,
    under: top || above ? null : g.under,
    realm: above ? '' : asked.realm,
    realmFile: above ? '' : asked.realmFile,
    sameRealmAsHome: above ? null : asked.sameRealmAsHome,
    children: r.children.filter((c) => !ours.has(c)),
    listings: r.listings.map((l) => ({
      name: l.name,
      scope: l.scope,
      multi: l.multi,
      where: l.publisher.where,
    })),
    searches: r.searches.map((s) => ({
      pattern: s.pattern,
      kind: s.kind,
      regex: s.kind === 'regex',
      flags: s.flags ?? null,
      scope: s.scope,
      where: s.subscriber.where,
    })),
    routes: r.routes,
    refusedAbove: r.refusedCode ? { code: r.refusedCode, reason: r.refusedReason ?? '' } : null,
    refusedConnections: top ? asked.refusedConnections : [],
    undelivered: positive(r.counters),
    silent: [],
    ...(g.wan
      ? {
          tenant: {
            name: g.wan.tenant,
            sites: g.wan.sites.map((x) => ({
              name: x.name,
              invited: x.invited,
              connected: x.connected,
              connectedSince: x.connectedSince ?? null,
              relay: x.relay ?? null,
            })),
          },
        }
      : {}),
  } satisfies DirectoryDescription;
}

function describeNode(r: NodeReport, under: string): NodeDescription {
  return {
    id: r.nodeId,
    where: r.where,
    under,
    listings: r.listings.map((l) => ({
      id: l.id,
      name: l.name,
      scope: l.scope,
      subscribers: l.subscribers,
      answer: l.answer,
    })),
    searches: r.searches.map((s) => ({ search: s.search, scope: s.scope })),
    sessions: r.sessions.length,
    connections: r.connections,
    waiting: r.waiting,
    undelivered: positive(r.counters),
    meteredSeconds: Math.floor(r.meteredMs / 1000),
  };
}

interface Ends {
  publisher?: { s: SessionReport; node: NodeReport };
  subscriber?: { s: SessionReport; node: NodeReport };
}

function describeSession(id: string, ends: Ends): SessionDescription {
  const pub = ends.publisher;
  const sub = ends.subscriber;
  const any = (pub ?? sub) as { s: SessionReport; node: NodeReport };
  const counted = pub?.s.metered ? pub : sub?.s.metered ? sub : undefined;
  const local = any.s.side === 'both';
  return {
    id,
    name: any.s.name,
    listingId: any.s.listingId,
    search: any.s.search,
    level: any.s.level,
    open: (sub ?? pub)?.s.open ?? false,
    subscriber: {
      where: sub?.node.where ?? null,
      node: sub?.node.nodeId ?? pub?.s.peerNode ?? null,
    },
    publisher: {
      where: pub?.node.where ?? any.s.publisherWhere,
      node: pub?.node.nodeId ?? sub?.s.peerNode ?? null,
    },
    crossesConnection: !local,
    countedAt: counted === undefined ? null : counted === pub ? 'publisher' : 'subscriber',
    toSubscriber: {
      messages: counted?.s.messagesToSubscriber ?? 0,
      bytes: counted?.s.bytesToSubscriber ?? 0,
    },
    toPublisher: {
      messages: counted?.s.messagesToPublisher ?? 0,
      bytes: counted?.s.bytesToPublisher ?? 0,
    },
    meteredMs: counted?.node.meteredMs ?? 0,
    rate: null,
  };
}

/**
 * The snapshot of what the directories in `asked` answered, at `at`.
 * A directory or node reported more than once (a group directory asked
 * itself and through the host directory) appears once, where it hangs
 * deepest in the tree.
 */
export function buildSnapshot(
  asked: readonly AskedDirectory[],
  home: string | null,
  at: Date,
): NetworkSnapshot {
  const directories = new Map<string, DirectoryDescription>();
  const nodes = new Map<string, { report: NodeReport; description: NodeDescription }>();
  const unreachable: UnreachableDirectory[] = [];
  /** A directory's endpoint → the endpoint of the directory above it that it gathered. */
  const hangsUnder = new Map<string, string>();
  // The askers' own links, wherever they show (a group directory asked
  // directly also shows the link in its report gathered through the host's).
  const ours = new Set(asked.flatMap((a) => ('us' in a.answer ? [a.answer.us] : [])));
  for (const a of asked) {
    if ('code' in a.answer) {
      unreachable.push({ level: a.level, endpoint: a.endpoint, ...a.answer });
      continue;
    }
    const { report } = a.answer;
    for (const g of report.directories) {
      const d = describeDirectory(g, a, ours);
      const seen = directories.get(d.endpoint);
      if (seen === undefined || (seen.under === null && d.under !== null)) {
        // Keep what the asked directory knows only of itself.
        if (seen) d.refusedConnections = seen.refusedConnections;
        directories.set(d.endpoint, d);
      } else if (d.refusedConnections.length > 0) seen.refusedConnections = d.refusedConnections;
    }
    for (const n of report.nodes) {
      if (!nodes.has(n.report.nodeId)) {
        nodes.set(n.report.nodeId, {
          report: n.report,
          description: describeNode(n.report, n.under),
        });
      }
    }
    for (const s of report.silent) directories.get(s.under)?.silent.push(s.where);
    for (const g of report.directories) if (g.above) hangsUnder.set(g.under, g.report.endpoint);
  }
  // A directory that gathered the report of the one above it hangs under that one.
  for (const [below, above] of hangsUnder) {
    const d = directories.get(below);
    if (d && d.under === null && directories.has(above)) d.under = above;
  }

  const ends = new Map<string, Ends>();
  for (const { report } of nodes.values()) {
    for (const s of report.sessions) {
      const e = ends.get(s.id) ?? {};
      if (s.side !== 'subscriber') e.publisher = { s, node: report };
      if (s.side !== 'publisher') e.subscriber = { s, node: report };
      ends.set(s.id, e);
    }
  }
  const sessions = [...ends].map(([id, e]) => describeSession(id, e));
  sessions.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

  const listings = new Map<string, ListingDescription>();
  const sorted = [...directories.values()].sort(byLevel);
  for (const d of sorted) {
    const r = report(asked, d.endpoint);
    for (const l of r?.listings ?? []) {
      const seen = listings.get(l.id);
      if (seen) seen.heldBy.push(d.endpoint);
      else {
        listings.set(l.id, {
          id: l.id,
          name: l.name,
          scope: l.scope,
          multi: l.multi,
          where: l.publisher.where,
          heldBy: [d.endpoint],
          sessions: 0,
          traffic: { messages: 0, bytes: 0 },
          rate: null,
        });
      }
    }
  }
  for (const { report: n } of nodes.values()) {
    for (const l of n.listings) {
      if (listings.has(l.id)) continue;
      listings.set(l.id, {
        id: l.id,
        name: l.name,
        scope: l.scope,
        multi: false,
        where: n.where,
        heldBy: [],
        sessions: 0,
        traffic: { messages: 0, bytes: 0 },
        rate: null,
      });
    }
  }
  for (const s of sessions) {
    const l = listings.get(s.listingId);
    if (!l) continue;
    l.sessions++;
    l.traffic.messages += s.toSubscriber.messages + s.toPublisher.messages;
    l.traffic.bytes += s.toSubscriber.bytes + s.toPublisher.bytes;
  }

  return {
    home,
    at: at.toISOString(),
    directories: sorted,
    nodes: [...nodes.values()]
      .map((n) => n.description)
      .sort((a, b) => a.where.localeCompare(b.where)),
    sessions,
    listings: [...listings.values()].sort((a, b) => a.name.localeCompare(b.name)),
    unreachable,
  };
}

/** The report of the directory at `endpoint` among the answers, if one gave it. */
function report(asked: readonly AskedDirectory[], endpoint: string) {
  for (const a of asked) {
    if ('code' in a.answer) continue;
    const g = a.answer.report.directories.find((d) => d.report.endpoint === endpoint);
    if (g) return g.report;
  }
  return undefined;
}
