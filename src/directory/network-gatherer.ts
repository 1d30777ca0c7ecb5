/**
 * The actor side of a directory's network reports: it hears
 * {@link NetworkEnquiry}, asks the directory's links, sets the deadline on
 * the node's clock, and sends the {@link NetworkReport} that
 * {@link Gatherings} decides. Only links that have synced are asked (node
 * directories and directories below; not a command that merely connected).
 * When the enquiry says `above`, the directory above is asked too if it is
 * reached through a transport of its own (a WAN directory behind the
 * relay, which only this site's directory may reach): its own report only.
 *
 * @module
 */
import type { Message } from '../messages/registry.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { parseEndpoint } from '../transport/endpoint.ts';
import { type AskedLink, deadlineBelow, type Finished, Gatherings } from './gatherings.ts';
import { GatheringDue, NetworkEnquiry, NetworkReport } from './network-report.ts';
import type { DirectoryReport } from './protocol.ts';

/** No gathering waits longer than this, whatever the enquiry asks. */
export const MAX_GATHERING_MS = 10_000;

/** A link as the gatherer needs it. */
export interface GathererLink {
  readonly id: string;
  readonly address: ActorAddress;
  readonly where: string;
  /** True once it sent its tables (it is a directory or a node's directory, which answer). */
  readonly synced: boolean;
}

/** What a {@link NetworkGatherer} needs of its directory. */
export interface NetworkGathererInit {
  /** The directory's endpoint, as its report gives it. */
  readonly endpoint: string;
  /** The directory's own report now. */
  report(): DirectoryReport;
  /** Its links now. */
  links(): Iterable<GathererLink>;
  /** The link at `address`, if it is one. */
  linkAt(address: ActorAddress): GathererLink | undefined;
  /** The directory above while connected to it: its address and endpoint. */
  parent?(): { readonly address: ActorAddress; readonly endpoint: string } | undefined;
}

/** The id the directory above has among a gathering's links. */
const ABOVE = 'above';

/**
 * True when `endpoint` is not one of the core transports' (unix, tcp, ws),
 * but of a transport a scope registered (`wan:<access file>`): only the
 * directory that holds the link can reach what is there.
 */
export function reachedOnlyFromHere(endpoint: string): boolean {
  try {
    parseEndpoint(endpoint);
    return false;
  } catch {
    return true;
  }
}

/** See the module. */
export class NetworkGatherer {
  readonly #self: ActorContext;
  readonly #init: NetworkGathererInit;
  readonly #gatherings: Gatherings<ActorAddress>;
  readonly #timers = new Map<number, unknown>();

  constructor(self: ActorContext, init: NetworkGathererInit) {
    this.#self = self;
    this.#init = init;
    this.#gatherings = new Gatherings(init.endpoint);
  }

  /** Handles `m` if it is the gatherer's; true when it was. */
  handle(m: Message, from: ActorAddress | undefined): boolean {
    if (from === undefined) return false;
    if (m instanceof NetworkEnquiry) {
      this.#ask(m, from);
      return true;
    }
    if (m instanceof NetworkReport) {
      const link = this.#init.linkAt(from);
      if (link) this.#send(this.#gatherings.answered(m.id, link.id, m));
      else if (this.#init.parent?.()?.address.equals(from)) {
        this.#send(this.#gatherings.answered(m.id, ABOVE, m));
      }
      return true;
    }
    if (m instanceof GatheringDue && from.equals(this.#self.address)) {
      this.#timers.delete(m.id);
      this.#send(this.#gatherings.due(m.id));
      return true;
    }
    return false;
  }

  /** Link `linkId` went away: stop waiting for it. */
  linkGone(linkId: string): void {
    for (const f of this.#gatherings.linkGone(linkId)) this.#send(f);
  }

  /** Cancels the deadlines (the directory stops). */
  stop(): void {
    for (const timer of this.#timers.values()) this.#self.node.clock.clear(timer);
    this.#timers.clear();
  }

  #ask(m: NetworkEnquiry, asker: ActorAddress): void {
    const links: (AskedLink & { address: ActorAddress })[] = [...this.#init.links()].filter(
      (l) => l.synced && !l.address.equals(asker),
    );
    const parent = m.above === true ? this.#init.parent?.() : undefined;
    if (parent && !parent.address.equals(asker) && reachedOnlyFromHere(parent.endpoint)) {
      links.push({ id: ABOVE, address: parent.address, where: parent.endpoint, above: true });
    }
    const started = this.#gatherings.start(asker, m.id, this.#init.report(), links);
    if (started.kind === 'done') {
      this.#send(started.finished);
      return;
    }
    const below = new NetworkEnquiry({
      id: started.id,
      deadlineMs: deadlineBelow(m.deadlineMs),
      meter: m.meter,
    });
    for (const l of links) this.#self.send(below, l.address);
    const node = this.#self.node;
    const due = new GatheringDue({ id: started.id });
    const ms = Math.min(m.deadlineMs, MAX_GATHERING_MS);
    this.#timers.set(
      started.id,
      node.clock.after(ms, () => node.send(due, this.#self.address, this.#self.address)),
    );
  }

  #send(finished: Finished<ActorAddress> | undefined): void {
    if (finished === undefined) return;
    if (finished.gathering !== undefined) {
      this.#self.node.clock.clear(this.#timers.get(finished.gathering));
      this.#timers.delete(finished.gathering);
    }
    this.#self.send(finished.report, finished.to);
  }
}
