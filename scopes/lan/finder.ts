/**
 * Finds the LAN directory of this host's realm with DNS-SD over mDNS
 * (bonjour-service): it browses `_callsign-lan._tcp`, keeps the directories
 * whose TXT realm is this realm's fingerprint, and answers "which one should
 * I use now" with {@link chooseLanDirectory}. docs/lan.md.
 *
 * mDNS only finds: bonjour-service never reports a crashed service gone (its
 * PTR TTL is 8 h). So the finder re-queries every `refreshMs` and notes when
 * each directory last answered (a directory that stops answering drops behind
 * those that do), and whoever connects tells it about a failed or lost
 * connection with `failed(endpoint)`, which sets the directory aside for a
 * few seconds.
 */
import { isIPv4 } from 'node:net';
import type { Bonjour, Service } from 'bonjour-service';
import { Bonjour as BonjourClass } from 'bonjour-service';
import { distinctErrors, mdnsOf, watchErrors } from './announce.ts';
import {
  candidateEndpoint,
  chooseLanDirectory,
  distrustMs,
  failedHandshake,
  isFresh,
  isOfRealm,
  isSetAside,
  LAN_SERVICE_TYPE,
  type LanCandidate,
} from './choice.ts';

/** Options of {@link lanDirectoryFinder}. */
export interface LanFinderInit {
  /** The fingerprint of this host's realm (`realmFingerprint(realm)`). */
  fingerprint: string;
  /** An mDNS instance to use (not destroyed by close); a new one by default. */
  bonjour?: Bonjour;
  /** How often to query the LAN again, in ms (default 1000). */
  refreshMs?: number;
  /** How long `failed(endpoint)` sets a directory aside, in ms (default 3000). */
  setAsideMs?: number;
  /**
   * How long a directory whose realm handshake failed (`failed(endpoint,
   * 'ERR_WRONG_REALM')`, ...) is passed over, in ms: doubling at each failure
   * in a row, up to `distrustMaxMs`. Defaults 60 000 and 600 000.
   */
  distrustMs?: number;
  distrustMaxMs?: number;
  /** A directory not heard from for this long (ms) is used only if no other is (default 5 × refreshMs). */
  staleAfterMs?: number;
  /** How long `find` waits for a directory to appear when it knows none, in ms (default 1000). */
  waitMs?: number;
  /** Told about mDNS socket errors. */
  onError?: (err: Error) => void;
  /** The time in ms, for set-asides and freshness; `Date.now` by default (tests pass their own). */
  now?: () => number;
}

/** A LAN directory the finder knows of, as `candidates()` shows it. */
export interface LanCandidateView extends LanCandidate {
  /** `address:port`, when it has an IPv4 address. */
  endpoint: string | undefined;
  /** The DNS-SD instance name. */
  name: string;
  /** Whether it is of this realm (the others are shown, never chosen). */
  sameRealm: boolean;
  /** Whether it answered within `staleAfterMs`. */
  fresh: boolean;
  /** Whether it is set aside now after a failed connection. */
  setAside: boolean;
  /** Whether `find` would answer it now. */
  chosen: boolean;
}

