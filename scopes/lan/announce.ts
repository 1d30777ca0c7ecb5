/**
 * Announces a LAN directory on the LAN with DNS-SD over mDNS (bonjour-service):
 * service type `_callsign-lan._tcp`, instance `callsign-lan-<id>`, TXT
 * `{ realm: <fingerprint>, id, v: '1' }`. Only the realm's public
 * fingerprint is announced, never its secret. docs/lan.md.
 */
import { randomBytes } from 'node:crypto';
import { Bonjour } from 'bonjour-service';
import {
  LAN_ANNOUNCE_VERSION,
  LAN_ID_PATTERN,
  LAN_SERVICE_PREFIX,
  LAN_SERVICE_TYPE,
} from './choice.ts';

/** Options of {@link announceLanDirectory}. */
export interface AnnounceLanInit {
  /** The TCP port the LAN directory listens on. */
  port: number;
  /** The realm's fingerprint (`realmFingerprint(realm)`). */
  fingerprint: string;
  /** The directory's id (`[a-z0-9][a-z0-9-]{0,39}`); see {@link newLanDirectoryId}. */
  id: string;
  /** An mDNS instance to use (not destroyed by stop); a new one by default. */
  bonjour?: Bonjour;
  /** Told about mDNS socket errors (which bonjour-service would otherwise throw or swallow). */
  onError?: (err: Error) => void;
}

/** A running announcement. */
export interface LanAnnouncement {
  /** The DNS-SD instance name, `callsign-lan-<id>`. */
  readonly name: string;
  /**
   * Withdraws the announcement with an mDNS goodbye (TTL 0), so that
   * browsers drop it at once; then closes the mDNS socket if it made it.
   * Safe to call twice.
   */
  stop(): Promise<void>;
}

/** How long stop() waits for the goodbye to be sent. */
const GOODBYE_MS = 1_000;

/**
 * A fresh LAN directory id: its start time (base 36, fixed width) and 6 random
 * hex digits. Ids sort by start time, so when several LAN directories of a
 * realm run, hosts prefer the one that has run longest, and a directory that
 * is restarted does not take the hosts back from the one they moved to.
 */
export function newLanDirectoryId(now: number = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Publishes the LAN directory listening on `port` on the LAN.
 *
 * @throws RangeError for a bad port or id.
 */
export function announceLanDirectory(init: AnnounceLanInit): LanAnnouncement {
  const { port, fingerprint, id } = init;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`a LAN directory port must be 1 to 65535, not ${port}`);
  }
  if (!LAN_ID_PATTERN.test(id)) {
    throw new RangeError(`bad LAN directory id ${JSON.stringify(id)} (want ${LAN_ID_PATTERN})`);
  }
  const onError = distinctErrors(init.onError ?? (() => {}));
  const owned = init.bonjour === undefined;
  // Errors of answers to queries go to the callback (bonjour-service throws them without one).
  const bonjour = init.bonjour ?? new Bonjour({}, onError);
  if (owned) watchErrors(bonjour, onError);
  const name = `${LAN_SERVICE_PREFIX}${id}`;
  const service = bonjour.publish({
    name,
    type: LAN_SERVICE_TYPE,
    protocol: 'tcp',
    port,
    // A host name of its own: hosts that share a hostname (containers,
    // namespaces) do not answer for each other's addresses.
    host: `${name}.local`,
    txt: { realm: fingerprint, id, v: LAN_ANNOUNCE_VERSION },
    // The id is unique: no need to spend ~0.75 s probing for the name.
    probe: false,
    disableIPv6: true,
  });
  let stopped: Promise<void> | undefined;
  return {
    name,
    stop() {
      stopped ??= (async () => {
        await withinMs(
          GOODBYE_MS,
          new Promise<void>((resolve) => {
            service.stop(() => resolve());
          }),
        );
        if (owned) await withinMs(GOODBYE_MS, new Promise<void>((r) => bonjour.destroy(() => r())));
      })();
      return stopped;
    },
  };
}

/**
 * multicast-dns emits `error` (EADDRINUSE, EACCES, bind failures), which
 * would crash the process with nobody listening, and `warning` (a membership
 * it cannot add); both go to `onError`. The socket is a private field of
 * bonjour-service 1.4; if its shape ever changes this does nothing.
 */
export function watchErrors(bonjour: Bonjour, onError: (err: Error) => void): void {
  const mdns = mdnsOf(bonjour);
  if (!mdns) return;
  mdns.on('error', (err: unknown) => onError(asError(err)));
  mdns.on('warning', (err: unknown) => onError(asError(err)));
}

/**
 * `onError`, told each distinct error once: mDNS failures repeat at every
 * query or answer (ENETUNREACH without a multicast route), and multicast-dns
 * repeats its warnings every 5 s.
 */
export function distinctErrors(onError: (err: Error) => void): (err: unknown) => void {
  const told = new Set<string>();
  return (err) => {
    const error = asError(err);
    if (told.has(error.message) || told.size >= 64) return;
    told.add(error.message);
    onError(error);
  };
}

/** The multicast-dns instance inside a Bonjour (private in bonjour-service 1.4), if found. */
export function mdnsOf(bonjour: Bonjour): MdnsSocket | undefined {
  const mdns = (bonjour as unknown as { server?: { mdns?: unknown } }).server?.mdns;
  if (
    typeof mdns === 'object' &&
    mdns !== null &&
    typeof (mdns as MdnsSocket).on === 'function' &&
    typeof (mdns as MdnsSocket).removeListener === 'function'
  ) {
    return mdns as MdnsSocket;
  }
  return undefined;
}

/** The part of a multicast-dns instance used here. */
export interface MdnsSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  query?(name: string, type: string, callback: (err: unknown) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function withinMs(ms: number, p: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
