/**
 * NATS going away under a running store: the client knows it is
 * disconnected, so calls on replicated streams fail at once with
 * `ERR_STREAM_UNAVAILABLE` (not `ERR_STORAGE_FAILED` after the request
 * timeout), local streams go on, and when the server returns (the same
 * port and files) the replicated stream is served again with what it had.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { eventually, type NatsServers, startNatsServer } from '../streams/nats-servers.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const folders: string[] = [];
const started: NatsServers[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.close()));
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

it('fails replicated calls at once while NATS is down under a running store, and serves them again when it returns', async () => {
  const servers = await startNatsServer();
  started.push(servers);
  const server = servers.servers[0];
  if (!server) throw new Error('no server');
  const path = mkdtempSync(join(tmpdir(), 'callsign-drop-'));
  folders.push(path);
  await using store = await openStreamStore({
    driver: 'lmdb',
    options: { path },
    replicated: { servers: server.url, prefix: 'dr' },
    warn: () => {},
  });
  await store.createStream({ name: 'here', storage: 'local' });
  await store.createStream({ name: 'there', storage: 'replicated' });
  await store.append('there', { data: encoder.encode('before') });
  await store.createConsumer('there', { name: 'c', start: 'earliest' });

  await server.stop();
  // Once the client has heard the connection go: at once, and the code says why.
  await eventually('an append refused as unavailable', async () =>
    (await codeOf(store.append('there', { data: encoder.encode('x') }))) ===
    'ERR_STREAM_UNAVAILABLE'
      ? true
      : undefined,
  );
  expect(await codeOf(store.read('there'))).toBe('ERR_STREAM_UNAVAILABLE');
  expect(await codeOf(store.streamInfo('there'))).toBe('ERR_STREAM_UNAVAILABLE');
  expect(await codeOf(store.pull('there', 'c', { max: 1 }))).toBe('ERR_STREAM_UNAVAILABLE');
  expect(await codeOf(store.ack('there', 'c', 0, 1))).toBe('ERR_STREAM_UNAVAILABLE');
  // The local stream goes on, and the listing still names the replicated one.
  await store.append('here', { data: encoder.encode('local') });
  expect((await store.read('here')).map((r) => decoder.decode(r.data))).toEqual(['local']);
  expect(await store.listStreams()).toEqual(['here', 'there']);

  await server.start();
  const again = await eventually('an append stored again', () =>
    store.append('there', { data: encoder.encode('after') }).catch(() => undefined),
  );
  expect(again.duplicate).toBe(false);
  const kept = (await store.read('there')).map((r) => decoder.decode(r.data));
  expect(kept[0]).toBe('before');
  expect(kept.at(-1)).toBe('after');
  const ds = await store.pull('there', 'c', { max: 1 });
  expect(decoder.decode(ds[0]?.data)).toBe('before');
  expect(await store.ack('there', 'c', 0, ds[0]?.sequence ?? 0)).toBe(true);
}, 60_000);
