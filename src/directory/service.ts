import { codeOf, toError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import {
  Abandoned,
  Accepted,
  Closed,
  Listening,
  NotListening,
  Stop,
} from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { listen } from '../transport/transport.ts';
import {
  hostOf,
  listingEntry,
  listingInfo,
  routeMessage,
  searchEntry,
  searchInfo,
  withHost,
} from './convert.ts';
import type { ListingEntry, SearchEntry } from './entries.ts';
import { HandoverWatch } from './handover.ts';
import { NetworkGatherer } from './network-gatherer.ts';
import { countersOf } from './network-report.ts';
import { isRefusal, type ParentEvent, ParentLink } from './parent-link.ts';
import {
  DeleteListing,
  DeleteSearch,
  DirectoryEnquiry,
  DirectoryReport,
  Handover,
  ListingAccepted,
  ListingRefused,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  SearchRefused,
  Sync,
  SyncComplete,
  UpstreamLost,
  UpstreamRefused,
  UpstreamSynced,
  withdrawsListing,
} from './protocol.ts';
import { scopeRank } from './scope.ts';
import type { DirectoryServiceSettings } from './service-settings.ts';
import { DirectoryTable, type RouteChange } from './table.ts';

export type { DirectoryServiceSettings } from './service-settings.ts';

interface Link {
  id: string;
  address: ActorAddress;
  where: string;
  /** The host the link connected from, for TCP links: `0.0.0.0` endpoints of its listings become this. */
  host: string | undefined;
  /** True once it sent Sync: a node's directory or a directory, which answer NetworkEnquiry. */
  synced: boolean;
}

/**
 * A directory at one scope, as an actor: it holds the listings and searches
 * of the nodes and directories below (its links), matches them, sends routes
 * down toward subscribers, forwards what reaches further to its parent, and
 * withdraws a link's entries when it goes away. Any node of the realm may
 * connect; bad input from one closes or skips only what it must. When the
 * directory above refuses it, it tells its links (UpstreamRefused) and
 * refuses what would have to go there.
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
  let linkSeq = 0;
  /** The last refusal logged, so that retries do not repeat it. */
  let toldRefusal = '';

  listen(self, settings.endpoint);
  const l = await self.select(Listening, NotListening);
  if (l instanceof NotListening)
    throw new Error(`cannot listen on ${settings.endpoint}: ${l.reason} (${l.code})`);
  const listened = l.endpoint;
  settings.onListening?.(listened);
  self.console(`${settings.level} directory listening on ${listened}`);

  const send = (m: Message, to: ActorAddress) => self.send(m, to);
  const toLinks = (m: Message) => {
    for (const link of links.values()) send(m, link.address);
  };

  const upward = settings.parent !== undefined || settings.findParent !== undefined;
  const parentLink = upward
    ? new ParentLink(self, {
        endpoint: settings.parent,
        find: settings.findParent,
        failed: settings.parentFailed,
      })
    : undefined;
  const parent = () => parentLink?.parent;

  const handover = settings.findPreferred
    ? new HandoverWatch(self, { find: settings.findPreferred, failed: settings.preferredFailed })
    : undefined;

  const dispatch = (changes: RouteChange[]) => {
    for (const c of changes) {
      const link = linksById.get(c.searchLink);
      if (link) send(routeMessage(c), link.address);
    }
  };

  /** The answer to a listing that reaches further than this directory while no parent holds it. */
  const answerWithoutParent = (id: string): Message => {
    const refusal = parentLink?.refusal;
    return refusal
      ? new ListingRefused({
          id,
          code: refusal.code,
          reason: `the directory above this ${settings.level} directory refused it: ${refusal.reason}`,
        })
      : new ListingAccepted({ id });
  };

  const putListing = (link: Link, given: ListingEntry) => {
    const host = link.host ?? settings.localHost;
    const entry = host ? withHost(given, host) : given;
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
    const up = parent();
    if (!table.shouldForward(entry)) send(new ListingAccepted({ id: entry.id }), link.address);
    else if (up) {
      pending.set(entry.id, link.id);
      send(new PutListing({ listing: listingInfo(entry) }), up);
    } else if (parentLink && !parentLink.settled) {
      // The first attempt above is still going: answered when it ends.
      pending.set(entry.id, link.id);
    } else send(answerWithoutParent(entry.id), link.address);
  };

  const putSearch = (link: Link, entry: SearchEntry) => {
    if (scopeRank(entry.scope) < scopeRank(settings.level)) return;
    dispatch(table.putSearch(link.id, entry));
    const up = parent();
    if (up && table.shouldForward(entry)) send(new PutSearch({ search: searchInfo(entry) }), up);
  };

  const removeLink = (link: Link) => {
    links.delete(link.address);
    linksById.delete(link.id);
    const up = parent();
    const forwarded = up
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
    gatherer.linkGone(link.id);
    if (up) {
      for (const [, e] of forwarded.listings) send(new DeleteListing({ id: e.id }), up);
      for (const [, e] of forwarded.searches) send(new DeleteSearch({ id: e.id }), up);
    }
    self.trace(`${link.where} left; ${table.stats().listings} listing(s) held`);
  };

  const handleChild = (m: Message, link: Link) => {
    const up = parent();
    if (m instanceof PutListing) putListing(link, listingEntry(m.listing));
    else if (m instanceof PutSearch) putSearch(link, searchEntry(m.search));
    else if (m instanceof DeleteListing) {
      const held = table.getListing(m.id);
      dispatch(table.deleteListing(link.id, m.id));
      if (up && held?.[0] === link.id && table.shouldForward(held[1]))
        send(new DeleteListing({ id: m.id }), up);
    } else if (m instanceof DeleteSearch) {
      const held = table.getSearch(m.id);
      dispatch(table.deleteSearch(link.id, m.id));
      if (up && held?.[0] === link.id && table.shouldForward(held[1]))
        send(new DeleteSearch({ id: m.id }), up);
    } else if (m instanceof Sync) {
      link.where = m.where;
      link.synced = true;
      for (const e of m.listings) putListing(link, listingEntry(e));
      for (const e of m.searches) putSearch(link, searchEntry(e));
      send(new SyncComplete({ level: settings.level }), link.address);
      const refusal = parentLink?.refusal;
      if (refusal) send(refusedAbove(refusal.code, refusal.reason), link.address);
    }
  };

  const refusedAbove = (code: UpstreamRefused['code'], reason: string) =>
    new UpstreamRefused({ level: settings.level, code, reason });

  const handleParent = (m: Message) => {
    if (m instanceof ListingAccepted || m instanceof ListingRefused) {
      // An answer that waited, or a later one (a WAN directory's pass, a refusal): down the listing's link.
      const linkId = pending.get(m.id) ?? table.getListing(m.id)?.[0];
      pending.delete(m.id);
      const link = linkId ? linksById.get(linkId) : undefined;
      if (m instanceof ListingRefused && withdrawsListing(m.code)) {
        dispatch(table.deleteListing(linkId ?? '', m.id));
      }
      if (link) send(m, link.address);
    } else if (m instanceof RouteAdded || m instanceof RouteRemoved || m instanceof SearchRefused) {
      // Toward the subscriber: down the link its search came from.
      const held = table.getSearch(m instanceof SearchRefused ? m.id : m.searchId);
      const link = held ? linksById.get(held[0]) : undefined;
      if (link) send(m, link.address);
    } else if (m instanceof SyncComplete) {
      toLinks(new UpstreamSynced({ level: settings.level }));
    } else if (m instanceof UpstreamLost || m instanceof UpstreamSynced) {
      toLinks(m);
    } else if (m instanceof UpstreamRefused) {
      // Refused further up: what reaches beyond that level reaches nothing.
      toLinks(m);
    }
  };

  /** Answers what waited for a parent that is gone: held by every directory that is there now. */
  const answerPending = () => {
    for (const [id, linkId] of pending) {
      const link = linksById.get(linkId);
      if (link) send(answerWithoutParent(id), link.address);
    }
    pending.clear();
  };

  const onParent = (event: ParentEvent) => {
    switch (event.kind) {
      case 'connected': {
        const snapshot = table.snapshot();
        send(
          new Sync({
            where: `${settings.level} directory ${listened}`,
            listings: snapshot.listings.map(listingInfo),
            searches: snapshot.searches.map(searchInfo),
          }),
          event.parent,
        );
        for (const e of snapshot.listings) pending.set(e.id, table.getListing(e.id)?.[0] ?? '');
        toldRefusal = '';
        settings.parentConnected?.(event.endpoint);
        self.console(`connected to the directory above at ${event.endpoint}`);
        return;
      }
      case 'lost':
        self.warning(
          `lost the directory above (${event.endpoint}); routes from there may be stale`,
        );
        toLinks(new UpstreamLost({ level: settings.level }));
        answerPending();
        return;
      case 'moving':
        self.console(`handed over from ${event.from} to the directory above at ${event.to}`);
        toLinks(new UpstreamLost({ level: settings.level }));
        return;
      case 'settled':
        answerPending();
        return;
      case 'failed': {
        if (!event.refused) {
          self.trace(`no directory above at ${event.endpoint}: ${event.reason} (${event.code})`);
          answerPending();
          return;
        }
        const told = `${event.endpoint} ${event.code}`;
        if (told !== toldRefusal) {
          toldRefusal = told;
          self.warning(
            `the directory above at ${event.endpoint} refused this ${settings.level} directory: ${event.reason} (${event.code}); nothing reaches beyond ${settings.level} until it accepts`,
          );
        }
        answerPending();
        toLinks(refusedAbove(event.code, event.reason));
        return;
      }
      default:
        return;
    }
  };

  const report = () => {
    const refusal = parentLink?.refusal;
    return new DirectoryReport({
      level: settings.level,
      endpoint: listened,
      parent: parent() ? parentLink?.endpoint : undefined,
      children: [...links.values()].map((x) => x.where),
      listings: [...table.listings()].map(([, e]) => listingInfo(e)),
      searches: [...table.searches()].map(([, e]) => searchInfo(e)),
      routes: table.stats().routes,
      refusedCode: refusal?.code,
      refusedReason: refusal?.reason,
      counters: countersOf(self.node.counters),
    });
  };

  const gatherer = new NetworkGatherer(self, {
    endpoint: listened,
    report,
    links: () => links.values(),
    linkAt: (address) => links.get(address),
    parent: () => {
      const address = parent();
      const endpoint = parentLink?.endpoint;
      return address && endpoint ? { address, endpoint } : undefined;
    },
  });

  const started = parentLink?.start();
  if (started) onParent(started);
  handover?.start();

  for (;;) {
    const m = await self.select();
    const from = self.returnAddress;
    try {
      if (m instanceof Stop) break;
      const event = parentLink?.handle(m, from);
      if (event) {
        onParent(event);
        continue;
      }
      const watched = handover?.handle(m, from, links.size > 0);
      if (watched) {
        if (watched.kind === 'hand-over') {
          self.console(
            `handing ${links.size} child(ren) over to the preferred directory at ${watched.endpoint}`,
          );
          toLinks(new Handover({ endpoint: watched.endpoint }));
        } else if (watched.kind === 'probe-failed') {
          // Unreachable is news only while a partition lasts; a refusal is an impostor or a misconfiguration.
          const text = `a preferred directory at ${watched.endpoint} did not take this one: ${watched.reason} (${watched.code})`;
          if (isRefusal(watched.code) || watched.code === 'ERR_HANDSHAKE_FAILED')
            self.warning(text);
          else self.debug(text);
        }
        continue;
      }
      if (gatherer.handle(m, from)) continue;
      if (m instanceof Accepted && from) {
        const link: Link = {
          id: `link-${++linkSeq}`,
          address: from,
          where: m.peerKey.slice(0, 12),
          host: m.remote ? hostOf(m.remote) : undefined,
          synced: false,
        };
        links.set(from, link);
        linksById.set(link.id, link);
      } else if ((m instanceof Abandoned || m instanceof Closed) && from) {
        const link = links.get(from);
        if (link) removeLink(link);
      } else if (m instanceof DirectoryEnquiry && from) {
        send(report(), from);
      } else if (from && parent()?.equals(from)) {
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
  parentLink?.stop();
  handover?.stop();
  gatherer.stop();
  return { level: settings.level, endpoint: listened };
}
