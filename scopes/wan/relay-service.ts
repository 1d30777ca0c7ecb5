/**
 * A WAN relay and directory in one process: the listener that faces the
 * internet, the forwarder of circuits between nodes, and one node per
 * tenant with that tenant's WAN directory. Tenants and sites are read from
 * the relay folder and watched, so that `callsign wan tenant add`, `invite`
 * and `revoke` take effect while it runs (a revoked site is cut at once).
 * It holds no realm secret. `callsign wan serve` runs it; tests start it in
 * their own process. docs/wan.md.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CallsignError } from '../../src/errors.ts';
import {
  type ActorAddress,
  configureTransport,
  Listening,
  type Logger,
  listen,
  Node,
  type NodeKeys,
  NotListening,
  parseEndpoint,
  Stop,
  systemClock,
} from '../../src/index.ts';
import { type LinkContext, RelayPass, relayTicket, wsLink } from '../../src/internal.ts';
import { tenantRealm } from './access.ts';
import { CircuitBook } from './circuit-book.ts';
import { Forwarder } from './forwarder.ts';
import type { RelayCluster } from './nats/cluster.ts';
import { RelayFolder, type TenantRecord } from './registry.ts';
import { type Arrival, type RelayListener, relayListen } from './relay-listener.ts';
import { SharedChanged, SharedDirectory, SharedTick } from './state/shared-directory.ts';
import { CutSite, tenantDirectory } from './tenant-directory.ts';
import { TENANT_SITES_SCHEME, TenantSites } from './tenant-sites.ts';
import { WanBook } from './wan-book.ts';

/** Options of {@link startRelay}. */
export interface RelayInit {
  /** The relay folder (tenants, sites, the relay's keys). */
  readonly dir: string;
  /** Where to listen: `host:port`. */
  readonly endpoint: string;
  /** The URLs sites and nodes reach the relay at (kept in the folder); default: the known ones. */
  readonly urls?: readonly string[];
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Told every chunk the relay reads from any socket (`--record`). */
  readonly record?: (chunk: Buffer) => void;
  readonly logger: Logger;
  /** Listener limits; defaults as docs/transport.md. */
  readonly maxConnections?: number;
  readonly maxPending?: number;
  readonly handshakeMs?: number;
  readonly maxFrameBytes?: number;
  /** How often the folder is looked at for changes, in ms. Default 500. */
  readonly watchMs?: number;
  /**
   * The cluster this relay is a member of (`--nats`): the directory's state
   * shared in its store, circuits to peers at other relays on its bus.
   * Without it the relay is alone and holds its state in memory.
   */
  readonly cluster?: Pick<RelayCluster, 'member' | 'store' | 'bus'>;
}

/** What `callsign wan tenant list` and the status file show of a tenant. */
export interface TenantStatus {
  name: string;
  sites: string[];
  connected: string[];
  sessions: number;
  circuits: number;
  listings: number;
  searches: number;
}

/** A running relay. */
export interface Relay {
  readonly endpoint: string;
  readonly urls: readonly string[];
  /** The relay's public key (base64), which sites expect. */
  readonly publicKey: string;
  status(): TenantStatus[];
  /** Bytes of DATA forwarded so far. */
  readonly forwarded: number;
  /** Circuits with an end at another relay of the cluster, now. */
  readonly remoteCircuits: number;
  stop(): Promise<void>;
}

interface TenantRuntime {
  record: TenantRecord;
  readonly node: Node;
  readonly sites: TenantSites;
  readonly book: WanBook;
  readonly directory: ActorAddress;
  /** Stops the sharing of its directory with the cluster, if it is shared. */
  readonly unshare: () => void;
}

/** The largest WebSocket message after admission: a 1 MiB sealed frame and headers. */
const DEFAULT_MAX_FRAME = (1 << 20) + 1024;

