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
import type {
  GatheredDirectory,
  NetworkReport,
  NodeReport,
  SessionReport,
} from '../../src/internal.ts';

/** Messages and bytes. */
export interface Traffic {
  messages: number;
  bytes: number;
}

/** Per second, over the time measured (up to the last minute). */
export interface Rate {
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** Over how many seconds. */
  seconds: number;
}

/** A listing as a directory holds it. */
export interface ListingReport {
  name: string;
  scope: string;
  multi: boolean;
  /** Who publishes it: `<role or program> (pid N)`. */
  where: string;
}

/** A search as a directory holds it. */
export interface SearchReport {
  pattern: string;
  /** How it matches: `name`, `regex` or `subject`. */
  kind: string;
  regex: boolean;
  flags: string | null;
  scope: string;
  /** Who subscribes: `<role or program> (pid N)`. */
  where: string;
}

/** Connections a directory refused with one code lately (from its log). */
export interface RefusedConnections {
  code: string;
  count: number;
  /** The last one: when, from where, and why. */
  last: { at: string; from: string; reason: string };
}

/** One directory. */
export interface DirectoryDescription {
  level: string;
  endpoint: string;
  /** The directory above, while connected to it. */
  parent: string | null;
  /** The directory that gathered this one's report (null: the one asked). */
  under: string | null;
  /** The realm's name, and the file it was read from. */
  realm: string;
  realmFile: string;
  /** False when this directory serves another realm than the home's (its nodes never meet). */
  sameRealmAsHome: boolean | null;
  /** The nodes and directories connected below it. */
  children: string[];
  listings: ListingReport[];
  searches: SearchReport[];
  routes: number;
  /** Why the directory above refuses this one, while it does (its realm, say). */
  refusedAbove: { code: string; reason: string } | null;
  /** Connections this directory refused lately, by code (from its log; the host directory's only). */
  refusedConnections: RefusedConnections[];
  /** Its node's counters of messages that reached no actor, those above zero. */
  undelivered: Record<string, number>;
  /** Links below that did not answer in time. */
  silent: string[];
  /** The WAN directory above, when the parent is one (`wan:<access file>`): never a secret. */
  wan?: WanAbove | null;
}

/** The WAN directory above a site's directory, as its access file names it. */
export interface WanAbove {
  tenant: string;
  site: string;
  relays: string[];
  accessFile: string;
}

/** One node (a process), as its directory actor reports it. */
export interface NodeDescription {
  /** Its short id. */
  id: string;
  where: string;
  /** The directory it is connected to (the endpoint that directory reports). */
  under: string;
  listings: { id: string; name: string; scope: string; subscribers: number; answer: string }[];
  searches: { search: string; scope: string }[];
  sessions: number;
  connections: number;
  /** Messages waiting for a slow receiver. */
  waiting: number;
  undelivered: Record<string, number>;
  /** How long its sessions' traffic has been counted (0: not). */
  meteredSeconds: number;
}

/** One party of a session. */
export interface SessionParty {
  /** Where it runs, when its node reported (or the listing says). */
  where: string | null;
  /** Its node's id, when known. */
  node: string | null;
}

/** One session between a subscriber and a publisher. */
export interface SessionDescription {
  id: string;
  name: string;
  listingId: string;
  search: string;
  level: string;
  open: boolean;
  subscriber: SessionParty;
  publisher: SessionParty;
  /** False for a session within one process (its traffic is not counted). */
  crossesConnection: boolean;
  /** Which end counted the traffic below; null when none did. */
  countedAt: 'publisher' | 'subscriber' | null;
  toSubscriber: Traffic;
  toPublisher: Traffic;
  /** How long the counting end had counted when it read these counts, in ms (its own clock). */
  meteredMs: number;
  /** Both ways together; null until measured twice. */
  rate: Rate | null;
}

/** One listing with the traffic of its sessions. */
export interface ListingDescription {
  id: string;
  name: string;
  scope: string;
  multi: boolean;
  where: string;
  /** The directories that hold it (none for a listing within one process). */
  heldBy: string[];
  sessions: number;
  /** Over its sessions whose traffic was counted, both ways. */
  traffic: Traffic;
  rate: Rate | null;
}

/** A directory that runs but did not answer. */
export interface UnreachableDirectory {
  level: string;
  endpoint: string;
  code: string;
  reason: string;
}

/** The whole network as one object. */
export interface NetworkSnapshot {
  home: string | null;
  /** When it was taken. */
  at: string;
  directories: DirectoryDescription[];
  nodes: NodeDescription[];
  sessions: SessionDescription[];
  listings: ListingDescription[];
  unreachable: UnreachableDirectory[];
}

/** What a directory that was asked answered, with what the asker knows of it. */
export interface AskedDirectory {
  level: string;
  endpoint: string;
  realm: string;
  realmFile: string;
  sameRealmAsHome: boolean | null;
  refusedConnections: RefusedConnections[];
  /** Its report, and how the asker's own link shows among its children; or why there is none. */
  answer: { report: NetworkReport; us: string } | { code: string; reason: string };
}

const RANK: Record<string, number> = { process: 0, group: 1, host: 2, lan: 3, wan: 4 };

/** Scopes from the widest down (an unknown level last). */
export function byLevel(a: { level: string }, b: { level: string }): number {
  return (RANK[b.level] ?? -1) - (RANK[a.level] ?? -1);
}

const positive = (counters: Record<string, number>) =>
  Object.fromEntries(Object.entries(counters).filter(([, n]) => n > 0));

function describeDirectory(g: GatheredDirectory, asked: AskedDirectory, ours: ReadonlySet<string>) {
  const r = g.report;
  const top = g.under === '';
  return {
    level: r.level,
    endpoint: r.endpoint,
    parent: r.parent ?? null,
    under: top ? null : g.under,
    realm: asked.realm,
    realmFile: asked.realmFile,
    sameRealmAsHome: asked.sameRealmAsHome,
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
