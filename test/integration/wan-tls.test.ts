/**
 * The relay over TLS, on loopback: `wan serve --cert --key` with a
 * self-signed certificate made here (openssl), sites joining over wss and
 * finding each other by name; a plain ws client at the TLS port is refused
 * and the relay serves on. And the reverse-proxy set-up docs/wan.md gives: a
 * plain relay behind a proxy that terminates TLS and forwards the upgrade
 * from a path (`wss://…/callsign/`).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { type CliProject, cliProject } from '../helpers/cli.ts';
import { type Program, startProgram } from '../helpers/processes.ts';

const HOST_DIRECTORY = 'scopes/host/directory.ts';
const PUBLISHER = 'test/lan/programs/lan-publisher.ts';
const WATCH = 'test/lan/programs/lan-watch.ts';

/** A self-signed certificate for 127.0.0.1, and its key, in `dir`. */
async function selfSigned(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    // biome-ignore format: the openssl command as one would type it
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-days', '1', '-subj', '/CN=callsign-test',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', key, '-out', cert,
    ]);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error('this test needs openssl (Debian: apt-get install openssl)');
    }
    throw err;
  }
  return { cert, key };
}

/** Two sites of tenant acme (invited with `urls`, or the relay's own), their realm, and a station at site a. */
async function twoSites(p: CliProject, dir: string[], cert: string, urls: string[] = []) {
  for (const s of ['a', 'b']) {
    const url = urls.flatMap((u) => ['--url', u]);
    const r = await p.run([
      'wan',
      'invite',
      'acme',
      '--site',
      s,
      '--out',
      `${s}.json`,
      ...url,
      ...dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
  const realm = join(p.dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('wan-tls')), { mode: 0o600 });
  const env = (s: string) => {
    mkdirSync(join(p.dir, s), { recursive: true });
    return {
      CALLSIGN_REALM: realm,
      CALLSIGN_HOST: `unix:${join(p.dir, s, 'host.sock')}`,
      CALLSIGN_PUBLIC_ADDRESS: 'none',
      // The sites trust the relay's self-signed certificate, as a user would.
      NODE_EXTRA_CA_CERTS: cert,
    };
  };
  for (const s of ['a', 'b']) {
    const d = startProgram(HOST_DIRECTORY, ['--debug-level=CONSOLE'], {
      ...env(s),
      CALLSIGN_WAN: join(p.dir, `${s}.json`),
    });
    await d.waitFor(/connected to the directory above at wan:/, 20_000);
  }
  const station = startProgram(
    PUBLISHER,
    ['--debug-level=CONSOLE', '--name=station-t', '--scope=wan'],
    env('a'),
  );
  await station.waitFor(/published station-t/, 20_000);
  const watch = (): Program =>
    startProgram(
      WATCH,
      ['--debug-level=CONSOLE', '--search=/station-.*/', '--scope=wan', '--hello'],
      env('b'),
    );
  return { watch };
}

describe('the relay over TLS', () => {
  it('serves wss with --cert and --key: sites join and talk; a plain ws client is refused and harms nothing', async () => {
    const p = cliProject();
    const { cert, key } = await selfSigned(p.dir);
    const dir = ['--dir', join(p.dir, 'relay')];
    await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
    const serve = p.start([
      'wan',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--cert',
      cert,
      '--key',
      key,
      ...dir,
    ]);
    const [, url] = (await serve.waitFor(/reached at (wss:\S+)/, 20_000)) as RegExpMatchArray;
    const access = await twoSites(p, dir, cert);
    expect(JSON.parse(readFileSync(join(p.dir, 'a.json'), 'utf8')).relays).toEqual([url]);
    const first = access.watch();
    await first.waitFor(/available station-t wan/, 20_000);
    await first.waitFor(/welcome from/, 20_000);

    // Plain ws at the TLS port: the TLS handshake fails, the socket is closed.
    const plain = new WebSocket((url as string).replace(/^wss:/, 'ws:'));
    const outcome = await new Promise<string>((resolve) => {
      plain.once('open', () => resolve('open'));
      plain.once('error', (err) => resolve(`error ${err.message}`));
    });
    expect(outcome).toMatch(/^error /);
    // The relay serves on: a new watcher at site b finds and talks to the station.
    const second = access.watch();
    await second.waitFor(/available station-t wan/, 20_000);
    await second.waitFor(/welcome from/, 20_000);
    expect(serve.child.exitCode).toBeNull();
  });

  it('behind a reverse proxy that terminates TLS and forwards the upgrade from a path', async () => {
    const p = cliProject();
    const { cert, key } = await selfSigned(p.dir);
    const dir = ['--dir', join(p.dir, 'relay')];
    await p.run(['wan', 'tenant', 'add', 'acme', ...dir]);
    let relayPort = 0;
    // The proxy: TLS outside, the bytes as they are (the upgrade, then frames) to the plain relay.
    const proxy = createTlsServer(
      { cert: readFileSync(cert), key: readFileSync(key) },
      (outside) => {
        const inside = netConnect(relayPort, '127.0.0.1');
        outside.pipe(inside).pipe(outside);
        outside.on('error', () => inside.destroy());
        inside.on('error', () => outside.destroy());
      },
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const proxyUrl = `wss://127.0.0.1:${(proxy.address() as { port: number }).port}/callsign/`;
    const serve = p.start(['wan', 'serve', '--listen', '127.0.0.1:0', '--url', proxyUrl, ...dir]);
    const [, port] = (await serve.waitFor(
      /relay listening at 127\.0\.0\.1:(\d+)/,
      20_000,
    )) as RegExpMatchArray;
    relayPort = Number(port);
    const access = await twoSites(p, dir, cert);
    expect(JSON.parse(readFileSync(join(p.dir, 'a.json'), 'utf8')).relays).toEqual([proxyUrl]);
    const watch = access.watch();
    await watch.waitFor(/available station-t wan/, 20_000);
    await watch.waitFor(/welcome from/, 20_000);
  });
});
