/**
 * Counts what goes over one connection between each pair of actors (a local
 * one and one of the peer's): messages and bytes each way. A connection
 * carries a meter only while someone watches (`callsign view`, `callsign
 * network --sample`): without one, the hot path pays one field read per
 * message and nothing else.
 *
 * @module
 */

/** What went between one local actor and one of the peer's since metering began. */
export interface PairTraffic {
  /** From the local actor to the remote one. */
  messagesOut: number;
  bytesOut: number;
  /** From the remote actor to the local one. */
  messagesIn: number;
  bytesIn: number;
}

/** At most this many pairs are counted per connection; traffic of others goes to {@link TrafficMeter.untracked}. */
export const MAX_METERED_PAIRS = 4096;

const NONE: Readonly<PairTraffic> = Object.freeze({
  messagesOut: 0,
  bytesOut: 0,
  messagesIn: 0,
  bytesIn: 0,
});

/** The traffic of one connection by pair of actors; see the module. */
export class TrafficMeter {
  /** When metering began, on the node's clock (ms). */
  readonly since: number;
  /** Local actor id → remote actor id → traffic. */
  readonly #pairs = new Map<number, Map<number, PairTraffic>>();
  #count = 0;
  /** Messages between pairs beyond {@link MAX_METERED_PAIRS}. */
  untracked = 0;

  constructor(since: number) {
    this.since = since;
  }

  /** A message of `bytes` went from local actor `from` to the peer's actor `to`. */
  sent(from: number, to: number, bytes: number): void {
    const p = this.#pair(from, to);
    if (p === undefined) return;
    p.messagesOut++;
    p.bytesOut += bytes;
  }

  /** A message of `bytes` came from the peer's actor `from` to local actor `to`. */
  received(to: number, from: number, bytes: number): void {
    const p = this.#pair(to, from);
    if (p === undefined) return;
    p.messagesIn++;
    p.bytesIn += bytes;
  }

  /** What went between local actor `local` and the peer's actor `remote` (zeros if nothing). */
  between(local: number, remote: number): Readonly<PairTraffic> {
    return this.#pairs.get(local)?.get(remote) ?? NONE;
  }

  /** Every pair counted: local actor id, remote actor id, and their traffic. */
  *pairs(): IterableIterator<[number, number, Readonly<PairTraffic>]> {
    for (const [local, byRemote] of this.#pairs) {
      for (const [remote, p] of byRemote) yield [local, remote, p];
    }
  }

  #pair(local: number, remote: number): PairTraffic | undefined {
    let byRemote = this.#pairs.get(local);
    if (byRemote === undefined) {
      if (this.#count >= MAX_METERED_PAIRS) {
        this.untracked++;
        return undefined;
      }
      byRemote = new Map();
      this.#pairs.set(local, byRemote);
    }
    let p = byRemote.get(remote);
    if (p === undefined) {
      if (this.#count >= MAX_METERED_PAIRS) {
        this.untracked++;
        return undefined;
      }
      p = { messagesOut: 0, bytesOut: 0, messagesIn: 0, bytesIn: 0 };
      byRemote.set(remote, p);
      this.#count++;
    }
    return p;
  }
}
