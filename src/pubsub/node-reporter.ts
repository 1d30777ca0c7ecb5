/**
 * How a node's directory actor answers {@link NetworkEnquiry}: with its
 * listings, searches and sessions (and their traffic, while metered), its
 * connections and counters, as a {@link NetworkReport} of one node. It also
 * keeps the metering lease (session-meters.ts) on the node's clock.
 *
 * @module
 */
import {
  countersOf,
  GatheredNode,
  NetworkEnquiry,
  NetworkReport,
  NodeListing,
  NodeReport,
  NodeSearch,
} from '../directory/network-report.ts';
import { defineMessage } from '../messages/index.ts';
import type { Message } from '../messages/registry.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { transportStatus } from '../transport/transport.ts';
import type { ProcessDirectory } from './process-directory.ts';
import { SessionMeters } from './session-meters.ts';

/** The directory actor's reminder to itself that the metering lease may have lapsed. */
export class MeteringDue extends defineMessage('callsign.pubsub.MeteringDue', {}) {}

/** What a {@link NodeReporter} reports of. */
export interface NodeReporterInit {
  readonly core: ProcessDirectory;
  readonly where: string;
  readonly nodeId: string;
}

/** See the module. */
export class NodeReporter {
  readonly #self: ActorContext;
  readonly #init: NodeReporterInit;
  readonly #meters = new SessionMeters();
  #timer: unknown;

  constructor(self: ActorContext, init: NodeReporterInit) {
    this.#self = self;
    this.#init = init;
  }

  /** Handles `m` if it is the reporter's; true when it was. */
  handle(m: Message, from: ActorAddress | undefined): boolean {
    if (m instanceof NetworkEnquiry && from) {
      const now = this.#self.node.clock.now();
      if (m.meter && this.#meters.renew(now)) this.#schedule(now);
      this.#self.send(this.report(m.id, now), from);
      return true;
    }
    if (m instanceof MeteringDue && from?.equals(this.#self.address)) {
      const now = this.#self.node.clock.now();
      if (!this.#meters.lapse(now)) this.#schedule(now);
      return true;
    }
    return false;
  }

  /** The node's report, as the answer to enquiry `id`. */
  report(id: number, now: number): NetworkReport {
    const { core, where, nodeId } = this.#init;
    const node = this.#self.node;
    const transport = transportStatus(node);
    const report = new NodeReport({
      where,
      nodeId,
      listings: [...core.entries.listings()].map(
        (l) =>
          new NodeListing({
            id: l.entry.id,
            name: l.entry.name,
            scope: l.entry.scope,
            subscribers: l.subscribers,
            answer: l.answer,
          }),
      ),
      searches: [...core.entries.searches()].map(
        (s) => new NodeSearch({ id: s.entry.id, search: s.text, scope: s.entry.scope }),
      ),
      sessions: this.#meters.reports(core.sessions.all(), now),
      meteredMs: this.#meters.meteredMs(now),
      connections: transport.connections,
      waiting: transport.waiting,
      counters: countersOf(node.counters),
    });
    return new NetworkReport({
      id,
      directories: [],
      nodes: [new GatheredNode({ under: '', report })],
      silent: [],
    });
  }

  /** Stops the lease timer (the directory actor stops). */
  stop(): void {
    this.#self.node.clock.clear(this.#timer);
    this.#meters.lapse(Number.POSITIVE_INFINITY);
  }

  #schedule(now: number): void {
    const node = this.#self.node;
    const self = this.#self.address;
    const ms = (this.#meters.until ?? now) - now;
    this.#timer = node.clock.after(ms, () => node.send(new MeteringDue(), self, self));
  }
}