/** Starts a relay; see the module. */
export async function startRelay(init: RelayInit): Promise<Relay> {
  const folder = new RelayFolder(init.dir);
  let relay = await folder.relay(init.urls);
  const log = (level: Parameters<Logger['log']>[0], text: string) =>
    init.logger.log(level, 'wan-relay', text);
  const context: LinkContext = { clock: systemClock, log };
  const tenants = new Map<string, TenantRuntime>();
  const book = new CircuitBook((name) => {
    const l = tenants.get(name)?.record.limits;
    return l ?? { sessions: 0, circuits: 0, circuitsPerSession: 0 };
  });
  const forwarder = new Forwarder({
    context,
    book,
    tenant: (name) => tenants.get(name)?.record,
    ...(init.cluster ? { bus: init.cluster.bus } : {}),
  });
  const decoy = startDecoy(init.logger, relay.keys);

  const startTenant = async (record: TenantRecord): Promise<TenantRuntime> => {
    const node = new Node({ name: `wan-${record.name}`, logger: init.logger });
    const sites = new TenantSites();
    const runtime: Partial<TenantRuntime> & { record: TenantRecord } = { record };
    configureTransport(node, {
      realm: tenantRealm(record.name, record.secret),
      keys: relay.keys,
      transport: sites,
      maxConnections: record.limits.sites,
      trust: (key) => {
        const k = Buffer.from(key).toString('base64');
        for (const s of runtime.record.sites.values()) if (s.publicKey === k) return true;
        return false;
      },
    });
    const wanBook = new WanBook({
      tenant: record.name,
      limits: () => runtime.record.limits,
      pass: (site, peer) => {
        const s = runtime.record.sites.get(site);
        const key = s?.ticketKey ?? randomBytes(32);
        return new RelayPass({
          relays: [...relay.urls],
          tenant: record.name,
          site,
          peer,
          ticket: relayTicket(key, record.name, site, peer),
        });
      },
    });
    const cluster = init.cluster;
    const state = cluster
      ? await cluster.store.tenant(record.name, generationOf(record))
      : undefined;
    const shared =
      cluster && state
        ? new SharedDirectory({
            relay: cluster.member,
            url: relay.urls[0] ?? '',
            book: wanBook,
            state,
            ttlMs: cluster.store.ttlMs,
            warn: (text) => log('WARNING', `tenant ${record.name}: ${text}`),
          })
        : undefined;
    const directory = node.spawn(tenantDirectory, {
      ...(shared ? { shared } : {}),
      book: wanBook,
      endpoint: `${TENANT_SITES_SCHEME}:${record.name}`,
      url: relay.urls[0] ?? '',
      sites: () => runtime.record.sites.values(),
      siteOfKey: (key: string) => {
        for (const s of runtime.record.sites.values()) if (s.publicKey === key) return s.name;
        return undefined;
      },
    });
    let unshare = () => {};
    if (cluster && state) {
      const stopWatch = await state.watch((key, value) =>
        node.send(new SharedChanged(value ? { key, value } : { key }), directory),
      );
      const tick = setInterval(
        () => node.send(new SharedTick(), directory),
        Math.max(100, cluster.store.ttlMs / 3),
      );
      tick.unref();
      unshare = () => {
        clearInterval(tick);
        stopWatch();
      };
    }
    Object.assign(runtime, { node, sites, book: wanBook, directory, unshare });
    log('CONSOLE', `tenant ${record.name}: ${record.sites.size} site(s)`);
    return runtime as TenantRuntime;
  };

  /** Stops a tenant here; `removed`: its shared state goes too. */
  const stopTenant = async (t: TenantRuntime, removed = false) => {
    t.unshare();
    if (removed) await init.cluster?.store.dropTenant(t.record.name, generationOf(t.record));
    forwarder.cut(t.record.name, undefined);
    t.node.send(new Stop(), t.directory);
    await t.node.stop();
  };

  /** Applies what the folder says now: new tenants start, removed ones stop, revoked sites are cut. */
  const apply = async (records: TenantRecord[]) => {
    const seen = new Set<string>();
    for (const record of records) {
      seen.add(record.name);
      const t = tenants.get(record.name);
      if (!t) {
        tenants.set(record.name, await startTenant(record));
        continue;
      }
      if (!Buffer.from(t.record.secret).equals(Buffer.from(record.secret))) {
        // Removed and added again: a new tenant under the old name.
        tenants.delete(record.name);
        await stopTenant(t, true);
        tenants.set(record.name, await startTenant(record));
        continue;
      }
      for (const [name, site] of t.record.sites) {
        const now = record.sites.get(name);
        if (now && now.publicKey === site.publicKey) continue;
        log('CONSOLE', `site ${name} of ${record.name} revoked: cut`);
        forwarder.cut(record.name, name);
        t.node.send(new CutSite({ site: name }), t.directory);
      }
      t.record = record;
    }
    for (const [name, t] of [...tenants]) {
      if (seen.has(name)) continue;
      log('CONSOLE', `tenant ${name} removed: its sites and nodes are cut`);
      tenants.delete(name);
      await stopTenant(t, true);
    }
  };

  await apply(await folder.tenants());

  const onArrival = (a: Arrival) => {
    if (a.hello.kind === 'session') {
      forwarder.arrive(a);
      return;
    }
    const link = wsLink(a.ws, {
      context,
      socket: a.socket,
      remote: a.remote,
      guard: a.guard,
      onAuthenticated: () => a.admitted(),
    });
    // An unknown tenant meets a handshake it cannot pass, as a wrong secret would.
    const t = tenants.get(a.hello.tenant);
    const sites = t ? t.sites : decoy.sites;
    if (!sites.offer(link)) {
      const reason = `tenant ${a.hello.tenant} holds as many sites as it may`;
      log('WARNING', `a site refused: ${reason} (ERR_WAN_LIMIT)`);
      link.close(new CallsignError('ERR_WAN_LIMIT', reason));
    }
  };

  const listener: RelayListener = await relayListen(init.endpoint, {
    limits: {
      maxConnections: init.maxConnections ?? 1024,
      maxPending: init.maxPending ?? 64,
      handshakeMs: init.handshakeMs ?? 5000,
      maxFrameBytes: init.maxFrameBytes ?? DEFAULT_MAX_FRAME,
    },
    context,
    ...(init.tls ? { tls: init.tls } : {}),
    ...(init.record ? { record: init.record } : {}),
    onArrival,
  });

  if (relay.urls.length === 0) {
    // No public URL known: the address it listens on, when it is one.
    const at = parseEndpoint(listener.endpoint);
    if (at.kind === 'tcp' && at.host !== '0.0.0.0' && at.host !== '::') {
      const host = at.host.includes(':') ? `[${at.host}]` : at.host;
      relay = await folder.relay([`${init.tls ? 'wss' : 'ws'}://${host}:${at.port}/`]);
    } else {
      log(
        'WARNING',
        'no public URL is known: give --url ws://<public address>:<port>/ so that invites can name it',
      );
    }
  }

  // Watch the folder: tenant files change when the command line adds, invites or revokes.
  let stamp = await folderStamp(folder);
  let stopped = false;
  let watching: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    watching = watching.then(async () => {
      if (stopped) return;
      const now = await folderStamp(folder).catch(() => stamp);
      if (now === stamp) return;
      stamp = now;
      await apply(await folder.tenants()).catch((err: unknown) =>
        log('WARNING', `reading ${folder.tenantsDir}: ${(err as Error).message}`),
      );
    });
  }, init.watchMs ?? 500);
  timer.unref();

  return {
    endpoint: listener.endpoint,
    get urls() {
      return relay.urls;
    },
    publicKey: Buffer.from(relay.keys.publicKey).toString('base64'),
    get forwarded() {
      return forwarder.forwarded;
    },
    get remoteCircuits() {
      return forwarder.remote?.size ?? 0;
    },
    status: () =>
      [...tenants.values()].map((t) => {
        const c = book.counts(t.record.name);
        const stats = t.book.table.stats();
        return {
          name: t.record.name,
          sites: [...t.record.sites.keys()].sort(),
          connected: [...new Set(t.book.links().map(([, site]) => site))].sort(),
          sessions: c.sessions,
          circuits: c.circuits,
          listings: stats.listings,
          searches: stats.searches,
        };
      }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await watching;
      forwarder.stop();
      await listener.close();
      for (const t of tenants.values()) await stopTenant(t);
      tenants.clear();
      await decoy.node.stop();
    },
  };
}

