import type { ListingEntry, SearchEntry } from './entries.ts';
import { ListingInfo, PublisherInfo, SearchInfo, SubscriberInfo } from './protocol.ts';

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
    regex: e.regex,
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
    regex: m.regex,
    flags: m.flags,
    scope: m.scope,
    subscriber: { nodeKey: s.nodeKey, actor: s.actor, where: s.where },
  };
}
