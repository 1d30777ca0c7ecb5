/**
 * The table against a brute-force model on seeded random data: many searches
 * and listings, random puts, deletes and link removals, and after each step
 * the changes must turn the model's old routes into its new ones exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  DirectoryTable,
  type LinkId,
  type ListingEntry,
  LOCAL,
  type RouteChange,
  type SearchEntry,
} from '../../../src/directory/index.ts';
import { exact, listing, pick, regex, seeded, subject } from './fixtures.ts';

/**
 * Whether subject pattern `pattern` matches `name`, the plainest way: token
 * by token, `*` any one token, `>` (last) one or more; a name with an empty
 * token or a wildcard character is no subject and matches nothing.
 */
function subjectMatch(pattern: string, name: string): boolean {
  const p = pattern.split('.');
  const n = name.split('.');
  if (n.some((t) => t === '' || t.includes('*') || t.includes('>') || /\s/.test(t))) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return n.length > i;
    if (i >= n.length) return false;
    if (p[i] !== '*' && p[i] !== n[i]) return false;
  }
  return p.length === n.length;
}

/** What the table should hold, kept the simplest way. */
class Model {
  listings = new Map<string, { link: LinkId; entry: ListingEntry }>();
  searches = new Map<string, { link: LinkId; entry: SearchEntry; re: RegExp | undefined }>();

  matches(search: SearchEntry, re: RegExp | undefined, name: string): boolean {
    if (search.kind === 'subject') return subjectMatch(search.pattern, name);
    return re === undefined ? search.pattern === name : re.test(name);
  }

  routes(): Set<string> {
    const out = new Set<string>();
    for (const s of this.searches.values()) {
      for (const l of this.listings.values()) {
        if (s.link === l.link && s.link !== LOCAL) continue;
        if (this.matches(s.entry, s.re, l.entry.name)) {
          out.add(`${s.entry.id}>${l.entry.id} ${s.link}>${l.link}`);
        }
      }
    }
    return out;
  }

  /** The listing holding `entry.name` against it, as the rules say. */
  holder(entry: ListingEntry): ListingEntry | undefined {
    for (const { entry: held } of this.listings.values()) {
      if (held.id === entry.id || held.name !== entry.name) continue;
      if (!(held.multi && entry.multi)) return held;
    }
    return undefined;
  }
}

const key = (c: RouteChange) => `${c.search.id}>${c.listing.id} ${c.searchLink}>${c.listingLink}`;

/**
 * Applies `changes` to `routes` in order; says which ones make no sense (a
 * remove of a route that is not there, an add of one that is).
 */
function apply(routes: Set<string>, changes: readonly RouteChange[]): string[] {
  const wrong: string[] = [];
  for (const change of changes) {
    const there = routes.has(key(change));
    if (change.kind === 'add') {
      if (there) wrong.push(`add of a route already there: ${key(change)}`);
      routes.add(key(change));
    } else {
      if (!there) wrong.push(`remove of a route not there: ${key(change)}`);
      routes.delete(key(change));
    }
  }
  return wrong;
}

const NAMES = [
  'a',
  'b',
  'ab',
  'dev',
  'device',
  'device-1',
  'device-12',
  'x.eu',
  'y.eu',
  'A-1',
  'aaaa',
  'abab-abab',
];
/** Subject patterns that match some of NAMES (dotted ones) and none. */
const SUBJECT_PATTERNS = ['*.eu', 'x.>', '>', 'a', '*', 'x.eu', 'x.*.z', 'no.such'];

const PATTERNS: [string, string?][] = [
  ['a'],
  ['a|b'],
  ['dev.*'],
  ['device-[0-9]+'],
  ['.*\\.eu'],
  ['.*-1'],
  ['[ab]+'],
  ['(?:x|y)\\.eu'],
  ['a-1', 'i'],
  ['.*'],
  ['de(?:v|vice)'],
  ['.*ice-1.*'],
  ['[a-z]+vice.*'],
  ['.*aaa.*'],
  ['[ab]bab.*'],
  ['(?:a|b)bab-a.*'],
];
const LINKS = [LOCAL, 'c1', 'c2', 'c3'];

function sorted(set: Set<string>): string[] {
  return [...set].sort();
}

