import { formatEndpoint, parseEndpoint } from '../transport/endpoint.ts';
import type { ListingEntry, SearchEntry } from './entries.ts';
import {
  ListingInfo,
  PublisherInfo,
  RouteAdded,
  RouteRemoved,
  SearchInfo,
  SubscriberInfo,
} from './protocol.ts';
import type { RouteChange } from './route.ts';

/** Conversions between table entries and the messages that carry them between directories. */

/** A table entry as it travels. */
export function listingInfo(e: ListingEntry): ListingInfo {
  return new ListingInfo({
    id: e.id,
    name: e.name,
    scope: e.scope,
    multi: e.multi,
    publisher: new PublisherInfo({ ...e.publisher }),
  });
}

/** A travelling listing as a table entry. */
export function listingEntry(m: ListingInfo): ListingEntry {
  const p = m.publisher;
  return {
    id: m.id,
    name: m.name,
    scope: m.scope,
    multi: m.multi,
    publisher: { nodeKey: p.nodeKey, actor: p.actor, endpoints: [...p.endpoints], where: p.where },
  };
}

/** A search as it travels. */
export function searchInfo(e: SearchEntry): SearchInfo {
  return new SearchInfo({
    id: e.id,
    pattern: e.pattern,
    kind: e.kind,
    flags: e.flags,
    scope: e.scope,
    subscriber: new SubscriberInfo({ ...e.subscriber }),
  });
}

/** A travelling search as a table entry. */
export function searchEntry(m: SearchInfo): SearchEntry {
  const s = m.subscriber;
  return {
    id: m.id,
    pattern: m.pattern,
    kind: m.kind,
    flags: m.flags,
    scope: m.scope,
    subscriber: { nodeKey: s.nodeKey, actor: s.actor, where: s.where },
  };
}

/** The host part of `ip:port` (IPv4-mapped IPv6 addresses as plain IPv4). */
export function hostOf(remote: string): string | undefined {
  const p = parseEndpoint(remote);
  if (p.kind !== 'tcp') return undefined;
  return p.host.startsWith('::ffff:') ? p.host.slice(7) : p.host;
}

/** A listing whose wildcard endpoints (`0.0.0.0:port`, `[::]:port`) name `host` instead. */
export function withHost(entry: ListingEntry, host: string): ListingEntry {
  const wildcard = /^(?:0\.0\.0\.0|\[::\]):(\d+)$/;
  if (!entry.publisher.endpoints.some((e) => wildcard.test(e))) return entry;
  const endpoints = entry.publisher.endpoints.map((e) => {
    const m = wildcard.exec(e);
    return m ? formatEndpoint({ kind: 'tcp', host, port: Number(m[1]) }) : e;
  });
  return { ...entry, publisher: { ...entry.publisher, endpoints } };
}

/** The message that carries a route change down toward its subscriber. */
export function routeMessage(c: RouteChange): RouteAdded | RouteRemoved {
  return c.kind === 'add'
    ? new RouteAdded({ searchId: c.search.id, listing: listingInfo(c.listing), level: c.level })
    : new RouteRemoved({ searchId: c.search.id, listingId: c.listing.id, level: c.level });
}
