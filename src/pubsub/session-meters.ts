/**
 * A node's sessions as it reports them to whoever watches the network
 * (network-report.ts), with their traffic. Traffic is counted only while
 * someone watches: an enquiry with `meter` puts a {@link TrafficMeter} on the
 * connection of each session for a lease of {@link METER_LEASE_MS}, which
 * each such enquiry renews; when the lease lapses the meters come off and
 * the hot path is as before.
 *
 * A session's traffic is what goes between its two actors, and also what
 * goes between one of them and another actor of the other node that no
 * session of the connection joins, when only this session has that end (a
 * stream's deliveries come from an actor of the stream server other than
 * the one that published the stream's listing, to the consumer's link).
 *
 * @module
 */
import { SessionReport } from '../directory/network-report.ts';
import type { ActorAddress } from '../runtime/address.ts';
import { Connection } from '../transport/connection.ts';
import { type PairTraffic, TrafficMeter } from '../transport/traffic-meter.ts';
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
    const ends = [...sessions].map((s) => this.#ends(s, now));
    const extra = strayTraffic(ends);
    return ends.map((e) => report(e, extra.get(e)));
  }

  #ends(s: Session, now: number): Ends {
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
    return { s, local, remote, connection, meter };
  }
}

/** A session with its two ends and the meter of the connection between them, if any. */
interface Ends {
  readonly s: Session;
  readonly local: ActorAddress | undefined;
  readonly remote: ActorAddress | undefined;
  readonly connection: Connection | undefined;
  readonly meter: TrafficMeter | undefined;
}

const zero = (): PairTraffic => ({ messagesOut: 0, bytesOut: 0, messagesIn: 0, bytesIn: 0 });

/**
 * The traffic of each metered connection between pairs of actors that no
 * session joins, given to the one session that shares an end with the pair
 * (none when several do: it is not known whose it is).
 */
function strayTraffic(ends: readonly Ends[]): Map<Ends, PairTraffic> {
  const byMeter = new Map<TrafficMeter, Ends[]>();
  for (const e of ends) {
    if (!e.meter || !e.local || !e.remote) continue;
    const list = byMeter.get(e.meter);
    if (list) list.push(e);
    else byMeter.set(e.meter, [e]);
  }
  const out = new Map<Ends, PairTraffic>();
  for (const [meter, list] of byMeter) {
    const joined = new Set(list.map((e) => `${e.local?.id} ${e.remote?.id}`));
    for (const [local, remote, p] of meter.pairs()) {
      if (joined.has(`${local} ${remote}`)) continue;
      const sharing = list.filter((e) => e.local?.id === local || e.remote?.id === remote);
      const [only] = sharing;
      if (only === undefined || sharing.length > 1) continue;
      const sum = out.get(only) ?? zero();
      sum.messagesOut += p.messagesOut;
      sum.bytesOut += p.bytesOut;
      sum.messagesIn += p.messagesIn;
      sum.bytesIn += p.bytesIn;
      out.set(only, sum);
    }
  }
  return out;
}

function report(e: Ends, extra: PairTraffic | undefined): SessionReport {
  const { s, local, remote, connection, meter } = e;
  const t = meter && local && remote ? meter.between(local.id, remote.id) : undefined;
  const out = (t?.messagesOut ?? 0) + (extra?.messagesOut ?? 0);
  const bytesOut = (t?.bytesOut ?? 0) + (extra?.bytesOut ?? 0);
  const into = (t?.messagesIn ?? 0) + (extra?.messagesIn ?? 0);
  const bytesIn = (t?.bytesIn ?? 0) + (extra?.bytesIn ?? 0);
  const subscriberHere = s.side === 'subscriber';
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
    messagesToSubscriber: subscriberHere ? into : out,
    bytesToSubscriber: subscriberHere ? bytesIn : bytesOut,
    messagesToPublisher: subscriberHere ? out : into,
    bytesToPublisher: subscriberHere ? bytesOut : bytesIn,
  });
}
