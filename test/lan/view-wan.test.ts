/**
 * The WAN level in `callsign network` and `callsign view`, in the simulated
 * internet (test/helpers/wan-netns.ts): two NATed sites of tenant `acme`
 * (and a third invited that never connects), one of tenant `umbrella`, and
 * the public relay. At a site, `network` and the view show the WAN directory
 * of the site's own tenant above the site's directory: its sites (connected
 * or not), the wan-scope listings and searches it holds. Another tenant's
 * sites and names never show.
 *
 * The page's screenshot is saved as artifacts/view-wan.png.
 *
 * `network` and the view run in the test's own namespace: they reach a
 * site's host directory through its unix socket, and the WAN directory only
 * through that site's directory.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DirectoryDescription,
  NetworkSnapshot,
} from '../../orchestrator/view/snapshot-shape.ts';
import type { TreeItem } from '../../orchestrator/view/tree.ts';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { openBrowser, until } from '../helpers/browser.ts';
import { CALLSIGN_BIN, eventually } from '../helpers/cli.ts';
import type { LanProgram } from '../helpers/netns.ts';
import { ROOT, startProgram } from '../helpers/processes.ts';
import { PUBLIC_ADDRESS, startWan, type Wan } from '../helpers/wan-netns.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';
const RELAY_URL = `ws://${PUBLIC_ADDRESS.relay}:7600/`;

let wan: Wan;
let dir: string;
let realm: string;

const callsign = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  promisify(execFile)(process.execPath, [CALLSIGN_BIN, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
  });

/** The environment of a command that uses site `name`'s host directory. */
const atSite = (name: string) => ({
  CALLSIGN_REALM: realm,
  CALLSIGN_HOST: `unix:${join(dir, name, 'host.sock')}`,
});

/** A site: a host directory under the WAN directory, on `host`, with the access file `access`. */
function site(host: string, name: string, access: string) {
  mkdirSync(join(dir, name), { recursive: true });
  const env = atSite(name);
  const directory = wan.startLasting(host, HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
    ...env,
    CALLSIGN_WAN: join(dir, access),
  });
  const startLasting = (file: string, args: string[]) =>
    wan.startLasting(host, file, ['--debug-level=CONSOLE', ...args], env);
  return { directory, startLasting };
}

/** `callsign network --json` at site `name`, once it shows what `check` looks for. */
function networkAt<T>(name: string, check: (s: NetworkSnapshot) => T | undefined, what: string) {
  return eventually(async () => {
    const { stdout } = await callsign(['network', '--json'], atSite(name));
    return check(JSON.parse(stdout) as NetworkSnapshot);
  }, what);
}

const wanOf = (s: NetworkSnapshot) => s.directories.find((d) => d.level === 'wan');
const sitesOf = (d: DirectoryDescription | undefined) =>
  d?.tenant?.sites.map((x) => `${x.name} ${x.connected ? 'connected' : 'not connected'}`);

beforeAll(async () => {
  wan = await startWan();
  dir = mkdtempSync(join(tmpdir(), 'callsign-view-wan-'));
  realm = join(dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('weather')), { mode: 0o600 });
  const d = ['--dir', join(dir, 'relay')];
  await callsign(['wan', 'tenant', 'add', 'acme', ...d]);
  await callsign(['wan', 'tenant', 'add', 'umbrella', ...d]);
  for (const [tenant, s] of [
    ['acme', 'a'],
    ['acme', 'b'],
    ['acme', 'c'],
    ['umbrella', 'u'],
  ] as const) {
    await callsign(['wan', 'invite', tenant, '--site', s, '--url', RELAY_URL, ...d]);
  }
  await wan
    .startLasting('relay', 'bin/callsign.js', [
      'wan',
      'serve',
      ...d,
      '--listen',
      `${PUBLIC_ADDRESS.relay}:7600`,
    ])
    .waitFor(/relay listening at/, 20_000);
}, 60_000);

