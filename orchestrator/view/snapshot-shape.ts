/**
 * The shape of a network snapshot: what `callsign network --json` prints
 * and `callsign view` sends its page (docs/view.md, "State"), and the order
 * of levels. Built by snapshot.ts.
 *
 * @module
 */
import type { NetworkReport } from '../../src/internal.ts';

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
  /** When it is a WAN directory: its tenant, and that tenant's sites (never another tenant's). */
  tenant?: TenantDescription;
}

/** A WAN directory's tenant and its sites. */
export interface TenantDescription {
  name: string;
  sites: SiteDescription[];
}

/** One site of a tenant, as its WAN directory knows it. */
export interface SiteDescription {
  name: string;
  /** When the relay's operator invited it (ISO 8601). */
  invited: string;
  connected: boolean;
  /** Since when it is connected (ISO 8601), while it is. */
  connectedSince: string | null;
  /** The URL of the relay it is connected to, while it is (in a cluster, maybe another relay). */
  relay: string | null;
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
