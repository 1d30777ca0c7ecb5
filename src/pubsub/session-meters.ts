/**
 * A node's sessions as it reports them to whoever watches the network
 * (network-report.ts), with their traffic. Traffic is counted only while
 * someone watches: an enquiry with `meter` puts a {@link TrafficMeter} on the
 * connection of each session for a lease of {@link METER_LEASE_MS}, which
 * each such enquiry renews; when the lease lapses the meters come off and
 * the hot path is as before.
 *
 * @module
 */
import { SessionReport } from '../directory/network-report.ts';
import type { ActorAddress } from '../runtime/address.ts';
import { Connection } from '../transport/connection.ts';
import { TrafficMeter } from '../transport/traffic-meter.ts';
import type { Session } from './session-book.ts';

/** How long metering lasts after the last enquiry that asked for it, in ms. */
export const METER_LEASE_MS = 60_000;

/** The traffic of a node's sessions; see the module. */
export class SessionMeters {
  #since = 0;
  #until: number | undefined;
  readonly #metered = new Set<Connection>();

  /** True while the lease runs. */
  get on(): boolean {
    return this.#until !== undefined;
  }

  /** When the lease ends (on the node's clock), while it runs. */
  get until(): number | undefined {
    return this.#until;
  }

  /** How long traffic has been counted at `now`, in ms (0 when it is not). */
  meteredMs(now: number): number {
    return this.#until === undefined ? 0 : Math.max(0, Math.round(now - this.#since));
  }

  /** Someone watches at `now`: metering starts or lasts longer. True when it has just started. */
  renew(now: number): boolean {
    const started = this.#until === undefined;
    if (started) this.#since = now;
    this.#until = now + METER_LEASE_MS;
    return started;
  }

  /** True when the lease has lapsed at `now`: the meters are off then. */
  lapse(now: number): boolean {
    if (this.#until === undefined) return true;
    if (now < this.#until) return false;
    this.#until = undefined;
    for (const c of this.#metered) c.meter = undefined;
    this.#metered.clear();
    return true;
  }

  /** Reports `sessions`; while metering, the connections of those that cross one get a meter. */
  reports(sessions: Iterable<Session>, now: number): SessionReport[] {
    for (const c of this.#metered) if (c.closed) this.#metered.delete(c);
    const out: SessionReport[] = [];
    for (const s of sessions) out.push(this.#report(s, now));
    return out;
  }

  #report(s: Session, now: number): SessionReport {
    const local = s.side === 'publisher' ? s.publisher : s.subscriber;
    const remote: ActorAddress | undefined = s.side === 'subscriber' ? s.publisher : s.subscriber;
    const channel = s.side === 'both' ? undefined : remote?.channel;
    const connection = channel instanceof Connection ? channel : undefined;
    let meter = connection?.meter;
    if (this.on && connection && !connection.closed && meter === undefined) {
      meter = new TrafficMeter(now);
      connection.meter = meter;
      this.#metered.add(connection);
    }
    const t = meter && local && remote ? meter.between(local.id, remote.id) : undefined;
    const toSubscriber = s.side === 'subscriber' ? 'In' : 'Out';
    const toPublisher = s.side === 'subscriber' ? 'Out' : 'In';
    return new SessionReport({
      id: s.id,
      name: s.name,
      listingId: s.listingId,
      search: s.search,
      level: s.level,
      side: s.side,
      open: s.open,
      publisherWhere: s.publisherWhere,
      ...(connection ? { peerNode: connection.label } : {}),
      metered: t !== undefined,
      messagesToSubscriber: t?.[`messages${toSubscriber}`] ?? 0,
      bytesToSubscriber: t?.[`bytes${toSubscriber}`] ?? 0,
      messagesToPublisher: t?.[`messages${toPublisher}`] ?? 0,
      bytesToPublisher: t?.[`bytes${toPublisher}`] ?? 0,
    });
  }
}
