import { describe, expect, it } from 'vitest';
import {
  DirectoryTable,
  type ListingEntry,
  LOCAL,
  type RouteChange,
  SCOPES,
  type SearchEntry,
} from '../../../src/directory/index.ts';
import { codeOfThrow, described, exact, listing, regex, subject } from './fixtures.ts';

function accepted(result: ReturnType<DirectoryTable['putListing']>): RouteChange[] {
  expect(result.accepted).toBe(true);
  return result.changes;
}

describe('matching', () => {
  it('matches an exact search to the listing of that name only', () => {
    const table = new DirectoryTable('group');
    expect(table.putSearch('a', exact('s1', 'dev'))).toEqual([]);
    expect(accepted(table.putListing('b', listing('l1', 'device')))).toEqual([]);
    expect(described(accepted(table.putListing('b', listing('l2', 'dev'))))).toEqual([
      'add s1>l2 a>b',
    ]);
  });

  it('matches a regular expression against the whole name', () => {
    const table = new DirectoryTable('group');
    table.putSearch('a', regex('dev', 'dev.*'));
    table.putSearch('a', regex('alt', 'a|b'));
    const names = ['device', 'dev', 'a', 'ab', 'b', 'xdev', 'ba'];
    const routed = names.map((name, k) =>
      described(accepted(table.putListing('b', listing(`l${k}`, name)))),
    );
    expect(routed).toEqual([
      ['add dev>l0 a>b'],
      ['add dev>l1 a>b'],
      ['add alt>l2 a>b'],
      [],
      ['add alt>l4 a>b'],
      [],
      [],
    ]);
  });

  it('matches a subject pattern token by token: * one token, > one or more at the end', () => {
    const table = new DirectoryTable('group');
    table.putSearch('a', subject('one', 'lab.*.temperature'));
    table.putSearch('a', subject('rest', 'lab.>'));
    const names = [
      'lab.h1.temperature',
      'lab.h1.pressure',
      'lab.temperature',
      'lab',
      'lab.h1.x.temperature',
      'labs.h1.temperature',
      'not a subject',
    ];
    const routed = names.map((name, k) =>
      described(accepted(table.putListing('b', listing(`l${k}`, name)))),
    );
    expect(routed).toEqual([
      ['add one>l0 a>b', 'add rest>l0 a>b'],
      ['add rest>l1 a>b'],
      ['add rest>l2 a>b'],
      [],
      ['add rest>l4 a>b'],
      [],
      [],
    ]);
    // A subject search put after the listings finds them through the index, and
    // withdrawing a listing removes only its routes.
    expect(described(table.putSearch('c', subject('late', '*.h1.*'))).sort()).toEqual([
      'add late>l0 c>b',
      'add late>l1 c>b',
      'add late>l5 c>b',
    ]);
    expect(described(table.deleteListing('b', 'l0')).sort()).toEqual([
      'remove late>l0 c>b',
      'remove one>l0 a>b',
      'remove rest>l0 a>b',
    ]);
    expect(described(table.deleteSearch('c', 'late')).sort()).toEqual([
      'remove late>l1 c>b',
      'remove late>l5 c>b',
    ]);
  });

  it('tests a new regular expression against the listings already held', () => {
    const table = new DirectoryTable('host');
    for (const [k, name] of ['device-1', 'device-22', 'devices', 'sensor-1'].entries()) {
      table.putListing('b', listing(`l${k}`, name));
    }
    expect(described(table.putSearch('a', regex('s', 'device-[0-9]+')))).toEqual([
      'add s>l0 a>b',
      'add s>l1 a>b',
    ]);
    expect(described(table.putSearch('a', regex('t', '.*-1')))).toEqual([
      'add t>l0 a>b',
      'add t>l3 a>b',
    ]);
  });

  it('honours the flags i, s and u', () => {
    const table = new DirectoryTable('group');
    table.putSearch('a', regex('i', 'dev-[a-z]+', { flags: 'i' }));
    table.putSearch('a', regex('s', 'x.y', { flags: 's' }));
    table.putSearch('a', regex('u', '\\u{1F600}+', { flags: 'u' }));
    expect(described(accepted(table.putListing('b', listing('l1', 'DEV-Abc'))))).toEqual([
      'add i>l1 a>b',
    ]);
    expect(described(accepted(table.putListing('b', listing('l2', 'x\ny'))))).toEqual([
      'add s>l2 a>b',
    ]);
    expect(described(accepted(table.putListing('b', listing('l3', '😀😀'))))).toEqual([
      'add u>l3 a>b',
    ]);
  });

  it('gives each route its level and both links', () => {
    const table = new DirectoryTable('lan');
    const s = exact('s', 'x');
    const l = listing('l', 'x');
    table.putSearch('child-1', s);
    const [change] = accepted(table.putListing('child-2', l));
    expect(change).toEqual({
      kind: 'add',
      searchLink: 'child-1',
      listingLink: 'child-2',
      search: s,
      listing: l,
      level: 'lan',
    });
  });
});

