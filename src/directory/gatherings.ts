/**
 * The bookkeeping of a directory's network reports in progress, as pure
 * data: who asked, which links are still awaited, and what they answered.
 * What its links report is marked with this directory's endpoint (`under`),
 * so that whoever assembles the tree knows where each part hangs. See
 * network-report.ts; the actor side is network-gatherer.ts.
 *
 * @module
 */
import { GatheredDirectory, GatheredNode, NetworkReport, SilentLink } from './network-report.ts';
import type { DirectoryReport } from './protocol.ts';

/** At most this many reports are gathered at once; more are answered at once, without asking below. */
export const MAX_GATHERINGS = 8;

/** A link of the directory that may be asked: its id and how it is described. */
export interface AskedLink {
  readonly id: string;
  readonly where: string;
  /**
   * True for the directory above, asked on behalf of an asker who cannot
   * reach it: only its own report is taken, marked as above this one.
   */
  readonly above?: boolean;
}

/** A report to send: to whom, and what. */
export interface Finished<A> {
  readonly to: A;
  readonly report: NetworkReport;
  /** The gathering's own enquiry id (what its links were asked with), if links were asked. */
  readonly gathering: number | undefined;
}

interface Gathering<A> {
  readonly asker: A;
  readonly askerId: number;
  /** Link id → the link, for those not answered yet. */
  readonly waiting: Map<string, AskedLink>;
  readonly directories: GatheredDirectory[];
  readonly nodes: GatheredNode[];
  readonly silent: SilentLink[];
}

/** What {@link Gatherings.start} decided. */
export type Started<A> =
  /** Ask these links with the enquiry `id`; the report follows from their answers or the deadline. */
  | { readonly kind: 'asking'; readonly id: number; readonly links: readonly string[] }
  /** Nothing to wait for (no links, or too many gatherings open): send this now. */
  | { readonly kind: 'done'; readonly finished: Finished<A> };

/** The gatherings of one directory; `A` is how an asker is addressed. */
export class Gatherings<A> {
  readonly #endpoint: string;
  readonly #max: number;
  readonly #open = new Map<number, Gathering<A>>();
  #next = 0;

  /** `endpoint`: this directory's, as its own report says. */
  constructor(endpoint: string, max = MAX_GATHERINGS) {
    this.#endpoint = endpoint;
    this.#max = max;
  }

  /** Gatherings in progress. */
  get size(): number {
    return this.#open.size;
  }

  /** `asker` asked (enquiry `askerId`): this directory's own report is `own`, its links `links`. */
  start(asker: A, askerId: number, own: DirectoryReport, links: readonly AskedLink[]): Started<A> {
    const g: Gathering<A> = {
      asker,
      askerId,
      waiting: new Map(),
      directories: [new GatheredDirectory({ under: '', report: own })],
      nodes: [],
      silent: [],
    };
    if (links.length === 0 || this.#open.size >= this.#max) {
      // Busy: the links not asked are reported silent rather than waited for.
      for (const l of links)
        g.silent.push(new SilentLink({ under: this.#endpoint, where: l.where }));
      return { kind: 'done', finished: this.#finish(g, undefined) };
    }
    const id = ++this.#next;
    for (const l of links) g.waiting.set(l.id, l);
    this.#open.set(id, g);
    return { kind: 'asking', id, links: links.map((l) => l.id) };
  }

  /** Link `linkId` answered enquiry `id`; the finished report once it was the last one awaited. */
  answered(id: number, linkId: string, report: NetworkReport): Finished<A> | undefined {
    const g = this.#open.get(id);
    const link = g?.waiting.get(linkId);
    if (g === undefined || link === undefined) return undefined; // late, stray or twice
    g.waiting.delete(linkId);
    const under = this.#endpoint;
    if (link.above) {
      // The directory above: its own report only, never what it gathered.
      for (const d of report.directories) {
        if (d.under !== '') continue;
        g.directories.push(
          new GatheredDirectory({ under, report: d.report, above: true, wan: d.wan }),
        );
      }
      return g.waiting.size === 0 ? this.#close(id, g) : undefined;
    }
    for (const d of report.directories) {
      g.directories.push(
        d.under === '' ? new GatheredDirectory({ under, report: d.report, wan: d.wan }) : d,
      );
    }
    for (const n of report.nodes) {
      g.nodes.push(n.under === '' ? new GatheredNode({ under, report: n.report }) : n);
    }
    g.silent.push(...report.silent);
    return g.waiting.size === 0 ? this.#close(id, g) : undefined;
  }

  /** Link `linkId` went away: no answer will come from it. Gives the reports that were waiting only for it. */
  linkGone(linkId: string): Finished<A>[] {
    const out: Finished<A>[] = [];
    for (const [id, g] of this.#open) {
      if (g.waiting.delete(linkId) && g.waiting.size === 0) out.push(this.#close(id, g));
    }
    return out;
  }

  /** The deadline of enquiry `id` passed: the report as it is, with the links still awaited as silent. */
  due(id: number): Finished<A> | undefined {
    const g = this.#open.get(id);
    if (g === undefined) return undefined;
    for (const { where } of g.waiting.values()) {
      g.silent.push(new SilentLink({ under: this.#endpoint, where }));
    }
    g.waiting.clear();
    return this.#close(id, g);
  }

  #close(id: number, g: Gathering<A>): Finished<A> {
    this.#open.delete(id);
    return this.#finish(g, id);
  }

  #finish(g: Gathering<A>, gathering: number | undefined): Finished<A> {
    return {
      to: g.asker,
      gathering,
      report: new NetworkReport({
        id: g.askerId,
        directories: g.directories,
        nodes: g.nodes,
        silent: g.silent,
      }),
    };
  }
}

/** How long a directory gives the directories below it, of the `deadlineMs` it was given. */
export function deadlineBelow(deadlineMs: number): number {
  return Math.floor(deadlineMs * 0.6);
}
