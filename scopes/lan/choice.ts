/**
 * Which LAN directory a host uses, as a pure function of what mDNS has shown:
 * no sockets, no timers, so it is unit-tested on its own (test/unit/lan/).
 * The finder (finder.ts) feeds it; docs/lan.md explains the rules.
 */
import { isIPv4 } from 'node:net';

/** The DNS-SD service type of a LAN directory (`_callsign-lan._tcp.local`). */
export const LAN_SERVICE_TYPE = 'callsign-lan';

/** The start of every LAN directory's DNS-SD instance name: `callsign-lan-<id>`. */
export const LAN_SERVICE_PREFIX = 'callsign-lan-';

/** The version of the announcement (TXT `v`) this code understands. */
export const LAN_ANNOUNCE_VERSION = '1';

/** A LAN directory id: what it is told apart by, and what the choice sorts on. */
export const LAN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * Codes with which a connection to an announced LAN directory fails when it
 * is not one of this realm (it announces the public fingerprint without the
 * secret) or cannot complete the realm handshake: such an announcement is
 * passed over for much longer than one that merely did not answer.
 */
const HANDSHAKE_FAILURES: ReadonlySet<string> = new Set([
  'ERR_WRONG_REALM',
  'ERR_HANDSHAKE_FAILED',
  'ERR_PROTOCOL_VERSION',
  'ERR_PEER_KEY_MISMATCH',
  'ERR_PEER_NOT_TRUSTED',
]);

/** True when a connection failed with `code` because the realm handshake did not complete. */
export function failedHandshake(code: string | undefined): boolean {
  return code !== undefined && HANDSHAKE_FAILURES.has(code);
}

/**
 * How long an endpoint whose handshake failed `times` times in a row is
 * passed over: `baseMs`, doubling each time, at most `maxMs`.
 */
export function distrustMs(times: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, times - 1));
}

/** A LAN directory as the finder saw it announced. */
export interface LanCandidate {
  /** Its `id` (TXT), the sort key of the choice. */
  id: string;
  /** The realm fingerprint it announced (TXT `realm`). */
  realm: string;
  /** The announcement's version (TXT `v`). */
  version: string;
  /** The IPv4 address it was seen at, if any. */
  address: string | undefined;
  /** Its TCP port (SRV). */
  port: number;
  /** When it last answered a query (ms, the finder's clock); `Infinity` when unknown. */
  lastSeen: number;
}

/** What the choice takes into account besides the candidates. */
export interface LanChoiceContext {
  /** The fingerprint of this host's realm: candidates of other realms are ignored. */
  fingerprint: string;
  /** Endpoints set aside after a failed or lost connection, with when they come back (ms). */
  setAside: ReadonlyMap<string, number>;
  /** Now, on the same clock as `lastSeen` and `setAside`. */
  now: number;
  /** A candidate not heard from for longer than this is only used when no fresh one is. */
  staleAfterMs: number;
}

/** The endpoint (`address:port`) a candidate is connected to at, if it has one. */
export function candidateEndpoint(c: Pick<LanCandidate, 'address' | 'port'>): string | undefined {
  if (c.address === undefined || !isIPv4(c.address)) return undefined;
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) return undefined;
  return `${c.address}:${c.port}`;
}

/** True when `c` is a LAN directory of this realm, in a version understood, with an endpoint. */
export function isOfRealm(c: LanCandidate, fingerprint: string): boolean {
  return (
    c.realm === fingerprint &&
    c.version === LAN_ANNOUNCE_VERSION &&
    LAN_ID_PATTERN.test(c.id) &&
    candidateEndpoint(c) !== undefined
  );
}

/** True when `c` answered within `staleAfterMs`. */
export function isFresh(c: LanCandidate, ctx: Pick<LanChoiceContext, 'now' | 'staleAfterMs'>) {
  return ctx.now - c.lastSeen <= ctx.staleAfterMs;
}

/** True when `c`'s endpoint is set aside now. */
export function isSetAside(c: LanCandidate, ctx: Pick<LanChoiceContext, 'setAside' | 'now'>) {
  const endpoint = candidateEndpoint(c);
  const until = endpoint === undefined ? undefined : ctx.setAside.get(endpoint);
  return until !== undefined && until > ctx.now;
}

/** Orders ids by UTF-16 code units, the same on every host whatever its locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The LAN directory to connect to now: among the candidates of this realm
 * that are not set aside, those that answered recently first, then the
 * lowest `id` (ties by endpoint). Every host that sees the same directories
 * picks the same one. `undefined` when there is none.
 */
export function chooseLanDirectory(
  candidates: Iterable<LanCandidate>,
  ctx: LanChoiceContext,
): LanCandidate | undefined {
  let best: LanCandidate | undefined;
  let bestFresh = false;
  for (const c of candidates) {
    if (!isOfRealm(c, ctx.fingerprint) || isSetAside(c, ctx)) continue;
    const fresh = isFresh(c, ctx);
    if (best === undefined || (fresh && !bestFresh)) {
      best = c;
      bestFresh = fresh;
      continue;
    }
    if (fresh !== bestFresh) continue;
    const order =
      compareIds(c.id, best.id) ||
      compareIds(candidateEndpoint(c) ?? '', candidateEndpoint(best) ?? '');
    if (order < 0) best = c;
  }
  return best;
}