describe('the lowest common directory matches', () => {
  it('does not match a listing and a search that came through the same child link', () => {
    const table = new DirectoryTable('group');
    table.putSearch('c1', exact('s1', 'x'));
    table.putSearch('c1', regex('s2', 'x|y'));
    expect(accepted(table.putListing('c1', listing('l1', 'x')))).toEqual([]);
    expect(described(accepted(table.putListing('c2', listing('l2', 'y'))))).toEqual([
      'add s2>l2 c1>c2',
    ]);
    expect(described(table.putSearch('c2', exact('s3', 'x')))).toEqual(['add s3>l1 c2>c1']);
    expect(table.putSearch('c2', exact('s4', 'y'))).toEqual([]);
    expect(table.stats().routes).toBe(2);
  });

  it('matches LOCAL entries with each other and with child links', () => {
    const table = new DirectoryTable('process');
    table.putSearch(LOCAL, exact('s1', 'x'));
    expect(described(accepted(table.putListing(LOCAL, listing('l1', 'x'))))).toEqual([
      'add s1>l1 local>local',
    ]);
    expect(described(table.putSearch(LOCAL, regex('s2', 'x')))).toEqual(['add s2>l1 local>local']);
    expect(described(table.putSearch('c1', exact('s3', 'x')))).toEqual(['add s3>l1 c1>local']);
    expect(
      described(accepted(table.putListing('c1', listing('l2', 'y', { multi: true })))),
    ).toEqual([]);
    expect(described(table.putSearch(LOCAL, exact('s4', 'y')))).toEqual(['add s4>l2 local>c1']);
  });
});

describe('duplicates', () => {
  it('refuses a name held under another listing id, naming the holder', () => {
    const table = new DirectoryTable('group');
    table.putSearch('c3', exact('s', 'x'));
    const first = listing('l1', 'x', { where: 'worker on host-a' });
    accepted(table.putListing('c1', first));
    const result = table.putListing('c2', listing('l2', 'x'));
    expect(result).toEqual({ accepted: false, holder: first, changes: [] });
    expect(!result.accepted && result.holder.publisher.where).toBe('worker on host-a');
    expect(table.stats()).toEqual({ listings: 1, searches: 1, routes: 1, links: 2 });
  });

  it('refuses from the same link too, and when only one of the two says multi', () => {
    const table = new DirectoryTable('group');
    accepted(table.putListing('c1', listing('l1', 'x')));
    expect(table.putListing('c1', listing('l2', 'x')).accepted).toBe(false);
    expect(table.putListing('c2', listing('l3', 'x', { multi: true })).accepted).toBe(false);
    accepted(table.putListing('c1', listing('m1', 'y', { multi: true })));
    expect(table.putListing('c2', listing('m2', 'y')).accepted).toBe(false);
  });

  it('lets several multi listings share a name, each its own route', () => {
    const table = new DirectoryTable('group');
    table.putSearch('c0', exact('s', 'pool'));
    table.putSearch('c0', regex('r', 'po+l'));
    const changes = [1, 2, 3].map((k) =>
      described(accepted(table.putListing(`c${k}`, listing(`m${k}`, 'pool', { multi: true })))),
    );
    expect(changes).toEqual([
      ['add r>m1 c0>c1', 'add s>m1 c0>c1'],
      ['add r>m2 c0>c2', 'add s>m2 c0>c2'],
      ['add r>m3 c0>c3', 'add s>m3 c0>c3'],
    ]);
    expect(described(table.deleteListing('c2', 'm2'))).toEqual([
      'remove r>m2 c0>c2',
      'remove s>m2 c0>c2',
    ]);
    expect(table.stats().routes).toBe(4);
    // The name stays held by the others: a single listing is still refused.
    expect(table.putListing('c4', listing('x', 'pool')).accepted).toBe(false);
    table.deleteListing('c1', 'm1');
    table.deleteListing('c3', 'm3');
    accepted(table.putListing('c4', listing('x', 'pool')));
  });

  it('frees the name when its listing goes', () => {
    const table = new DirectoryTable('group');
    accepted(table.putListing('c1', listing('l1', 'x')));
    table.deleteListing('c1', 'l1');
    accepted(table.putListing('c2', listing('l2', 'x')));
    table.removeLink('c2');
    accepted(table.putListing('c3', listing('l3', 'x')));
  });
});

