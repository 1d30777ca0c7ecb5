/**
 * The directory tree of a snapshot, as the page shows it: directories from
 * the widest scope down, each with the directories and nodes below it, and
 * those lately lost where they were. Generic over levels: a directory hangs
 * under the one that gathered its report, whatever either's scope. Pure.
 *
 * @module
 */
import { byLevel, type NetworkSnapshot, type TenantDescription } from './snapshot.ts';

/** How long a directory or node that went away is still shown, in ms. */
export const LOST_SHOWN_MS = 120_000;

/** A directory or node in the tree. */
export interface TreeItem {
  kind: 'directory' | 'node';
  /** `directory:<endpoint>` or `node:<id>`. */
  key: string;
  /** The directory's level, or `node`. */
  level: string;
  /** Its endpoint, or where the node runs. */
  label: string;
  /** Counts: listings, searches, routes or sessions. */
  detail: string;
  /** Seconds since it went away; null while it is there. */
  lostSeconds: number | null;
  children: TreeItem[];
}

/** A directory or node as the tree remembers it. */
interface Known {
  kind: TreeItem['kind'];
  key: string;
  level: string;
  label: string;
  detail: string;
  /** The key of the directory it hangs under, if any. */
  under: string | null;
}

const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

/** `tenant acme, 2 of 3 sites connected`. */
const tenantDetail = (t: TenantDescription) =>
  `tenant ${t.name}, ${t.sites.filter((s) => s.connected).length} of ${plural(t.sites.length, 'site')} connected`;

function known(snapshot: NetworkSnapshot): Map<string, Known> {
  const out = new Map<string, Known>();
  for (const d of snapshot.directories) {
    out.set(`directory:${d.endpoint}`, {
      kind: 'directory',
      key: `directory:${d.endpoint}`,
      level: d.level,
      label: d.endpoint,
      detail: `${d.tenant ? `${tenantDetail(d.tenant)}, ` : ''}${plural(d.listings.length, 'listing')}, ${plural(d.searches.length, 'search', 'searches')}, ${plural(d.routes, 'route')}`,
      under: d.under === null ? null : `directory:${d.under}`,
    });
  }
  for (const n of snapshot.nodes) {
    out.set(`node:${n.id}`, {
      kind: 'node',
      key: `node:${n.id}`,
      level: 'node',
      label: n.where,
      detail: `${plural(n.listings.length, 'listing')}, ${plural(n.searches.length, 'search', 'searches')}, ${plural(n.sessions, 'session')}`,
      under: `directory:${n.under}`,
    });
  }
  return out;
}

/** Remembers what was seen, to show what went away; see {@link LOST_SHOWN_MS}. */
export class LostBook {
  readonly #seen = new Map<string, Known>();
  readonly #lost = new Map<string, { item: Known; since: number }>();

  /** The tree of `snapshot` at `now` (ms), with what went away lately. */
  tree(snapshot: NetworkSnapshot, now: number): TreeItem[] {
    const present = known(snapshot);
    for (const [key, item] of this.#seen) {
      if (!present.has(key) && !this.#lost.has(key)) this.#lost.set(key, { item, since: now });
    }
    for (const [key, lost] of [...this.#lost]) {
      if (present.has(key) || now - lost.since > LOST_SHOWN_MS) this.#lost.delete(key);
    }
    this.#seen.clear();
    for (const [key, item] of present) this.#seen.set(key, item);
    return assembleTree(
      present,
      [...this.#lost.values()].map((l) => ({ ...l.item, lostSeconds: (now - l.since) / 1000 })),
    );
  }
}

/** Puts the items in place: each under its directory, else at the top. */
function assembleTree(
  present: Map<string, Known>,
  lost: (Known & { lostSeconds: number })[],
): TreeItem[] {
  const items = new Map<string, TreeItem & { under: string | null }>();
  for (const k of present.values()) items.set(k.key, { ...k, lostSeconds: null, children: [] });
  for (const k of lost) {
    items.set(k.key, { ...k, lostSeconds: Math.floor(k.lostSeconds), children: [] });
  }
  const roots: TreeItem[] = [];
  for (const item of items.values()) {
    const parent = item.under === null ? undefined : items.get(item.under);
    (parent && parent !== item ? parent.children : roots).push(item);
  }
  const order = (a: TreeItem, b: TreeItem) =>
    (a.kind === b.kind ? 0 : a.kind === 'directory' ? -1 : 1) ||
    byLevel(a, b) ||
    a.label.localeCompare(b.label);
  const strip = (list: TreeItem[]): TreeItem[] =>
    list.sort(order).map((i) => ({
      kind: i.kind,
      key: i.key,
      level: i.level,
      label: i.label,
      detail: i.detail,
      lostSeconds: i.lostSeconds,
      children: strip(i.children),
    }));
  return strip(roots);
}
