/**
 * The relayed path of bench/wan.ts on loopback only, without network
 * namespaces, NAT or root: a relay (`callsign wan serve`) and a
 * `nats-server` on 127.0.0.1, two site host directories joined to the relay
 * (neither says a public address, so every session goes through the relay),
 * and the same two stacks as bench/wan.ts (bench/wan/callsign-wan.ts and
 * bench/stacks/nats.ts). Set against a bench:wan run on the same machine,
 * it tells the relay's and the end nodes' own cost apart from what the
 * namespaces' veth pairs and NAT routers add.
 *
 *   npm run bench:wan-loopback [-- --quick]
 *
 * Processes are not pinned. Last line: one JSON object with the same
 * relayed keys as bench:wan.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeAccess } from '../scopes/wan/access.ts';
import { RelayFolder } from '../scopes/wan/registry.ts';
import { createRealm, serializeRealm } from '../src/wire/realm.ts';
import { freePort } from './lib/free-port.ts';
import { startNatsServer } from './lib/nats-server.ts';
import { type Measured, measuredFrom, relayedVsNats, wanPlan } from './wan/figures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

const PLAN = wanPlan(quick);

interface Program {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output(): { stdout: string; stderr: string };
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

const started: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `file` with `node --import tsx`, its output kept. */
function start(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Program {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  child.stdin.on('error', () => {});
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    async waitFor(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(stdout) && !pattern.test(stderr)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`${file}: no ${pattern} within ${ms} ms\n${stderr.slice(-2000)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'callsign-bench-wan-loopback-'));
const nats = await startNatsServer();
try {
  const realm = join(dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('bench-wan')), { mode: 0o600 });
  const relayDir = join(dir, 'relay');
  const port = await freePort();
  const folder = new RelayFolder(relayDir);
  await folder.addTenant('bench');
  for (const site of ['a', 'b']) {
    const access = await folder.invite('bench', site, [`ws://127.0.0.1:${port}/`]);
    writeFileSync(join(dir, `${site}.json`), serializeAccess(access), { mode: 0o600 });
  }
  const siteEnv = (site: string) => {
    mkdirSync(join(dir, site), { recursive: true });
    return { CALLSIGN_REALM: realm, CALLSIGN_HOST: `unix:${join(dir, site, 'host.sock')}` };
  };

  const relay = start('bench/wan/cli.ts', [
    'wan',
    'serve',
    '--dir',
    relayDir,
    '--listen',
    `127.0.0.1:${port}`,
  ]);
  await relay.waitFor(/relay listening at/);
  for (const site of ['a', 'b']) {
    await start('scopes/host/directory.ts', ['--debug-level=CONSOLE'], {
      ...siteEnv(site),
      CALLSIGN_WAN: join(dir, `${site}.json`),
      CALLSIGN_PUBLIC_ADDRESS: 'none',
    }).waitFor(/connected to the directory above/);
  }

  /** A stack's server at site A and its client at site B (bench/lib/stack-process.ts). */
  const pair = async (file: string, params: Record<string, string>): Promise<Measured> => {
    const p = JSON.stringify(params);
    const server = start(file, ['server', '--params', p], siteEnv('a'));
    await server.waitFor(/"type":"ready"/);
    const endpoint = (
      JSON.parse(server.output().stdout.split('\n')[0] as string) as { endpoint: string }
    ).endpoint;
    const client = start(
      file,
      ['client', '--endpoint', endpoint, '--params', p, '--plan', JSON.stringify(PLAN)],
      siteEnv('b'),
    );
    await client.exited;
    server.child.kill('SIGTERM');
    await server.exited;
    return measuredFrom(file, client.output().stdout, client.output().stderr);
  };

  const relayed = await pair('bench/wan/callsign-wan.ts', {});
  const viaNats = await pair('bench/stacks/nats.ts', { url: nats.url });

  const result = {
    profile: quick ? 'quick' : 'full',
    ...relayedVsNats(relayed, viaNats),
  };
  console.log('\ncallsign relayed on loopback (no namespaces), against NATS on loopback\n');
  console.log('| measure | relay | NATS | ratio |');
  console.log('|:--|--:|--:|--:|');
  console.log(
    `| round trip p50, 100 B | ${result.relay_rtt_p50_us} µs | ${result.nats_rtt_p50_us} µs | ${result.relay_rtt_vs_nats}× |`,
  );
  console.log(
    `| one way 100 B | ${result.relay_msgs_100B_per_s} msg/s | ${result.nats_msgs_100B_per_s} msg/s | ${result.relay_msgs_100B_vs_nats}× |`,
  );
  console.log(
    `| one way 16 KiB | ${result.relay_mb_16KiB_per_s} MB/s | ${result.nats_mb_16KiB_per_s} MB/s | ${result.relay_mb_16KiB_vs_nats}× |`,
  );
  console.log(JSON.stringify(result));
} finally {
  for (const c of started.reverse()) c.kill('SIGKILL');
  await nats.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