describe('putting an entry again', () => {
  it('is idempotent for the same listing and the same search', () => {
    const table = new DirectoryTable('group');
    table.putSearch('c1', exact('s', 'x'));
    accepted(table.putListing('c2', listing('l', 'x')));
    expect(table.putListing('c2', listing('l', 'x'))).toEqual({ accepted: true, changes: [] });
    expect(table.putSearch('c1', exact('s', 'x'))).toEqual([]);
    expect(table.stats()).toEqual({ listings: 1, searches: 1, routes: 1, links: 2 });
  });

  it('replaces a changed listing: removes of the old routes, then adds of the new', () => {
    const table = new DirectoryTable('group');
    table.putSearch('c1', exact('sx', 'x'));
    table.putSearch('c1', exact('sy', 'y'));
    accepted(table.putListing('c2', listing('l', 'x')));
    const renamed = accepted(table.putListing('c2', listing('l', 'y')));
    expect(renamed.map((c) => `${c.kind} ${c.search.id}`)).toEqual(['remove sx', 'add sy']);
    const moved = table.putListing('c1', listing('l', 'y'));
    // Moved to the subscriber's own link: matched below, no longer here.
    expect(described(accepted(moved))).toEqual(['remove sy>l c1>c2']);
    expect([...table.listings()]).toEqual([['c1', listing('l', 'y')]]);
    const republished = listing('l', 'y', { where: 'elsewhere' });
    expect(accepted(table.putListing('c1', republished))).toEqual([]);
    expect(table.getListing('l')).toEqual(['c1', republished]);
  });

  it('replaces a changed search', () => {
    const table = new DirectoryTable('group');
    accepted(table.putListing('c2', listing('l1', 'a-1')));
    accepted(table.putListing('c2', listing('l2', 'b-1')));
    table.putSearch('c1', regex('s', 'a-.*'));
    const changes = table.putSearch('c1', regex('s', '.*-1'));
    expect(changes.map((c) => `${c.kind} ${c.listing.id}`)).toEqual([
      'remove l1',
      'add l1',
      'add l2',
    ]);
    expect(table.stats().routes).toBe(2);
    expect(table.getSearch('s')?.[1].pattern).toBe('.*-1');
  });

  it('keeps the held listing when a changed one is refused', () => {
    const table = new DirectoryTable('group');
    accepted(table.putListing('c1', listing('l1', 'x')));
    accepted(table.putListing('c1', listing('l2', 'y')));
    expect(table.putListing('c1', listing('l2', 'x')).accepted).toBe(false);
    expect(table.getListing('l2')?.[1].name).toBe('y');
  });
});