describe('DirectoryTable against a brute-force model', () => {
  it.each([1, 2, 3, 4, 5])('agrees on a random sequence of changes (seed %i)', (seed) => {
    const random = seeded(seed);
    const table = new DirectoryTable('process');
    const model = new Model();
    const routes = new Set<string>();
    for (let step = 0; step < 600; step++) {
      const link = pick(random, LINKS);
      const roll = random();
      let changes: RouteChange[];
      if (roll < 0.35) {
        const entry = listing(`l${Math.floor(random() * 25)}`, pick(random, NAMES), {
          multi: random() < 0.5,
          where: `w${Math.floor(random() * 2)}`,
        });
        const holder = model.holder(entry);
        const result = table.putListing(link, entry);
        expect(result.accepted).toBe(holder === undefined);
        if (!result.accepted) {
          expect(result.holder.name).toBe(entry.name);
          expect(result.holder.id).not.toBe(entry.id);
        } else {
          model.listings.set(entry.id, { link, entry });
        }
        changes = result.changes;
      } else if (roll < 0.65) {
        const id = `s${Math.floor(random() * 25)}`;
        let entry: SearchEntry;
        const r = random();
        if (r < 0.4) {
          entry = exact(id, pick(random, NAMES));
        } else if (r < 0.8) {
          const [pattern, flags] = pick(random, PATTERNS);
          entry = regex(id, pattern, flags === undefined ? {} : { flags });
        } else {
          entry = subject(id, pick(random, SUBJECT_PATTERNS));
        }
        const re =
          entry.kind === 'regex' ? new RegExp(`^(?:${entry.pattern})$`, entry.flags) : undefined;
        changes = table.putSearch(link, entry);
        model.searches.set(id, { link, entry, re });
      } else if (roll < 0.8) {
        const id = `l${Math.floor(random() * 25)}`;
        changes = table.deleteListing(link, id);
        if (model.listings.get(id)?.link === link) model.listings.delete(id);
      } else if (roll < 0.95) {
        const id = `s${Math.floor(random() * 25)}`;
        changes = table.deleteSearch(link, id);
        if (model.searches.get(id)?.link === link) model.searches.delete(id);
      } else {
        changes = table.removeLink(link);
        for (const [id, held] of model.listings) if (held.link === link) model.listings.delete(id);
        for (const [id, held] of model.searches) if (held.link === link) model.searches.delete(id);
      }
      const expected = model.routes();
      expect(apply(routes, changes)).toEqual([]);
      expect(sorted(routes)).toEqual(sorted(expected));
      expect(table.stats().routes).toBe(expected.size);
    }
    expect(sorted(new Set(table.routes().map(key)))).toEqual(sorted(routes));
    expect(table.stats()).toMatchObject({
      listings: model.listings.size,
      searches: model.searches.size,
    });
    expect(routes.size).toBeGreaterThan(0);
  });

  it('matches many searches against many listings like a brute force does', () => {
    const random = seeded(42);
    const alphabet = ['a', 'b', 'c', '-', '1', '2', '.'];
    const word = () =>
      Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(random, alphabet)).join('');
    const table = new DirectoryTable('group');
    const model = new Model();
    // Subject patterns over the same alphabet: tokens of it, `*`, and `>` last.
    const token = () => {
      const t = word().replace(/\./g, '');
      return t === '' ? 'a' : t;
    };
    const subjectPattern = () => {
      const n = 1 + Math.floor(random() * 3);
      const tokens = Array.from({ length: n }, () => (random() < 0.3 ? '*' : token()));
      if (random() < 0.3) tokens.push('>');
      return tokens.join('.');
    };
    const patterns = [
      () => `${word()}.*`,
      () => `.*${word().replace('.', '\\.')}`,
      () => `[abc]+-${word().replace('.', '\\.')}`,
      () => `${word().replace('.', '\\.')}|${word().replace('.', '\\.')}`,
      () => `(?:a|b)[0-9]?.*`,
    ];
    for (let k = 0; k < 400; k++) {
      const link = pick(random, ['c1', 'c2', 'c3', 'c4']);
      let entry: SearchEntry;
      const r = random();
      if (r < 0.4) {
        entry = exact(`s${k}`, word());
      } else if (r < 0.8) {
        const flags = random() < 0.1 ? 'i' : undefined;
        entry = regex(`s${k}`, pick(random, patterns)(), flags === undefined ? {} : { flags });
      } else {
        entry = subject(`s${k}`, subjectPattern());
      }
      table.putSearch(link, entry);
      model.searches.set(entry.id, {
        link,
        entry,
        re: entry.kind === 'regex' ? new RegExp(`^(?:${entry.pattern})$`, entry.flags) : undefined,
      });
    }
    const routes = new Set<string>(model.routes());
    const wrong: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const link = pick(random, ['c1', 'c2', 'c3', 'c4']);
      const entry = listing(`l${k}`, word(), { multi: true });
      const { changes } = table.putListing(link, entry);
      model.listings.set(entry.id, { link, entry });
      wrong.push(...apply(routes, changes));
    }
    expect(wrong).toEqual([]);
    const expected = model.routes();
    expect(sorted(routes)).toEqual(sorted(expected));
    expect(sorted(new Set(table.routes().map(key)))).toEqual(sorted(expected));
    expect(expected.size).toBeGreaterThan(2000);
    // And the other way round: searches put after the listings.
    const late = new DirectoryTable('group');
    for (const { link, entry } of model.listings.values()) late.putListing(link, entry);
    const lateRoutes = new Set<string>();
    for (const { link, entry } of model.searches.values()) {
      wrong.push(...apply(lateRoutes, late.putSearch(link, entry)));
    }
    expect(sorted(lateRoutes)).toEqual(sorted(expected));
    // And everything withdrawn, link by link.
    for (const link of ['c1', 'c2', 'c3', 'c4'])
      wrong.push(...apply(lateRoutes, late.removeLink(link)));
    expect(wrong).toEqual([]);
    expect(lateRoutes.size).toBe(0);
    expect(late.stats()).toEqual({ listings: 0, searches: 0, routes: 0, links: 0 });
  });
});