/** A running finder. */
export interface LanDirectoryFinder {
  /**
   * The endpoint (`address:port`) of the LAN directory to use now; when none
   * is known, waits up to `waitMs` for one to appear (less if `signal`
   * aborts), then `undefined`.
   */
  find(signal?: AbortSignal): Promise<string | undefined>;
  /**
   * A connection to `endpoint` failed or was lost (with `code`, if known):
   * set it aside for `setAsideMs`, or much longer when its realm handshake
   * failed (see `distrustMs`), so that an announcement of the realm's
   * fingerprint by someone without its secret cannot keep delaying hosts.
   */
  failed(endpoint: string, code?: string): void;
  /** A connection to `endpoint` completed its handshake: it is trusted again. */
  succeeded(endpoint: string): void;
  /** Every LAN directory seen (of any realm), lowest id first. */
  candidates(): LanCandidateView[];
  /** Stops browsing (and closes the mDNS socket if it made it). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts browsing the LAN for the LAN directories of the realm with this
 * fingerprint.
 *
 * @example
 * ```ts
 * const finder = lanDirectoryFinder({ fingerprint: realmFingerprint(realm) });
 * const endpoint = await finder.find(); // '10.0.0.5:41234' or undefined
 * ```
 */
export function lanDirectoryFinder(init: LanFinderInit): LanDirectoryFinder {
  const refreshMs = init.refreshMs ?? 1_000;
  const now = init.now ?? Date.now;
  const setAsideMs = init.setAsideMs ?? 3_000;
  const distrustBaseMs = init.distrustMs ?? 60_000;
  const distrustMaxMs = init.distrustMaxMs ?? 600_000;
  /** Endpoints whose handshake failed, and how many times in a row. */
  const distrusted = new Map<string, number>();
  const staleAfterMs = init.staleAfterMs ?? 5 * refreshMs;
  const waitMs = init.waitMs ?? 1_000;
  const onError = distinctErrors(init.onError ?? (() => {}));
  const { fingerprint } = init;
  const owned = init.bonjour === undefined;
  const bonjour = init.bonjour ?? new BonjourClass({}, onError);
  if (owned) watchErrors(bonjour, onError);

  const setAside = new Map<string, number>();
  /** What is browsed: `_callsign-lan._tcp.local`. */
  const browserName = `_${LAN_SERVICE_TYPE}._tcp.local`;
  /** fqdn (lowercase) → when a response last carried its SRV record. */
  const heard = new Map<string, number>();
  const mdns = mdnsOf(bonjour);
  const onResponse = (packet: MdnsPacket) => {
    const at = now();
    for (const rr of [...(packet?.answers ?? []), ...(packet?.additionals ?? [])]) {
      if (rr?.type !== 'SRV' || typeof rr.name !== 'string' || (rr.ttl ?? 0) <= 0) continue;
      const name = rr.name.toLowerCase();
      // Only ours: the LAN's printers and speakers answer on the same socket.
      if (name.endsWith(`.${browserName}`)) heard.set(name, at);
    }
  };
  mdns?.on('response', onResponse);

  /** Finds waiting for a directory to appear: `check` on news, `end` at close. */
  const waiters = new Set<{ check: () => void; end: () => void }>();
  const browser = bonjour.find({ type: LAN_SERVICE_TYPE, protocol: 'tcp' });
  const wake = () => {
    for (const w of waiters) w.check();
  };
  browser.on('up', wake);
  browser.on('srv-update', wake);
  browser.on('txt-update', wake);
  let lastQuery = now();
  const query = () => {
    lastQuery = now();
    // What browser.update() does, with a callback: bonjour-service drops the
    // error of a query that cannot be sent (ENETUNREACH without a multicast
    // route), and the host should say why it finds nothing.
    if (mdns?.query) mdns.query(browserName, 'PTR', (err) => err && onError(err));
    else browser.update();
  };
  const timer = setInterval(query, refreshMs);
  timer.unref();
  let closed: Promise<void> | undefined;
  let isClosed = false;

  const snapshot = (): { service: Service; candidate: LanCandidate }[] =>
    browser.services.map((service) => ({ service, candidate: toCandidate(service) }));

  function toCandidate(service: Service): LanCandidate {
    const txt = (service.txt ?? {}) as Record<string, unknown>;
    const fromResponses = service.fqdn ? heard.get(service.fqdn.toLowerCase()) : undefined;
    return {
      id: typeof txt.id === 'string' ? txt.id : '',
      realm: typeof txt.realm === 'string' ? txt.realm : '',
      version: typeof txt.v === 'string' ? txt.v : '',
      address: addressOf(service),
      port: service.port,
      lastSeen:
        mdns === undefined
          ? Number.POSITIVE_INFINITY
          : Math.max(fromResponses ?? 0, service.lastSeen ?? 0),
    };
  }

  const choose = (): string | undefined => {
    const at = now();
    for (const [endpoint, until] of setAside) if (until <= at) setAside.delete(endpoint);
    const chosen = chooseLanDirectory(
      snapshot().map((s) => s.candidate),
      { fingerprint, setAside, now: at, staleAfterMs },
    );
    return chosen && candidateEndpoint(chosen);
  };

  return {
    async find(signal) {
      if (isClosed) return undefined;
      // A directory that answered since the last query is known by now; ask
      // again anyway if it has been a while, so that the answer is current.
      if (now() - lastQuery > Math.min(250, refreshMs)) query();
      const chosen = choose();
      if (chosen !== undefined || signal?.aborted) return chosen;
      return new Promise<string | undefined>((resolve) => {
        const done = () => {
          clearTimeout(limit);
          waiters.delete(waiter);
          signal?.removeEventListener('abort', done);
          resolve(isClosed ? undefined : choose());
        };
        const waiter = {
          check: () => {
            if (choose() !== undefined) done();
          },
          end: done,
        };
        const limit = setTimeout(done, waitMs);
        limit.unref();
        waiters.add(waiter);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
    failed(endpoint, code) {
      let ms = setAsideMs;
      if (failedHandshake(code)) {
        const times = (distrusted.get(endpoint) ?? 0) + 1;
        if (distrusted.size < 1024 || distrusted.has(endpoint)) distrusted.set(endpoint, times);
        ms = Math.max(setAsideMs, distrustMs(times, distrustBaseMs, distrustMaxMs));
      }
      setAside.set(endpoint, now() + ms);
    },
    succeeded(endpoint) {
      distrusted.delete(endpoint);
    },
    candidates() {
      const at = now();
      const chosen = choose();
      return snapshot()
        .map(({ service, candidate: c }) => {
          const endpoint = candidateEndpoint(c);
          return {
            ...c,
            endpoint,
            name: service.name,
            sameRealm: isOfRealm(c, fingerprint),
            fresh: isFresh(c, { now: at, staleAfterMs }),
            setAside: isSetAside(c, { setAside, now: at }),
            chosen: endpoint !== undefined && endpoint === chosen,
          };
        })
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    close() {
      isClosed = true;
      closed ??= (async () => {
        clearInterval(timer);
        browser.stop();
        mdns?.removeListener('response', onResponse);
        for (const w of [...waiters]) w.end();
        if (owned) await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
      })();
      return closed;
    },
  };
}

/** The parts of an mDNS response read here. */
interface MdnsPacket {
  answers?: { type?: string; name?: unknown; ttl?: number }[];
  additionals?: { type?: string; name?: unknown; ttl?: number }[];
}

/**
 * Where a directory is reached: the IPv4 address its answer came from (the
 * address of the interface it answered on, so one on this LAN), else the
 * first IPv4 address it announced.
 */
function addressOf(service: Service): string | undefined {
  const from = service.referer?.address;
  if (from !== undefined && isIPv4(from)) return from;
  return service.addresses?.find((a) => isIPv4(a));
}
