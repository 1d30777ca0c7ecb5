/**
 * The report of a part of the network, as directories gather it for whoever
 * watches (`callsign view`, `callsign network`): a directory asked with
 * {@link NetworkEnquiry} asks its links in turn (the directories and nodes
 * below it), waits for them a little while, and answers one
 * {@link NetworkReport} with its own {@link DirectoryReport}, theirs, and the
 * nodes' {@link NodeReport}s, each marked with the directory that gathered it.
 * Nothing is gathered unless someone asks; with `meter`, nodes count the
 * traffic of their sessions for a while (a lease renewed by each enquiry).
 * See docs/view.md.
 *
 * @module
 */
import { defineMessage, t } from '../messages/index.ts';
import type { NodeCounters } from '../runtime/node.ts';
import { DirectoryReport } from './protocol.ts';
import { SCOPES } from './scope.ts';

const scope = t.enumOf(SCOPES);

/** Which end of a session a node holds. */
export const SESSION_SIDES = ['subscriber', 'publisher', 'both'] as const;

/** Anyone → a directory or a node's directory: report yourself and what is below you. */
export class NetworkEnquiry extends defineMessage('callsign.dir.NetworkEnquiry', {
  id: t.uint,
  /** How long a directory may wait for its links' reports, in ms; it gives those below less. */
  deadlineMs: t.uint,
  /** Nodes count their sessions' traffic from now on (for a while), and report it. */
  meter: t.bool,
  /**
   * Also ask the directory above, when the asker cannot reach it itself (a
   * WAN directory, reached through the relay by the site's directory only).
   * Only the directory asked does; those below are never asked so.
   */
  above: t.optional(t.bool),
}) {}

/** A session as one of its nodes reports it. */
export class SessionReport extends defineMessage('callsign.dir.SessionReport', {
  /** The same at both ends of the session. */
  id: t.string,
  /** The listing's name and id. */
  name: t.string,
  listingId: t.string,
  /** The search as the subscriber gave it. */
  search: t.string,
  /** Where the directory that matched them serves. */
  level: scope,
  side: t.enumOf(SESSION_SIDES),
  open: t.bool,
  /** Who publishes (the listing's `where`). */
  publisherWhere: t.string,
  /** The other node's id, when the session crosses a connection. */
  peerNode: t.optional(t.string),
  /** True when this node counted the session's traffic (across a connection, while metered). */
  metered: t.bool,
  /** Counted by this node since metering began: toward the subscriber, and toward the publisher. */
  messagesToSubscriber: t.uint,
  bytesToSubscriber: t.uint,
  messagesToPublisher: t.uint,
  bytesToPublisher: t.uint,
}) {}

/** A listing of one of a node's actors. */
export class NodeListing extends defineMessage('callsign.dir.NodeListing', {
  id: t.string,
  name: t.string,
  scope,
  /** Open sessions with subscribers. */
  subscribers: t.uint,
  /** What the publisher was told: pending, published, refused. */
  answer: t.string,
}) {}

/** A search of one of a node's actors. */
export class NodeSearch extends defineMessage('callsign.dir.NodeSearch', {
  id: t.string,
  search: t.string,
  scope,
}) {}

/** One node, as its directory actor reports it. */
export class NodeReport extends defineMessage('callsign.dir.NodeReport', {
  /** How its actors are described: `<role or program> (pid N)`. */
  where: t.string,
  /** Its short id (from its public key). */
  nodeId: t.string,
  listings: t.array(t.message(NodeListing)),
  searches: t.array(t.message(NodeSearch)),
  sessions: t.array(t.message(SessionReport)),
  /** How long its sessions' traffic has been counted, in ms; 0 when it is not. */
  meteredMs: t.uint,
  /** Open connections, and messages waiting for a slow receiver's window over them. */
  connections: t.uint,
  waiting: t.uint,
  /** Its node counters (messages that reached no actor, by name). */
  counters: t.record(t.uint),
}) {}

/** One site of a tenant, as the tenant's WAN directory reports it. */
export class WanSiteReport extends defineMessage('callsign.dir.WanSiteReport', {
  name: t.string,
  /** When the relay's operator invited it (ISO 8601). */
  invited: t.string,
  /** True while its directory is connected to the relay. */
  connected: t.bool,
  /** Since when it is connected (ISO 8601), while it is. */
  connectedSince: t.optional(t.string),
  /** The URL of the relay it is connected to, while it is (in a cluster, maybe another relay). */
  relay: t.optional(t.string),
}) {}

/** What a WAN directory reports beyond a directory's report: its tenant, and the tenant's sites only. */
export class WanTenantReport extends defineMessage('callsign.dir.WanTenantReport', {
  tenant: t.string,
  sites: t.array(t.message(WanSiteReport)),
}) {}

/** A directory's report, with the directory that gathered it ('' for the one asked). */
export class GatheredDirectory extends defineMessage('callsign.dir.GatheredDirectory', {
  under: t.string,
  report: t.message(DirectoryReport),
  /**
   * True when this directory is above the one that gathered it (its parent,
   * asked on behalf of an asker who cannot reach it): the tree hangs the
   * gatherer under it, not the other way round.
   */
  above: t.optional(t.bool),
  /** When it is a WAN directory: its tenant and sites. */
  wan: t.optional(t.message(WanTenantReport)),
}) {}

/** A node's report, with the directory that gathered it ('' for a node asked itself). */
export class GatheredNode extends defineMessage('callsign.dir.GatheredNode', {
  under: t.string,
  report: t.message(NodeReport),
}) {}

/** A link that did not answer in time: the directory that asked it, and the link's `where`. */
export class SilentLink extends defineMessage('callsign.dir.SilentLink', {
  under: t.string,
  where: t.string,
}) {}

/** The answer to {@link NetworkEnquiry}, with its `id`. */
export class NetworkReport extends defineMessage('callsign.dir.NetworkReport', {
  id: t.uint,
  directories: t.array(t.message(GatheredDirectory)),
  nodes: t.array(t.message(GatheredNode)),
  silent: t.array(t.message(SilentLink)),
}) {}

/** A directory's own reminder: the gathering `id` is due (never sent over a connection). */
export class GatheringDue extends defineMessage('callsign.dir.GatheringDue', { id: t.uint }) {}

/** A node's counters as one record of numbers: `undelivered` by code as `undelivered ERR_...`. */
export function countersOf(counters: NodeCounters): Record<string, number> {
  const { undelivered, ...rest } = counters;
  const out: Record<string, number> = { ...rest };
  for (const [code, n] of Object.entries(undelivered)) out[`undelivered ${code}`] = n ?? 0;
  return out;
}
