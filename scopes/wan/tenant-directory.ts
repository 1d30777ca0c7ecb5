/**
 * One tenant's WAN directory, as an actor on that tenant's node in the
 * relay: it takes the links of the tenant's sites (each known by the key it
 * proved), passes their directory messages to the tenant's {@link WanBook}
 * and sends its answers. A site that connects again replaces its old link;
 * a revoked site is cut. `DirectoryEnquiry` and `NetworkEnquiry` (a site's
 * directory asking for `callsign network` or the view) are answered with the
 * tenant's own directory and sites only.
 *
 * @module
 */
import {
  Abandoned,
  Accepted,
  type ActorAddress,
  type ActorContext,
  Closed,
  close,
  defineMessage,
  Listening,
  listen,
  NotListening,
  Stop,
  t,
} from '../../src/index.ts';
import {
  DirectoryEnquiry,
  DirectoryReport,
  GatheredDirectory,
  listingInfo,
  NetworkEnquiry,
  NetworkReport,
  searchInfo,
  WanSiteReport,
  WanTenantReport,
} from '../../src/internal.ts';
import { SharedChanged, type SharedDirectory, SharedTick } from './state/shared-directory.ts';
import type { WanBook } from './wan-book.ts';

/** The relay → a tenant's directory: end the link of `site` (revoked). */
export class CutSite extends defineMessage('callsign.wan.CutSite', { site: t.string }) {}

/** Settings of {@link tenantDirectory}. */
export interface TenantDirectorySettings {
  readonly book: WanBook;
  /** Where the tenant's node listens for its sites (`wan-sites:<tenant>`). */
  readonly endpoint: string;
  /** The site whose key (base64) this is, if it is one of the tenant's. */
  siteOfKey(key: string): string | undefined;
  /** How the relay is reached, for reports. */
  readonly url: string;
  /** The tenant's sites now (invited, whether connected or not), for reports. */
  sites?(): Iterable<{ readonly name: string; readonly invited: string }>;
  /** The directory shared with the other relays of a cluster (`--nats`), if any. */
  readonly shared?: SharedDirectory;
}

interface SiteLink {
  readonly id: string;
  readonly site: string;
  readonly address: ActorAddress;
  /** When it connected (ISO 8601). */
  readonly since: string;
}

/** A tenant's WAN directory: see the module. */
export async function tenantDirectory(
  self: ActorContext,
  settings: TenantDirectorySettings,
): Promise<unknown> {
  const { book, shared } = settings;
  listen(self, settings.endpoint);
  const l = await self.select(Listening, NotListening);
  if (l instanceof NotListening)
    throw new Error(`cannot listen on ${settings.endpoint}: ${l.reason}`);
  const byAddress = new Map<ActorAddress, SiteLink>();
  const byId = new Map<string, SiteLink>();
  const bySite = new Map<string, SiteLink>();
  let seq = 0;

  const deliver = (deliveries: ReturnType<WanBook['handle']>) => {
    for (const d of deliveries) {
      const link = byId.get(d.link);
      if (link) self.send(d.message, link.address);
    }
  };
  const drop = (link: SiteLink, gone = true) => {
    byAddress.delete(link.address);
    byId.delete(link.id);
    if (bySite.get(link.site) === link) bySite.delete(link.site);
    deliver(book.removeLink(link.id));
    if (gone && !bySite.has(link.site)) shared?.localGone(link.site);
    self.console(`site ${link.site} of ${book.tenant} left`);
  };
  const report = () => {
    const listings = [...book.table.listings()].map(([, e]) => listingInfo(e));
    const searches = [...book.table.searches()].map(([, e]) => searchInfo(e));
    return new DirectoryReport({
      level: 'wan',
      endpoint: settings.url,
      children: [...bySite.keys()].sort().map((site) => `site ${site}`),
      listings,
      searches,
      routes: book.table.stats().routes,
      counters: {},
    });
  };

  for (;;) {
    const m = await self.select();
    const from = self.returnAddress;
    if (m instanceof Stop) break;
    try {
      if (m instanceof Accepted && from) {
        const site = settings.siteOfKey(m.peerKey);
        if (!site) {
          close(self, from, 'not a site of this tenant');
          continue;
        }
        const before = bySite.get(site);
        if (before) {
          close(self, before.address, 'the site connected again');
          drop(before, false);
        }
        const since = new Date().toISOString();
        const link: SiteLink = { id: `site-${++seq}`, site, address: from, since };
        byAddress.set(from, link);
        byId.set(link.id, link);
        bySite.set(site, link);
        if (shared) deliver(shared.siteJoined(site, since));
        book.addLink(link.id, site);
        self.console(`site ${site} of ${book.tenant} joined${m.remote ? ` from ${m.remote}` : ''}`);
      } else if ((m instanceof Abandoned || m instanceof Closed) && from) {
        const link = byAddress.get(from);
        if (link) drop(link);
      } else if (m instanceof CutSite && !from) {
        const link = bySite.get(m.site);
        if (link) {
          close(self, link.address, 'the site was revoked');
          drop(link);
        }
      } else if (m instanceof SharedChanged && !from && shared) {
        deliver(shared.changed(m.key, m.value, Date.now()));
      } else if (m instanceof SharedTick && !from && shared) {
        deliver(shared.tick(Date.now()));
      } else if (m instanceof DirectoryEnquiry && from) {
        self.send(report(), from);
      } else if (m instanceof NetworkEnquiry && from && byAddress.has(from)) {
        const sites = [...(settings.sites?.() ?? [])].map((s) => {
          const link = bySite.get(s.name);
          const there = link ? undefined : shared?.elsewhere(s.name);
          return new WanSiteReport({
            name: s.name,
            invited: s.invited,
            connected: link !== undefined || there !== undefined,
            connectedSince: link?.since ?? there?.since,
            // Which relay, only where there are several.
            relay: link ? (shared ? settings.url : undefined) : there?.relay,
          });
        });
        sites.sort((x, y) => x.name.localeCompare(y.name));
        const wan = new WanTenantReport({ tenant: book.tenant, sites });
        const own = new GatheredDirectory({ under: '', report: report(), wan });
        self.send(new NetworkReport({ id: m.id, directories: [own], nodes: [], silent: [] }), from);
      } else if (from) {
        const link = byAddress.get(from);
        if (link) {
          deliver(book.handle(link.id, m));
          shared?.localChanged(link.site, link.id);
        }
      }
    } catch (err) {
      self.warning(`${m.constructor.name}: ${(err as Error).message}`);
    }
  }
  return { tenant: book.tenant };
}
