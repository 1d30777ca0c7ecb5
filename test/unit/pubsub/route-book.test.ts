import { describe, expect, it } from 'vitest';
import type { Scope } from '../../../src/directory/scope.ts';
import { RouteBook, type RouteDecision, routeKey } from '../../../src/pubsub/route-book.ts';
import { listing } from '../directory/fixtures.ts';

/** Decisions as short strings: `open s1 L1@host`, `replace s1 L1→L2@group`, `end s1 L1`. */
function said(decisions: RouteDecision[]): string[] {
  return decisions.map((d) =>
    d.kind === 'open'
      ? `open ${d.searchId} ${d.listing.id}@${d.level}`
      : d.kind === 'replace'
        ? `replace ${d.searchId} ${d.listingId}→${d.listing.id}@${d.level}`
        : `end ${d.searchId} ${d.listingId}`,
  );
}

const add = (searchId: string, id: string, name: string, level: Scope, multi = false) =>
  ({ kind: 'add', searchId, listing: listing(id, name, { multi }), level }) as const;
const remove = (searchId: string, listingId: string) =>
  ({ kind: 'remove', searchId, listingId }) as const;

describe('RouteBook', () => {
  it('opens the first route of a name, and a closer one wins over a farther one', () => {
    const book = new RouteBook();
    expect(
      said(book.apply([add('s1', 'far', 'svc', 'lan'), add('s1', 'near', 'svc', 'host')])),
    ).toEqual(['open s1 far@lan', 'replace s1 far→near@host']);
    // Both arrive in one batch the other way round: the closer one is opened, the farther waits.
    const other = new RouteBook();
    expect(
      said(other.apply([add('s1', 'near', 'svc', 'host'), add('s1', 'far', 'svc', 'lan')])),
    ).toEqual(['open s1 near@host']);
    expect(other.active('s1', 'name:svc')).toEqual({
      listingId: 'near',
      level: 'host',
      open: false,
    });
  });

  it('moves an open session to a closer route that appears, never to a farther or equal one', () => {
    const book = new RouteBook();
    book.apply([add('s1', 'L1', 'svc', 'host')]);
    book.opened('s1', 'name:svc', 'L1');
    expect(said(book.apply([add('s1', 'L2', 'svc', 'lan')]))).toEqual([]);
    expect(said(book.apply([add('s1', 'L3', 'svc', 'host')]))).toEqual([]);
    expect(said(book.apply([add('s1', 'L4', 'svc', 'group')]))).toEqual(['replace s1 L1→L4@group']);
    expect(book.active('s1', 'name:svc')).toEqual({ listingId: 'L4', level: 'group', open: false });
  });

  it('when the route in use goes, ends its session and opens the closest that is left', () => {
    const book = new RouteBook();
    book.apply([
      add('s1', 'near', 'svc', 'group'),
      add('s1', 'far', 'svc', 'lan'),
      add('s1', 'mid', 'svc', 'host'),
    ]);
    expect(said(book.apply([remove('s1', 'near')]))).toEqual(['end s1 near', 'open s1 mid@host']);
    // A route not in use goes quietly.
    expect(said(book.apply([remove('s1', 'far')]))).toEqual([]);
    expect(said(book.apply([remove('s1', 'mid')]))).toEqual(['end s1 mid']);
    expect(book.routesOf('s1')).toEqual([]);
  });

  it('keeps multi listings of one name apart: one session each', () => {
    const book = new RouteBook();
    const decisions = book.apply([
      add('s1', 'm1', 'many', 'host', true),
      add('s1', 'm2', 'many', 'host', true),
    ]);
    expect(said(decisions)).toEqual(['open s1 m1@host', 'open s1 m2@host']);
    expect(routeKey(listing('m1', 'many', { multi: true }))).toBe('id:m1');
    expect(said(book.apply([remove('s1', 'm1')]))).toEqual(['end s1 m1']);
    expect(book.active('s1', 'id:m2')?.listingId).toBe('m2');
  });

  it('keeps the searches of a node apart', () => {
    const book = new RouteBook();
    expect(
      said(book.apply([add('s1', 'L1', 'svc', 'host'), add('s2', 'L1', 'svc', 'host')])),
    ).toEqual(['open s1 L1@host', 'open s2 L1@host']);
    book.forgetSearch('s1');
    expect(said(book.apply([remove('s1', 'L1')]))).toEqual([]);
    expect(said(book.apply([remove('s2', 'L1')]))).toEqual(['end s2 L1']);
  });

  it('sweeps stale routes after a re-sync, but not one whose session is open', () => {
    const book = new RouteBook();
    book.apply([
      add('s1', 'open-one', 'a', 'host'),
      add('s1', 'opening', 'b', 'host'),
      add('s1', 'local', 'c', 'process'),
      add('s1', 'resent', 'd', 'lan'),
    ]);
    book.opened('s1', 'name:a', 'open-one');
    book.markStale('process');
    expect(
      book
        .routesOf('s1')
        .filter((r) => r.stale)
        .map((r) => r.listingId),
    ).toEqual(['open-one', 'opening', 'resent']);
    // The directory above sends one of them again after it synced.
    book.apply([add('s1', 'resent', 'd', 'lan')]);
    expect(said(book.sweep('process'))).toEqual(['end s1 opening']);
    expect(book.routesOf('s1').map((r) => `${r.listingId}${r.stale ? ' stale' : ''}`)).toEqual([
      'open-one',
      'local',
      'resent',
    ]);
  });

  it('marks stale only what was matched above the level that lost its parent', () => {
    const book = new RouteBook();
    book.apply([
      add('s1', 'g', 'a', 'group'),
      add('s1', 'h', 'b', 'host'),
      add('s1', 'l', 'c', 'lan'),
    ]);
    book.markStale('host');
    expect(book.routesOf('s1').map((r) => [r.listingId, r.stale])).toEqual([
      ['g', false],
      ['h', false],
      ['l', true],
    ]);
    // Once the host directory's parent has synced again, what is still stale above host goes.
    expect(said(book.sweep('host'))).toEqual(['end s1 l']);
  });

  it('a session that ended leaves its route known and unused; a new closer one opens', () => {
    const book = new RouteBook();
    book.apply([add('s1', 'L1', 'svc', 'lan')]);
    book.ended('s1', 'name:svc', 'L1');
    expect(book.active('s1', 'name:svc')).toBeUndefined();
    expect(said(book.apply([add('s1', 'L1', 'svc', 'lan')]))).toEqual(['open s1 L1@lan']);
    // Ended again, then a farther one: it is opened, since nothing is in use.
    book.ended('s1', 'name:svc', 'L1');
    expect(said(book.apply([add('s1', 'L2', 'svc', 'wan')]))).toEqual(['open s1 L1@lan']);
  });
});