describe('withdrawals', () => {
  function populated(): DirectoryTable {
    const table = new DirectoryTable('group');
    table.putSearch('c1', exact('s1', 'x'));
    table.putSearch('c1', regex('r1', '[xy]'));
    table.putSearch('c2', regex('r2', '.*'));
    table.putSearch(LOCAL, exact('s3', 'y'));
    accepted(table.putListing('c2', listing('lx', 'x')));
    accepted(table.putListing('c3', listing('ly', 'y')));
    accepted(table.putListing(LOCAL, listing('lz', 'z')));
    return table;
  }

  it('routes as expected before anything is withdrawn', () => {
    expect(described(populated().routes())).toEqual([
      'add r1>lx c1>c2',
      'add r1>ly c1>c3',
      'add r2>ly c2>c3',
      'add r2>lz c2>local',
      'add s1>lx c1>c2',
      'add s3>ly local>c3',
    ]);
  });

  it('deleting a listing removes exactly its routes', () => {
    const table = populated();
    expect(described(table.deleteListing('c3', 'ly'))).toEqual([
      'remove r1>ly c1>c3',
      'remove r2>ly c2>c3',
      'remove s3>ly local>c3',
    ]);
    expect(table.stats()).toEqual({ listings: 2, searches: 4, routes: 3, links: 3 });
    expect(table.deleteListing('c3', 'ly')).toEqual([]);
  });

  it('deleting a search removes exactly its routes', () => {
    const table = populated();
    expect(described(table.deleteSearch('c1', 'r1'))).toEqual([
      'remove r1>lx c1>c2',
      'remove r1>ly c1>c3',
    ]);
    expect(described(table.deleteSearch('c1', 's1'))).toEqual(['remove s1>lx c1>c2']);
    expect(table.stats()).toEqual({ listings: 3, searches: 2, routes: 3, links: 3 });
  });

  it('removing a link removes every route involving it, once', () => {
    const table = populated();
    expect(described(table.removeLink('c2'))).toEqual([
      'remove r1>lx c1>c2',
      'remove r2>ly c2>c3',
      'remove r2>lz c2>local',
      'remove s1>lx c1>c2',
    ]);
    expect(described(table.routes())).toEqual(['add r1>ly c1>c3', 'add s3>ly local>c3']);
    expect(table.stats()).toEqual({ listings: 2, searches: 3, routes: 2, links: 3 });
    expect(table.removeLink('c2')).toEqual([]);
    expect(described(table.removeLink(LOCAL))).toEqual(['remove s3>ly local>c3']);
  });

  it('ignores ids that are not held, or held under another link', () => {
    const table = populated();
    expect(table.deleteListing('c1', 'lx')).toEqual([]);
    expect(table.deleteListing('c2', 'nothing')).toEqual([]);
    expect(table.deleteSearch('c2', 's1')).toEqual([]);
    expect(table.deleteSearch('c1', 'nothing')).toEqual([]);
    expect(table.removeLink('nobody')).toEqual([]);
    expect(table.stats()).toEqual({ listings: 3, searches: 4, routes: 6, links: 4 });
  });

  it('forgets a link that holds nothing any more', () => {
    const table = populated();
    table.deleteListing('c3', 'ly');
    expect(table.stats().links).toBe(3);
    expect(table.stats()).toEqual({ listings: 2, searches: 4, routes: 3, links: 3 });
  });
});

describe('scopes and forwarding', () => {
  it('forwards exactly the entries whose scope is wider than the level', () => {
    const forwarded = SCOPES.map((level) => {
      const table = new DirectoryTable(level);
      return SCOPES.filter((scope) => table.shouldForward({ scope }));
    });
    expect(forwarded).toEqual([
      ['group', 'host', 'lan', 'wan'],
      ['host', 'lan', 'wan'],
      ['lan', 'wan'],
      ['wan'],
      [],
    ]);
  });

  it('snapshots the entries to push to a parent', () => {
    const table = new DirectoryTable('process');
    const entries = {
      listings: [
        listing('l1', 'a', { scope: 'process' }),
        listing('l2', 'b', { scope: 'group' }),
        listing('l3', 'c', { scope: 'wan' }),
      ],
      searches: [exact('s1', 'a', { scope: 'process' }), regex('s2', 'b|c', { scope: 'host' })],
    };
    for (const l of entries.listings) table.putListing(LOCAL, l);
    for (const s of entries.searches) table.putSearch(LOCAL, s);
    expect(table.snapshot()).toEqual({
      listings: [entries.listings[1], entries.listings[2]],
      searches: [entries.searches[1]],
    });
    expect(new DirectoryTable('wan').snapshot()).toEqual({ listings: [], searches: [] });
  });

  it('refuses entries whose scope does not reach its level', () => {
    const table = new DirectoryTable('host');
    expect(codeOfThrow(() => table.putListing('c', listing('l', 'x', { scope: 'group' })))).toBe(
      'ERR_INVALID_LISTING',
    );
    expect(codeOfThrow(() => table.putSearch('c', exact('s', 'x', { scope: 'process' })))).toBe(
      'ERR_INVALID_SEARCH',
    );
    expect(codeOfThrow(() => table.putListing('c', listing('l', 'x', { scope: 'host' })))).toBe(
      'no error',
    );
  });
});