afterAll(async () => {
  await wan?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the WAN level seen from a site', () => {
  let watch: LanProgram;

  beforeAll(async () => {
    const a = site('a1', 'a', 'acme-a.access.json');
    const b = site('b1', 'b', 'acme-b.access.json');
    const u = site('a1', 'u', 'umbrella-u.access.json');
    for (const s of [a, b, u]) {
      await s.directory.waitFor(/connected to the directory above/, 20_000);
    }
    await a
      .startLasting(PUBLISHER, ['--name=station-a', '--scope=wan'])
      .waitFor(/published station-a/);
    await u
      .startLasting(PUBLISHER, ['--name=umbrella-secret', '--scope=wan'])
      .waitFor(/published umbrella-secret/);
    u.startLasting(WATCH, ['--search=/umbrella-.*/', '--scope=wan']);
    watch = b.startLasting(WATCH, ['--search=/station-.*/', '--scope=wan']);
    await watch.waitFor(/available station-a wan/, 20_000);
  }, 90_000);

  it("network --json lists the WAN directory of the site's tenant: its sites, listings and searches", async () => {
    const snapshot = await networkAt(
      'b',
      (s) => {
        const w = wanOf(s);
        const searched = w?.searches.some((x) => x.pattern === 'station-.*');
        return w?.listings.some((l) => l.name === 'station-a') && searched ? s : undefined;
      },
      'the WAN directory with station-a and /station-.*/ at site b',
    );
    const w = wanOf(snapshot) as DirectoryDescription;
    expect(w.endpoint).toBe(RELAY_URL);
    expect(w.under).toBeNull();
    expect(w.tenant?.name).toBe('acme');
    expect(sitesOf(w)).toEqual(['a connected', 'b connected', 'c not connected']);
    for (const x of w.tenant?.sites ?? []) {
      expect(Date.parse(x.invited)).toBeGreaterThan(0);
      expect(x.connectedSince === null).toBe(!x.connected);
    }
    expect(w.listings.find((l) => l.name === 'station-a')).toMatchObject({ scope: 'wan' });
    expect(w.searches.find((x) => x.pattern === 'station-.*')).toMatchObject({
      regex: true,
      scope: 'wan',
    });
    // The site's host directory hangs under the WAN directory it gathered.
    const host = snapshot.directories.find((d) => d.level === 'host');
    expect(host?.under).toBe(RELAY_URL);
    expect(host?.wan?.tenant).toBe('acme');
    // Nothing of the other tenant, which publishes and searches at the same relay.
    const text = JSON.stringify(snapshot);
    expect(text).not.toContain('umbrella');
    expect(w.children).not.toContain('site u');
  });

  it('network prints the WAN directory with its tenant and sites for people', async () => {
    const { stdout } = await callsign(['network'], atSite('a'));
    expect(stdout).toContain(`wan directory ${RELAY_URL}`);
    expect(stdout).toContain('  tenant acme\n');
    expect(stdout).toMatch(/ {2}sites \(3\)\n {4}a {2}connected since \S+ {2}invited \S+\n/);
    expect(stdout).toMatch(/\n {4}c {2}not connected {2}invited \S+\n/);
    expect(stdout).toContain('station-a  wan');
    expect(stdout).not.toContain('umbrella');
  });

  it("another tenant's site sees only its own tenant, sites and names", async () => {
    const snapshot = await networkAt(
      'u',
      (s) => (wanOf(s)?.listings.some((l) => l.name === 'umbrella-secret') ? s : undefined),
      'the WAN directory with umbrella-secret at site u',
    );
    const w = wanOf(snapshot);
    expect(w?.tenant?.name).toBe('umbrella');
    expect(sitesOf(w)).toEqual(['u connected']);
    const text = JSON.stringify(snapshot);
    for (const other of ['acme', 'station-a', 'station-.*', 'site a', 'site b']) {
      expect(text).not.toContain(other);
    }
  });

  it('the view shows the WAN level above the site, in its state and on its page', async () => {
    const view = startProgram('bin/callsign.js', ['view', '--interval=0.5'], atSite('b'));
    const [, address] = await view.waitFor(/callsign view: (http:\S+)/, 20_000);
    const url = new URL(address as string);
    const token = url.searchParams.get('token') ?? '';
    const state = () =>
      fetch(`http://127.0.0.1:${url.port}/api/state`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json() as Promise<{ tree: TreeItem[]; snapshot: NetworkSnapshot }>);
    const tree = await eventually(async () => {
      const { tree } = await state();
      return tree[0]?.level === 'wan' && tree[0].children[0]?.level === 'host' ? tree : undefined;
    }, 'the WAN directory at the top of the tree, the site host directory under it');
    expect(tree).toHaveLength(1);
    expect(tree[0]?.label).toBe(RELAY_URL);
    expect(tree[0]?.detail).toMatch(/^tenant acme, 2 of 3 sites connected, \d+ listings?/);
    expect(tree[0]?.children[0]?.label).toBe(atSite('b').CALLSIGN_HOST);
    const { snapshot } = await state();
    expect(sitesOf(wanOf(snapshot))).toEqual(['a connected', 'b connected', 'c not connected']);
    expect(JSON.stringify(snapshot)).not.toContain('umbrella');

    const page = await (await openBrowser()).newPage();
    await page.goto(url.href);
    const top = `document.querySelector('#tree > li[data-kind="directory"]')`;
    await until(
      page,
      'the WAN directory at the top of the tree with its sites',
      `${top}?.querySelector('.level-wan') && ${top}.querySelector('details.sites')?.textContent.includes('site c: not connected')`,
    );
    const text = String(await page.evaluate(`${top}.textContent`));
    expect(text).toContain(`directory ${RELAY_URL}`);
    expect(text).toContain('site a: connected since');
    expect(text).toContain(`directory ${atSite('b').CALLSIGN_HOST}`);
    await page.evaluate(`${top}.querySelector('details.sites').open = true`);
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'artifacts', 'view-wan.png'), fullPage: true });
  });
});
