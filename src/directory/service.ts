import { existsSync } from 'node:fs';
import { codeOf, toError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import {
  Abandoned,
  Accepted,
  Closed,
  Connected,
  Listening,
  NotConnected,
  NotListening,
  Stop,
} from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { backoffDelays } from '../runtime/repeating-task.ts';
import { formatEndpoint, parseEndpoint } from '../transport/endpoint.ts';
import { connect, listen } from '../transport/transport.ts';
import { listingEntry, listingInfo, searchEntry, searchInfo } from './convert.ts';
import type { ListingEntry, SearchEntry } from './entries.ts';
import {
  DeleteListing,
  DeleteSearch,
  DirectoryEnquiry,
  DirectoryReport,
  ListingAccepted,
  ListingRefused,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  Sync,
  SyncComplete,
  UpstreamLost,
  UpstreamSynced,
} from './protocol.ts';
import { type Scope, scopeRank } from './scope.ts';
import { DirectoryTable, type RouteChange } from './table.ts';

/** Settings of {@link directoryService}. */
export interface DirectoryServiceSettings {
  /** The scope this directory serves: group, host, lan or wan. */
  level: Scope;
  /** Where it listens for the nodes and directories below. */
  endpoint: string;
  /** The directory above, if any; connected to (and reconnected) in the background. */
  parent?: string;
  /**
   * Finds the directory above, instead of a fixed `parent`: asked before every
   * attempt to connect (at start, and after the parent is lost or a connect
   * fails). Undefined means none for now: ask again a little later.
   */
  findParent?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Told when a connection above failed or was lost, so `findParent` can look elsewhere. */
  parentFailed?: (endpoint: string) => void;
  /** Told the real endpoint once listening. */
  onListening?: (endpoint: string) => void;
}

interface Link {
  id: string;
  address: ActorAddress;
  where: string;
  /** The host the link connected from, for TCP links: `0.0.0.0` endpoints of its listings become this. */
  host: string | undefined;
}

/**
 * A directory at one scope, as an actor: it holds the listings and searches
 * of the nodes and directories below (its links), matches them, sends routes
 * down toward subscribers, forwards what reaches further to its parent, and
 * withdraws a link's entries when it goes away. Any node of the realm may
 * connect; bad input from one closes or skips only what it must.
 */
export async function directoryService(
  self: ActorContext,
  settings: DirectoryServiceSettings,
): Promise<unknown> {
  const table = new DirectoryTable(settings.level);
  const links = new Map<ActorAddress, Link>();
  const linksById = new Map<string, Link>();
  /** Listings forwarded up and waiting for the parent's answer: id → the link that put them. */
  const pending = new Map<string, string>();
  let parent: ActorAddress | undefined;
  let listened = '';
  let linkSeq = 0;
  let stopped = false;

  listen(self, settings.endpoint);
  const l = await self.select(Listening, NotListening);
  if (l instanceof NotListening)
    throw new Error(`cannot listen on ${settings.endpoint}: ${l.reason} (${l.code})`);
  listened = l.endpoint;
  settings.onListening?.(listened);
  self.console(`${settings.level} directory listening on ${listened}`);

  const send = (m: Message, to: ActorAddress) => self.send(m, to);

  const dispatch = (changes: RouteChange[]) => {
    for (const c of changes) {
      const link = linksById.get(c.searchLink);
      if (!link) continue;
      if (c.kind === 'add') {
        send(
          new RouteAdded({
            searchId: c.search.id,
            listing: listingInfo(c.listing),
            level: c.level,
          }),
          link.address,
        );
      } else {
        send(
          new RouteRemoved({ searchId: c.search.id, listingId: c.listing.id, level: c.level }),
          link.address,
        );
      }
    }
  };

  const putListing = (link: Link, given: ListingEntry) => {
    const entry = link.host ? withHost(given, link.host) : given;
    if (scopeRank(entry.scope) < scopeRank(settings.level)) {
      // Does not reach this far: nothing to hold, nothing to refuse.
      send(new ListingAccepted({ id: entry.id }), link.address);
      return;
    }
    const result = table.putListing(link.id, entry);
    if (!result.accepted) {
      send(
        new ListingRefused({
          id: entry.id,
          code: 'ERR_DUPLICATE_LISTING',
          reason: `${entry.name} is already published by ${result.holder.publisher.where}`,
        }),
        link.address,
      );
      return;
    }
    dispatch(result.changes);
    if (parent && table.shouldForward(entry)) {
      pending.set(entry.id, link.id);
      send(new PutListing({ listing: listingInfo(entry) }), parent);
    } else {
      send(new ListingAccepted({ id: entry.id }), link.address);
    }
  };

  const putSearch = (link: Link, entry: SearchEntry) => {
    if (scopeRank(entry.scope) < scopeRank(settings.level)) return;
    dispatch(table.putSearch(link.id, entry));
    if (parent && table.shouldForward(entry))
      send(new PutSearch({ search: searchInfo(entry) }), parent);
  };

  const removeLink = (link: Link) => {
    links.delete(link.address);
    linksById.delete(link.id);
    const forwarded = parent
      ? {
          listings: [...table.listings()].filter(
            ([id, e]) => id === link.id && table.shouldForward(e),
          ),
          searches: [...table.searches()].filter(
            ([id, e]) => id === link.id && table.shouldForward(e),
          ),
        }
      : { listings: [], searches: [] };
    dispatch(table.removeLink(link.id));
    if (parent) {
      for (const [, e] of forwarded.listings) send(new DeleteListing({ id: e.id }), parent);
      for (const [, e] of forwarded.searches) send(new DeleteSearch({ id: e.id }), parent);
    }
    self.trace(`${link.where} left; ${table.stats().listings} listing(s) held`);
  };

  const handleChild = (m: Message, link: Link) => {
    if (m instanceof PutListing) putListing(link, listingEntry(m.listing));
    else if (m instanceof PutSearch) putSearch(link, searchEntry(m.search));
    else if (m instanceof DeleteListing) {
      const held = table.getListing(m.id);
      dispatch(table.deleteListing(link.id, m.id));
      if (parent && held?.[0] === link.id && table.shouldForward(held[1]))
        send(new DeleteListing({ id: m.id }), parent);
    } else if (m instanceof DeleteSearch) {
      const held = table.getSearch(m.id);
      dispatch(table.deleteSearch(link.id, m.id));
      if (parent && held?.[0] === link.id && table.shouldForward(held[1]))
        send(new DeleteSearch({ id: m.id }), parent);
    } else if (m instanceof Sync) {
      link.where = m.where;
      for (const e of m.listings) putListing(link, listingEntry(e));
      for (const e of m.searches) putSearch(link, searchEntry(e));
      send(new SyncComplete({ level: settings.level }), link.address);
    }
  };

  const handleParent = (m: Message) => {
    if (m instanceof ListingAccepted || m instanceof ListingRefused) {
      const linkId = pending.get(m.id);
      pending.delete(m.id);
      const link = linkId ? linksById.get(linkId) : undefined;
      if (m instanceof ListingRefused) dispatch(table.deleteListing(linkId ?? '', m.id));
      if (link) send(m, link.address);
    } else if (m instanceof RouteAdded || m instanceof RouteRemoved) {
      // Toward the subscriber: down the link its search came from.
      const held = table.getSearch(m.searchId);
      const link = held ? linksById.get(held[0]) : undefined;
      if (link) send(m, link.address);
    } else if (m instanceof SyncComplete) {
      for (const link of links.values())
        send(new UpstreamSynced({ level: settings.level }), link.address);
    } else if (m instanceof UpstreamLost || m instanceof UpstreamSynced) {
      for (const link of links.values()) send(m, link.address);
    }
  };

  // The parent link: connected in the background, re-synced when it comes back.
  let parentEndpoint = settings.parent ? formatEndpoint(parseEndpoint(settings.parent)) : undefined;
  let parentAttempt: (() => void) | undefined;
  const stopping = new AbortController();
  const connectParent = async () => {
    if (!parentEndpoint && !settings.findParent) return;
    const delays = backoffDelays({ initialMs: 100, maxMs: 1000 });
    while (!stopped) {
      if (settings.findParent) {
        const found = await settings.findParent(stopping.signal).catch(() => undefined);
        if (stopped) break;
        if (!found) {
          await pause(500);
          continue;
        }
        parentEndpoint = formatEndpoint(parseEndpoint(found));
      }
      const target = parentEndpoint as string;
      const p = parseEndpoint(target);
      if (p.kind === 'unix' && !existsSync(p.path)) {
        await pause(delays.next().value);
        continue;
      }
      await new Promise<void>((resolve) => {
        parentAttempt = resolve;
        connect(self, target, { seconds: 5 });
      });
      await pause(parent ? 0 : delays.next().value);
    }
  };
  const parentLoop = connectParent();

  for (;;) {
    const m = await self.select();
    const from = self.returnAddress;
    try {
      if (m instanceof Stop) break;
      if (m instanceof Accepted && from) {
        const link: Link = {
          id: `link-${++linkSeq}`,
          address: from,
          where: m.peerKey.slice(0, 12),
          host: m.remote ? hostOf(m.remote) : undefined,
        };
        links.set(from, link);
        linksById.set(link.id, link);
      } else if ((m instanceof Abandoned || m instanceof Closed) && from) {
        if (parent?.equals(from)) {
          parent = undefined;
          self.warning(
            `lost the directory above (${parentEndpoint}); routes from there may be stale`,
          );
          if (parentEndpoint) settings.parentFailed?.(parentEndpoint);
          for (const link of links.values())
            send(new UpstreamLost({ level: settings.level }), link.address);
          parentAttempt?.();
        } else {
          const link = links.get(from);
          if (link) removeLink(link);
        }
      } else if (m instanceof Connected && from && m.endpoint === parentEndpoint) {
        parent = from;
        const snapshot = table.snapshot();
        send(
          new Sync({
            where: `${settings.level} directory ${listened}`,
            listings: snapshot.listings.map(listingInfo),
            searches: snapshot.searches.map(searchInfo),
          }),
          from,
        );
        for (const e of snapshot.listings) pending.set(e.id, table.getListing(e.id)?.[0] ?? '');
      } else if (m instanceof NotConnected && m.endpoint === parentEndpoint) {
        settings.parentFailed?.(m.endpoint);
        parentAttempt?.();
      } else if (m instanceof DirectoryEnquiry && from) {
        const snapshot = [...table.listings()].map(([, e]) => listingInfo(e));
        send(
          new DirectoryReport({
            level: settings.level,
            endpoint: listened,
            parent: parent ? parentEndpoint : undefined,
            children: [...links.values()].map((x) => x.where),
            listings: snapshot,
            searches: [...table.searches()].map(([, e]) => searchInfo(e)),
            routes: table.stats().routes,
          }),
          from,
        );
      } else if (from && parent?.equals(from)) {
        handleParent(m);
      } else if (from) {
        const link = links.get(from);
        if (link) handleChild(m, link);
      }
    } catch (err) {
      // Bad input from one link costs only that message.
      self.warning(
        `${m.constructor.name} from ${from}: ${toError(err).message} (${codeOf(err, 'ERR_INVALID_MESSAGE')})`,
      );
    }
  }
  stopped = true;
  stopping.abort();
  parentAttempt?.();
  await parentLoop;
  return { level: settings.level, endpoint: listened };
}

/** The host part of `ip:port` (IPv4-mapped IPv6 addresses as plain IPv4). */
function hostOf(remote: string): string | undefined {
  const p = parseEndpoint(remote);
  if (p.kind !== 'tcp') return undefined;
  return p.host.startsWith('::ffff:') ? p.host.slice(7) : p.host;
}

/** A listing whose wildcard endpoints (`0.0.0.0:port`, `[::]:port`) name `host` instead. */
function withHost(entry: ListingEntry, host: string): ListingEntry {
  const wildcard = /^(?:0\.0\.0\.0|\[::\]):(\d+)$/;
  if (!entry.publisher.endpoints.some((e) => wildcard.test(e))) return entry;
  const endpoints = entry.publisher.endpoints.map((e) => {
    const m = wildcard.exec(e);
    return m ? formatEndpoint({ kind: 'tcp', host, port: Number(m[1]) }) : e;
  });
  return { ...entry, publisher: { ...entry.publisher, endpoints } };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