describe('invalid input', () => {
  const good = listing('l', 'x');
  const goodSearch = exact('s', 'x');
  const badListings: [string, unknown][] = [
    ['not an object', 'x'],
    ['null', null],
    ['an empty id', { ...good, id: '' }],
    ['a numeric id', { ...good, id: 7 }],
    ['an id too long', { ...good, id: 'i'.repeat(257) }],
    ['an empty name', { ...good, name: '' }],
    ['a name too long', { ...good, name: 'n'.repeat(256) }],
    ['a missing name', { ...good, name: undefined }],
    ['an unknown scope', { ...good, scope: 'planet' }],
    ['multi not a boolean', { ...good, multi: 'yes' }],
    ['no publisher', { ...good, publisher: undefined }],
    ['a negative actor', { ...good, publisher: { ...good.publisher, actor: -1 } }],
    ['endpoints not strings', { ...good, publisher: { ...good.publisher, endpoints: [1] } }],
    ['no where', { ...good, publisher: { ...good.publisher, where: undefined } }],
  ];
  it.each(badListings)('refuses a listing with %s', (_, bad) => {
    const table = new DirectoryTable('group');
    expect(codeOfThrow(() => table.putListing('c', bad as ListingEntry))).toBe(
      'ERR_INVALID_LISTING',
    );
    expect(table.stats()).toEqual({ listings: 0, searches: 0, routes: 0, links: 0 });
  });

  it('takes a name of 255 characters', () => {
    const table = new DirectoryTable('group');
    expect(table.putListing('c', listing('l', 'n'.repeat(255))).accepted).toBe(true);
  });

  const badSearches: [string, unknown][] = [
    ['not an object', 42],
    ['an empty id', { ...goodSearch, id: '' }],
    ['an unknown kind', { ...goodSearch, kind: 'glob' }],
    ['no kind', { ...goodSearch, kind: undefined }],
    ['a subject pattern with an empty token', subject('s', 'lab..x')],
    ['a subject pattern with > not last', subject('s', 'lab.>.x')],
    ['a subject pattern with a partial wildcard', subject('s', 'lab.x*')],
    ['flags on a subject search', { ...subject('s', 'lab.*'), flags: 'i' }],
    ['an empty pattern', { ...goodSearch, pattern: '' }],
    ['an exact name too long', { ...goodSearch, pattern: 'n'.repeat(256) }],
    ['flags on an exact search', { ...goodSearch, flags: 'i' }],
    ['a pattern too long', regex('s', 'a'.repeat(1025))],
    ['a syntax error', regex('s', 'a(')],
    ['an unbalanced group', regex('s', 'a)|(b')],
    ['flag g', regex('s', 'a', { flags: 'g' })],
    ['flag y', regex('s', 'a', { flags: 'y' })],
    ['flag m', regex('s', 'a', { flags: 'm' })],
    ['a repeated flag', regex('s', 'a', { flags: 'ii' })],
    ['flags not a string', { ...regex('s', 'a'), flags: 3 }],
    ['a nested quantifier', regex('s', '(a+)+')],
    ['four unbounded quantifiers', regex('s', '.*.*.*.*x')],
    ['an unknown scope', { ...goodSearch, scope: 'everywhere' }],
    ['no subscriber', { ...goodSearch, subscriber: null }],
    ['a fractional actor', { ...goodSearch, subscriber: { ...goodSearch.subscriber, actor: 1.5 } }],
  ];
  it.each(badSearches)('refuses a search with %s', (_, bad) => {
    const table = new DirectoryTable('group');
    table.putListing('c', listing('l', 'a'));
    expect(codeOfThrow(() => table.putSearch('d', bad as SearchEntry))).toBe('ERR_INVALID_SEARCH');
    expect(table.stats()).toEqual({ listings: 1, searches: 0, routes: 0, links: 1 });
  });

  it('takes a pattern of 1024 characters', () => {
    const table = new DirectoryTable('group');
    expect(codeOfThrow(() => table.putSearch('d', regex('s', 'a'.repeat(1024))))).toBe('no error');
  });

  it('keeps the held search when a changed one is refused', () => {
    const table = new DirectoryTable('group');
    table.putListing('c', listing('l', 'a'));
    table.putSearch('d', regex('s', 'a'));
    expect(codeOfThrow(() => table.putSearch('d', regex('s', '(a*)*')))).toBe('ERR_INVALID_SEARCH');
    expect(table.stats()).toEqual({ listings: 1, searches: 1, routes: 1, links: 2 });
  });

  it('refuses an empty link id as a programming error', () => {
    const table = new DirectoryTable('group');
    expect(() => table.putListing('', listing('l', 'a'))).toThrow(TypeError);
    expect(() => table.putSearch('', exact('s', 'a'))).toThrow(TypeError);
  });
});

describe('views', () => {
  it('lists entries with their links, and finds them by id', () => {
    const table = new DirectoryTable('group');
    const l = listing('l', 'a');
    const s = regex('s', 'a');
    table.putListing('c1', l);
    table.putSearch('c2', s);
    expect([...table.listings()]).toEqual([['c1', l]]);
    expect([...table.searches()]).toEqual([['c2', s]]);
    expect(table.getListing('l')).toEqual(['c1', l]);
    expect(table.getSearch('s')).toEqual(['c2', s]);
    expect(table.getListing('s')).toBeUndefined();
    expect(table.getSearch('l')).toBeUndefined();
  });
});