/** Tells a tenant from one removed and added again under its name: a fingerprint of its secret. */
function generationOf(record: TenantRecord): string {
  return createHash('sha256').update(record.secret).digest('hex').slice(0, 12);
}

/** A stamp of the tenant files (names, sizes, times): it changes when any of them does. */
async function folderStamp(folder: RelayFolder): Promise<string> {
  let names: string[] = [];
  try {
    names = (await readdir(folder.tenantsDir)).filter((n) => n.endsWith('.json')).sort();
  } catch {}
  const parts: string[] = [];
  for (const n of names) {
    const s = await stat(join(folder.tenantsDir, n)).catch(() => undefined);
    if (s) parts.push(`${n}:${s.size}:${s.mtimeMs}`);
  }
  return parts.join('|');
}

/** A tenant nobody has: its handshake fails for everyone, as a wrong secret would. */
function startDecoy(logger: Logger, keys: NodeKeys): { node: Node; sites: TenantSites } {
  const node = new Node({ name: 'wan-unknown-tenant', logger });
  const sites = new TenantSites();
  configureTransport(node, {
    realm: { name: 'no tenant', secret: new Uint8Array(randomBytes(32)) },
    keys,
    transport: sites,
    trust: () => false,
  });
  node.spawn(async (self) => {
    listen(self, `${TENANT_SITES_SCHEME}:*`);
    await self.select(Listening, NotListening);
    for (;;) {
      const m = await self.select();
      if (m instanceof Stop) return;
    }
  });
  return { node, sites };
}
