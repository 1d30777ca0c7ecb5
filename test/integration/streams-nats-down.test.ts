/**
 * A local store whose replicated streams are on NATS servers that do not
 * answer: its local streams are still listed and served, replicated ones
 * fail with `ERR_STREAM_UNAVAILABLE`, a warning says NATS is unreachable,
 * and once a server answers the replicated streams come back — in the
 * store, in `callsign stream list`, and in a running `callsign stream serve`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import type { StoreEvent } from '../../src/streams/store.ts';
import { cliProject } from '../helpers/cli.ts';
import { eventually, type NatsServers, startNatsServer } from '../streams/nats-servers.ts';
import { hostFixture } from './programs/host-fixture.ts';

const encoder = new TextEncoder();
const folders: string[] = [];
const started: NatsServers[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.close()));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A nats-server that has been stopped: its URL answers nothing until it is started again. */
async function stoppedServer(): Promise<{ url: string; start: () => Promise<void> }> {
  const servers = await startNatsServer();
  started.push(servers);
  const server = servers.servers[0];
  if (!server) throw new Error('no server');
  await server.stop();
  return { url: server.url, start: () => server.start() };
}

it('with no NATS server answering, local streams are served and replicated ones are unavailable until one answers', async () => {
  const nats = await stoppedServer();
  const path = mkdtempSync(join(tmpdir(), 'callsign-down-'));
  folders.push(path);
  {
    await using plain = await openStreamStore({ driver: 'lmdb', options: { path } });
    await plain.createStream({ name: 'here' });
  }
  const warnings: string[] = [];
  await using store = await openStreamStore({
    driver: 'lmdb',
    options: { path },
    replicated: { servers: nats.url, prefix: 'dn' },
    warn: (m) => warnings.push(m),
  });
  await store.append('here', { data: encoder.encode('kept') });
  expect(await store.listStreams()).toEqual(['here']);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/NATS is unreachable/);
  expect((await store.read('here')).map((r) => r.sequence)).toEqual([1]);
  await expect(store.createStream({ name: 'there', storage: 'replicated' })).rejects.toMatchObject({
    code: 'ERR_STREAM_UNAVAILABLE',
  });
  // Nor a local one: whether a replicated stream has its name cannot be checked.
  await expect(store.createStream({ name: 'new', storage: 'local' })).rejects.toMatchObject({
    code: 'ERR_STREAM_UNAVAILABLE',
  });
  await expect(store.streamInfo('there')).rejects.toMatchObject({
    code: 'ERR_STREAM_UNAVAILABLE',
  });
  await expect(store.append('there', { data: encoder.encode('x') })).rejects.toMatchObject({
    code: 'ERR_STREAM_UNAVAILABLE',
  });
  // Still one warning: it is said once while the servers stay silent.
  expect(warnings).toHaveLength(1);

  // A server answers; a replicated stream made meanwhile elsewhere is announced to watchers.
  const events: StoreEvent[] = [];
  const stop = store.watch((e) => events.push(e));
  await nats.start();
  {
    await using remote = await openStreamStore({
      driver: 'nats',
      options: { servers: nats.url, prefix: 'dn' },
    });
    await remote.createStream({ name: 'there' });
  }
  await eventually('the replicated stream is announced', async () =>
    events.some((e) => e.kind === 'created' && e.stream === 'there'),
  );
  stop();
  expect(warnings.at(-1)).toMatch(/answer again/);
  expect(await store.listStreams()).toEqual(['here', 'there']);
  await store.append('there', { data: encoder.encode('now') });
  expect((await store.read('there')).length).toBe(1);
  await store.createStream({ name: 'later', storage: 'replicated' });
  expect((await store.streamInfo('later')).config.storage).toBe('replicated');
}, 60_000);

it('callsign stream list and stream serve go on with the local streams while NATS is unreachable', async () => {
  const nats = await stoppedServer();
  const p = cliProject();
  const host = hostFixture();
  const env = { ...host.env, CALLSIGN_REALM: host.realmFile, CALLSIGN_NATS_SERVERS: nats.url };
  const at = ['--driver.path', join(p.dir, 'data'), '--replicated.prefix', 'cl'];
  // Made before any NATS server is configured.
  const made = await p.run(['stream', 'create', 'notes', ...at.slice(0, 2)], {
    ...env,
    CALLSIGN_NATS_SERVERS: '',
  });
  expect(made.code, made.stderr).toBe(0);

  const list = await p.run(['stream', 'list', ...at, '--json'], env);
  expect(list.code, list.stderr).toBe(0);
  expect(JSON.parse(list.stdout).map((r: { name: string }) => r.name)).toEqual(['notes']);
  expect(list.stderr).toMatch(/callsign: warning: NATS is unreachable/);
  const replicated = await p.run(['stream', 'create', 'ledger', '--replicated', ...at], env);
  expect(replicated.code).toBe(2);
  expect(replicated.stderr).toMatch(/\(ERR_STREAM_UNAVAILABLE\)/);

  expect((await p.run(['host', 'start'], env)).code).toBe(0);
  const serve = p.start(['stream', 'serve', ...at], env);
  await serve.waitFor(/serving 1 stream of .* at host scope/, 20_000);
  expect(serve.stderr).toMatch(/warning: NATS is unreachable/);
  const served = await p.run(['stream', 'list', ...at, '--json'], env);
  expect(served.code, served.stderr).toBe(0);
  expect(JSON.parse(served.stdout).map((r: { name: string }) => r.name)).toEqual(['notes']);

  // Once a server answers, the running server serves the replicated streams too.
  await nats.start();
  {
    await using remote = await openStreamStore({
      driver: 'nats',
      options: { servers: nats.url, prefix: 'cl' },
    });
    await remote.createStream({ name: 'ledger' });
    await remote.append('ledger', { data: encoder.encode('entry') });
  }
  await serve.waitFor(/answer again/, 20_000);
  const names = await eventually('the server lists the replicated stream', async () => {
    const again = await p.run(['stream', 'list', ...at, '--json'], env);
    const rows = again.code === 0 ? (JSON.parse(again.stdout) as { name: string }[]) : [];
    return rows.some((r) => r.name === 'ledger') && rows.map((r) => r.name);
  });
  expect(names).toEqual(['ledger', 'notes']);
  const info = await p.run(['stream', 'info', 'ledger', ...at, '--json'], env);
  expect(info.code, info.stderr).toBe(0);
  expect(JSON.parse(info.stdout).messages).toBe(1);
  serve.child.kill('SIGTERM');
  expect((await serve.done).code).toBe(0);
}, 90_000);
