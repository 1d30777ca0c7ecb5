import { describe, expect, it } from 'vitest';
import { deadlineBelow, Gatherings } from '../../../src/directory/gatherings.ts';
import {
  GatheredDirectory,
  NetworkReport,
  WanSiteReport,
  WanTenantReport,
} from '../../../src/directory/network-report.ts';
import { directory, node, report } from './fixtures.ts';

const HOST = 'unix:/h.sock';
const links = [
  { id: 'link-1', where: 'group directory unix:/g.sock' },
  { id: 'link-2', where: 'pub (pid 1)' },
];

describe('a directory gathering the reports of its links', () => {
  it('answers at once with its own report when it has no links to ask', () => {
    const g = new Gatherings<string>(HOST);
    const started = g.start('asker', 7, directory('host', HOST), []);
    expect(started.kind).toBe('done');
    if (started.kind !== 'done') return;
    expect(started.finished.to).toBe('asker');
    expect(started.finished.report.id).toBe(7);
    expect(started.finished.report.directories.map((d) => [d.under, d.report.endpoint])).toEqual([
      ['', HOST],
    ]);
    expect(g.size).toBe(0);
  });

  it('marks what its links report with its own endpoint, keeps what deeper ones marked, and answers when the last is in', () => {
    const g = new Gatherings<string>(HOST);
    const started = g.start('asker', 7, directory('host', HOST), links);
    expect(started).toEqual({ kind: 'asking', id: 1, links: ['link-1', 'link-2'] });
    const fromGroup = report(1, {
      directories: [['', directory('group', 'unix:/g.sock')]],
      nodes: [['unix:/g.sock', node('n2', 'sub (pid 2)')]],
      silent: [['unix:/g.sock', 'old (pid 3)']],
    });
    expect(g.answered(1, 'link-1', fromGroup)).toBeUndefined();
    // Twice, from a link not asked, or for another gathering: not counted.
    expect(g.answered(1, 'link-1', fromGroup)).toBeUndefined();
    expect(g.answered(1, 'link-9', fromGroup)).toBeUndefined();
    expect(g.answered(2, 'link-2', fromGroup)).toBeUndefined();
    const done = g.answered(1, 'link-2', report(1, { nodes: [['', node('n1', 'pub (pid 1)')]] }));
    expect(done?.to).toBe('asker');
    expect(done?.gathering).toBe(1);
    expect(done?.report.id).toBe(7);
    expect(done?.report.directories.map((d) => [d.under, d.report.endpoint])).toEqual([
      ['', HOST],
      [HOST, 'unix:/g.sock'],
    ]);
    expect(done?.report.nodes.map((n) => [n.under, n.report.nodeId])).toEqual([
      ['unix:/g.sock', 'n2'],
      [HOST, 'n1'],
    ]);
    expect(done?.report.silent.map((s) => [s.under, s.where])).toEqual([
      ['unix:/g.sock', 'old (pid 3)'],
    ]);
    expect(g.size).toBe(0);
    // Late: the gathering is over.
    expect(g.answered(1, 'link-2', fromGroup)).toBeUndefined();
  });

  it('at its deadline, reports the links still awaited as silent', () => {
    const g = new Gatherings<string>(HOST);
    g.start('asker', 3, directory('host', HOST), links);
    g.answered(1, 'link-2', report(1, { nodes: [['', node('n1', 'pub (pid 1)')]] }));
    const done = g.due(1);
    expect(done?.report.nodes).toHaveLength(1);
    expect(done?.report.silent.map((s) => [s.under, s.where])).toEqual([
      [HOST, 'group directory unix:/g.sock'],
    ]);
    expect(g.due(1)).toBeUndefined();
  });

  it('stops waiting for a link that went away', () => {
    const g = new Gatherings<string>(HOST);
    g.start('a', 1, directory('host', HOST), links);
    g.start('b', 2, directory('host', HOST), [links[1] as (typeof links)[1]]);
    expect(g.linkGone('link-1')).toEqual([]);
    const done = g.linkGone('link-2');
    expect(done.map((d) => [d.to, d.report.id, d.report.silent.length])).toEqual([
      ['a', 1, 0],
      ['b', 2, 0],
    ]);
    expect(g.size).toBe(0);
  });

  it('gathers a few at a time: beyond that it answers at once, its links silent', () => {
    const g = new Gatherings<string>(HOST, 2);
    expect(g.start('a', 1, directory('host', HOST), links).kind).toBe('asking');
    expect(g.start('b', 2, directory('host', HOST), links).kind).toBe('asking');
    const third = g.start('c', 3, directory('host', HOST), links);
    expect(third.kind).toBe('done');
    if (third.kind === 'done') {
      expect(third.finished.report.silent.map((s) => s.where)).toEqual(links.map((l) => l.where));
    }
  });

  it('takes only the own report of the directory above, marked as above, with its tenant and sites', () => {
    const g = new Gatherings<string>(HOST);
    const above = { id: 'above', where: 'wan:/acme-a.json', above: true };
    const started = g.start('asker', 3, directory('host', HOST), [
      { id: 'link-2', where: 'pub (pid 1)' },
      above,
    ]);
    expect(started.kind).toBe('asking');
    const wan = new WanTenantReport({
      tenant: 'acme',
      sites: [
        new WanSiteReport({ name: 'a', invited: '2026-01-01T00:00:00.000Z', connected: true }),
      ],
    });
    const fromWan = new NetworkReport({
      id: 1,
      directories: [
        new GatheredDirectory({ under: '', report: directory('wan', 'ws://relay/'), wan }),
        // Whatever else a directory above might send is not taken.
        new GatheredDirectory({ under: 'ws://relay/', report: directory('host', 'unix:/b.sock') }),
      ],
      nodes: report(1, { nodes: [['', node('far', 'far (pid 9)')]] }).nodes,
      silent: [],
    });
    expect(g.answered(1, 'above', fromWan)).toBeUndefined();
    const done = g.answered(1, 'link-2', report(1, { nodes: [['', node('n1', 'pub (pid 1)')]] }));
    const dirs = done?.report.directories ?? [];
    expect(dirs.map((d) => [d.under, d.report.endpoint, d.above ?? false])).toEqual([
      ['', HOST, false],
      [HOST, 'ws://relay/', true],
    ]);
    expect(dirs[1]?.wan?.tenant).toBe('acme');
    expect(dirs[1]?.wan?.sites.map((x) => [x.name, x.connected])).toEqual([['a', true]]);
    expect(done?.report.nodes.map((n) => n.report.nodeId)).toEqual(['n1']);
  });

  it('gives the directories below less time than it has', () => {
    expect(deadlineBelow(1500)).toBe(900);
    expect(deadlineBelow(900)).toBeLessThan(900);
    expect(deadlineBelow(0)).toBe(0);
  });
});
