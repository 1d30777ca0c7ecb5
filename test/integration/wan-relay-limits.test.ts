/**
 * The relay's listener under floods of strangers, as `callsign wan serve`
 * runs it: 1000 idle TCP connections, 1000 upgrades that never send a
 * HELLO, 300 upgrades that each announce a 1 MiB message before admission.
 * Through each, a site still joins; the relay's RSS stays within 256 MiB of
 * idle and comes back down once the flood has gone. Only memory is
 * asserted, never time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { type CliProcess, type CliProject, cliProject } from '../helpers/cli.ts';
import { startProgram } from '../helpers/processes.ts';
import {
  closedWithin,
  destroyAll,
  rawSocket,
  rssOf,
  sampleRss,
  until,
  upgraded,
  wsFrame,
} from './attack-tools.ts';

const BOUND = 256 * 1024 * 1024;
const SETTLED = 96 * 1024 * 1024;

interface Relay {
  p: CliProject;
  serve: CliProcess;
  endpoint: string;
  pid: number;
  /** Starts site `n`'s host directory and waits until it is connected to the WAN directory. */
  join(n: number): Promise<void>;
}

async function relay(): Promise<Relay> {
  const p = cliProject();
  const dir = ['--dir', join(p.dir, 'relay')];
  await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
  const serve = p.start(['wan', 'serve', '--listen', '127.0.0.1:0', ...dir]);
  const [, endpoint] = (await serve.waitFor(
    /relay listening at (\S+),/,
    20_000,
  )) as RegExpMatchArray;
  const realm = join(p.dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('wan-limits')), { mode: 0o600 });
  return {
    p,
    serve,
    endpoint: endpoint as string,
    pid: serve.child.pid as number,
    async join(n) {
      const site = `s${n}`;
      const r = await p.run([
        'wan',
        'invite',
        'acme',
        '--site',
        site,
        '--out',
        `${site}.json`,
        ...dir,
      ]);
      expect(r.code, r.stderr).toBe(0);
      mkdirSync(join(p.dir, site));
      const d = startProgram('scopes/host/directory.ts', ['--debug-level=CONSOLE'], {
        CALLSIGN_REALM: realm,
        CALLSIGN_HOST: `unix:${join(p.dir, site, 'host.sock')}`,
        CALLSIGN_PUBLIC_ADDRESS: 'none',
        CALLSIGN_WAN: join(p.dir, `${site}.json`),
      });
      // The relay may still refuse it while the flood holds its places: the site retries.
      await d.waitFor(/connected to the directory above at wan:/, 60_000);
      d.child.kill('SIGKILL');
    },
  };
}

describe('the relay listener under floods', () => {
  it('1000 idle TCP connections: the excess is cut at accept, the rest at the deadline', async () => {
    const r = await relay();
    await r.join(1);
    const idle = rssOf(r.pid);
    const rss = sampleRss(r.pid);
    const sockets = await Promise.all(
      Array.from({ length: 1000 }, () => rawSocket(r.endpoint).catch(() => undefined)),
    );
    const open = sockets.filter((s): s is Socket => s !== undefined);
    onTestFinished(() => destroyAll(open));
    await r.join(2);
    const cut = await Promise.all(open.map((s) => closedWithin(s, 20_000)));
    expect(cut.every(Boolean)).toBe(true);
    expect(rss.stop() - idle).toBeLessThanOrEqual(BOUND);
    await r.serve.waitFor(/ERR_TOO_MANY_PENDING/);
    await r.serve.waitFor(/ERR_HANDSHAKE_TIMEOUT/);
    await until(() => rssOf(r.pid) - idle <= SETTLED, 60_000, 'RSS back near idle');
  }, 120_000);

  it('1000 upgrades that never send a HELLO, and 300 that announce a 1 MiB message before admission', async () => {
    const r = await relay();
    await r.join(1);
    const idle = rssOf(r.pid);
    const rss = sampleRss(r.pid);
    const sockets: Socket[] = [];
    onTestFinished(() => destroyAll(sockets));
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.allSettled(
        Array.from({ length: 100 }, () => upgraded(r.endpoint)),
      );
      for (const b of batch) if (b.status === 'fulfilled') sockets.push(b.value);
    }
    // A frame header announcing 1 MiB, and the first 64 KiB of it.
    const large: Socket[] = [];
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.allSettled(
        Array.from({ length: 100 }, () => upgraded(r.endpoint)),
      );
      for (const b of batch) {
        if (b.status !== 'fulfilled') continue;
        large.push(b.value);
        b.value.write(wsFrame(2, new Uint8Array(64 * 1024), { declared: 1024 * 1024 }));
      }
    }
    sockets.push(...large);
    await r.join(2);
    const cut = await Promise.all(sockets.map((s) => closedWithin(s, 20_000)));
    expect(cut.every(Boolean)).toBe(true);
    expect(rss.stop() - idle).toBeLessThanOrEqual(BOUND);
    await until(() => rssOf(r.pid) - idle <= SETTLED, 60_000, 'RSS back near idle');
  }, 120_000);
});
