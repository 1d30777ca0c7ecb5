import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../../orchestrator/view/snapshot.ts';
import { LOST_SHOWN_MS, LostBook, type TreeItem } from '../../../orchestrator/view/tree.ts';
import {
  GatheredDirectory,
  NetworkReport,
  WanSiteReport,
  WanTenantReport,
} from '../../../src/directory/network-report.ts';
import { asked, directory, node, report } from './fixtures.ts';

const WAN = 'tcp://relay:4000';
const LAN = 'tcp://0.0.0.0:4100';
const HOST = 'unix:/h.sock';
const GROUP = 'unix:/g.sock';

/** The tree as `level label [lost]` lines, indented. */
function lines(items: TreeItem[], depth = 0): string[] {
  return items.flatMap((i) => [
    `${'  '.repeat(depth)}${i.level} ${i.label}${i.lostSeconds === null ? '' : ` lost ${i.lostSeconds} s`}`,
    ...lines(i.children, depth + 1),
  ]);
}

function snapshotOf(parts: { group?: boolean; pub?: boolean }) {
  const r = report(1, {
    directories: [
      ['', directory('wan', WAN)],
      [WAN, directory('lan', LAN)],
      [LAN, directory('host', HOST)],
      ...(parts.group === false ? [] : ([[HOST, directory('group', GROUP)]] as const)),
    ] as [string, ReturnType<typeof directory>][],
    nodes: [
      [HOST, node('S', 'sub (pid 2)')],
      ...(parts.pub === false ? [] : ([[GROUP, node('P', 'pub (pid 1)')]] as const)),
    ] as [string, ReturnType<typeof node>][],
  });
  return buildSnapshot([asked(WAN, 'wan', r)], null, new Date(0));
}

describe('the directory tree', () => {
  it('hangs each directory and node under the one that gathered it, whatever the levels', () => {
    const tree = new LostBook().tree(snapshotOf({}), 0);
    expect(lines(tree)).toEqual([
      `wan ${WAN}`,
      `  lan ${LAN}`,
      `    host ${HOST}`,
      `      group ${GROUP}`,
      '        node pub (pid 1)',
      '      node sub (pid 2)',
    ]);
    expect(tree[0]?.key).toBe(`directory:${WAN}`);
    expect(tree[0]?.detail).toBe('0 listings, 0 searches, 0 routes');
  });

  it('puts a WAN directory gathered by the site directory above it, with its tenant and sites', () => {
    const SITE = 'ws://relay.example:7600/';
    const below = report(1, {
      directories: [
        ['', directory('lan', LAN, { parent: 'wan:/acme-a.json' })],
        [LAN, directory('host', HOST)],
      ],
      nodes: [[HOST, node('S', 'sub (pid 2)')]],
    });
    const wan = new WanTenantReport({
      tenant: 'acme',
      sites: [
        new WanSiteReport({
          name: 'a',
          invited: 'i',
          connected: true,
          connectedSince: 'c',
          relay: 'ws://r2/',
        }),
        new WanSiteReport({ name: 'b', invited: 'i', connected: false }),
      ],
    });
    const r = new NetworkReport({
      ...below,
      directories: [
        ...below.directories,
        new GatheredDirectory({ under: LAN, report: directory('wan', SITE), above: true, wan }),
      ],
    });
    const snapshot = buildSnapshot([asked(LAN, 'lan', r)], null, new Date(0));
    const tree = new LostBook().tree(snapshot, 0);
    expect(lines(tree)).toEqual([
      `wan ${SITE}`,
      `  lan ${LAN}`,
      `    host ${HOST}`,
      '      node sub (pid 2)',
    ]);
    expect(tree[0]?.detail).toBe(
      'tenant acme, 1 of 2 sites connected, 0 listings, 0 searches, 0 routes',
    );
    const top = snapshot.directories[0];
    expect(top?.level).toBe('wan');
    expect(top?.under).toBeNull();
    // The asker's realm is the site's, not the WAN directory's.
    expect(top?.realmFile).toBe('');
    expect(top?.tenant).toEqual({
      name: 'acme',
      sites: [
        { name: 'a', invited: 'i', connected: true, connectedSince: 'c', relay: 'ws://r2/' },
        { name: 'b', invited: 'i', connected: false, connectedSince: null, relay: null },
      ],
    });
    expect(snapshot.directories.find((d) => d.endpoint === LAN)?.under).toBe(SITE);
  });

  it('shows what went away where it was, for a while, then no more', () => {
    const book = new LostBook();
    book.tree(snapshotOf({}), 0);
    const lost = book.tree(snapshotOf({ group: false, pub: false }), 3000);
    expect(lines(lost)).toEqual([
      `wan ${WAN}`,
      `  lan ${LAN}`,
      `    host ${HOST}`,
      `      group ${GROUP} lost 0 s`,
      '        node pub (pid 1) lost 0 s',
      '      node sub (pid 2)',
    ]);
    expect(lines(book.tree(snapshotOf({ group: false, pub: false }), 13_000))).toContain(
      `      group ${GROUP} lost 10 s`,
    );
    // Back: no longer lost.
    expect(lines(book.tree(snapshotOf({ pub: false }), 14_000))).toEqual([
      `wan ${WAN}`,
      `  lan ${LAN}`,
      `    host ${HOST}`,
      `      group ${GROUP}`,
      '        node pub (pid 1) lost 11 s',
      '      node sub (pid 2)',
    ]);
    const later = book.tree(snapshotOf({ pub: false }), 3000 + LOST_SHOWN_MS + 1);
    expect(lines(later).join('\n')).not.toContain('pub (pid 1)');
  });

  it('puts at the top what lost the directory it hung under', () => {
    const book = new LostBook();
    const r = report(1, {
      directories: [['', directory('host', HOST)]],
      nodes: [[GROUP, node('P', 'pub (pid 1)')]],
    });
    expect(lines(book.tree(buildSnapshot([asked(HOST, 'host', r)], null, new Date(0)), 0))).toEqual(
      [`host ${HOST}`, 'node pub (pid 1)'],
    );
  });
});
