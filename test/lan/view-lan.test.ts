/**
 * `callsign view` over a LAN (test/helpers/netns.ts): a LAN directory and
 * host directories on two simulated hosts, a publisher on h1 and a
 * subscriber on h2 that talk. The view at h2 finds the LAN directory above
 * its host directory, and shows the LAN level at the top of its tree with
 * both hosts under it, and h1's listing and the session with a rate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkSnapshot } from '../../orchestrator/view/snapshot-shape.ts';
import type { TreeItem } from '../../orchestrator/view/tree.ts';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { eventually } from '../helpers/cli.ts';
import { type Lan, startLan } from '../helpers/netns.ts';
import { tempDir } from '../helpers/processes.ts';

const LAN_DIRECTORY = 'scopes/lan/directory.ts';
const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';

interface State {
  tree: TreeItem[];
  snapshot: NetworkSnapshot;
}

/** The view's state, fetched from inside `host` (the view listens on that host's 127.0.0.1). */
async function stateIn(lan: Lan, host: string, port: string, token: string): Promise<State> {
  const script = `fetch('http://127.0.0.1:${port}/api/state',{headers:{authorization:'Bearer ${token}'}}).then(r=>r.text()).then(t=>process.stdout.write(t))`;
  const r = await lan.run(host, [process.execPath, '-e', script]);
  if (r.code !== 0) throw new Error(`fetching the state in ${host}: ${r.stderr}`);
  return JSON.parse(r.stdout) as State;
}

describe('callsign view over a LAN', () => {
  it("shows the LAN level above the host, and the other host's listing and session with a rate", async () => {
    await using lan = await startLan({ hosts: 2, name: 'viewlan' });
    const dir = tempDir('callsign-view-lan-');
    const realm = join(dir, 'realm.json');
    writeFileSync(realm, serializeRealm(createRealm('lab')), { mode: 0o600 });
    const env = (host: string): NodeJS.ProcessEnv => {
      mkdirSync(join(dir, host), { recursive: true });
      return { CALLSIGN_REALM: realm, CALLSIGN_HOST: `unix:${join(dir, host, 'host.sock')}` };
    };
    const start = (host: string, file: string, args: string[] = []) =>
      lan.startProgram(host, file, ['--debug-level=CONSOLE', ...args], env(host));

    await start('h1', LAN_DIRECTORY).waitFor(/lan directory listening on/);
    await Promise.all(
      ['h1', 'h2'].map((h) => start(h, HOST_DIRECTORY).waitFor(/host directory listening on/)),
    );
    await start('h1', PUBLISHER, ['--name=lab-service']).waitFor(/published lab-service/);
    const watch = start('h2', WATCH, ['--search=lab-service', '--hello']);
    await watch.waitFor(/welcome from h1/, 20_000);

    const view = lan.startProgram('h2', 'bin/callsign.js', ['view', '--interval=0.5'], env('h2'));
    const [, address] = await view.waitFor(/callsign view: (http:\S+)/, 20_000);
    const url = new URL(address as string);
    const token = url.searchParams.get('token') ?? '';

    const state = await eventually(
      async () => {
        const s = await stateIn(lan, 'h2', url.port, token);
        const listing = s.snapshot.listings.find((l) => l.name === 'lab-service');
        const rated = (listing?.rate?.messagesPerSecond ?? 0) > 0;
        return s.tree[0]?.level === 'lan' && s.tree[0].children.length === 2 && rated
          ? s
          : undefined;
      },
      'the LAN directory at the top with both hosts, and lab-service with a rate',
      40_000,
    );
    const [top] = state.tree;
    expect(state.tree).toHaveLength(1);
    // The LAN directory names itself by where it listens; the hosts by where they reach it.
    const parent = state.snapshot.directories.find((d) => d.endpoint === env('h2').CALLSIGN_HOST);
    expect(parent?.parent).toBe(`${lan.address('h1')}:${top?.label.split(':').pop()}`);
    expect(top?.children.map((c) => [c.level, c.label]).sort()).toEqual([
      ['host', env('h1').CALLSIGN_HOST],
      ['host', env('h2').CALLSIGN_HOST],
    ]);
    // h1's publisher hangs under h1's host directory.
    const h1 = top?.children.find((c) => c.label === env('h1').CALLSIGN_HOST);
    expect(h1?.children.some((c) => c.kind === 'node' && /lan-publisher/.test(c.label))).toBe(true);
    const listing = state.snapshot.listings.find((l) => l.name === 'lab-service');
    expect(listing?.scope).toBe('lan');
    expect(listing?.heldBy).toContain(top?.label);
    const session = state.snapshot.sessions.find((s) => s.name === 'lab-service');
    expect(session?.crossesConnection).toBe(true);
    expect(session?.rate?.messagesPerSecond).toBeGreaterThan(0);
    expect(state.snapshot.nodes.find((n) => /lan-publisher/.test(n.where))?.under).toBe(
      env('h1').CALLSIGN_HOST,
    );
  });
});
