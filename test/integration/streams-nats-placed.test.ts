/**
 * Local and replicated per stream: one host over an lmdb store whose
 * streams declared `replicated` are kept on JetStream (a nats-server of the
 * test's own) serves both kinds at once, with the same producer and
 * consumer calls; `callsign stream create --replicated` declares one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, expect, it } from 'vitest';
import { openConsumer } from '../../src/streams/consumer.ts';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { openProducer } from '../../src/streams/producer.ts';
import { StreamDelivery } from '../../src/streams/protocol.ts';
import { cliProject } from '../helpers/cli.ts';
import { useNatsServer } from '../streams/nats-servers.ts';
import { hostNode } from '../streams/stream-host-node.ts';

const { url } = useNatsServer();
const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** The JetStream streams on the server, as a raw client sees them. */
async function jetStreams(): Promise<string[]> {
  const nc = await connect({ servers: url() });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    return names.sort();
  } finally {
    await nc.close();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

it('one host serves a local and a replicated stream at once, with the same producers and consumers', async () => {
  const path = mkdtempSync(join(tmpdir(), 'callsign-placed-'));
  folders.push(path);
  const store = await openStreamStore({
    driver: 'lmdb',
    options: { path },
    replicated: { servers: url(), prefix: 'pl' },
  });
  await store.createStream({ name: 'here', partitions: 2 });
  await store.createStream({ name: 'there', partitions: 2, storage: 'replicated' });
  const { run } = hostNode('placed-test', store);

  for (const name of ['here', 'there']) {
    const seen = await run(async (self) => {
      const producer = openProducer(self, name, { scope: 'process' });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          producer.append(encoder.encode(`${name}-${i}`), { key: `k${i % 3}` }),
        ),
      );
      await producer.flush();
      producer.close();
      const c = openConsumer(self, name, { scope: 'process', name: 'all', start: 'earliest' });
      await c.attached();
      const got: string[] = [];
      while (got.length < 20) {
        const d = await self.select(StreamDelivery);
        got.push(decoder.decode(d.data));
        c.ack(d);
      }
      c.close();
      return got.sort();
    });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `${name}-${i}`).sort());
  }
  // Where each one is: `there` on JetStream (a stream per partition), `here` not.
  expect(await jetStreams()).toEqual(['pl_there_p0', 'pl_there_p1']);
  expect(await store.listStreams()).toEqual(['here', 'there']);
  expect((await store.streamInfo('there')).config.storage).toBe('replicated');
  expect((await store.streamInfo('here')).messages).toBe(20);

  // A name is one stream: not made again on the other side; where it is kept does not change.
  await expect(store.createStream({ name: 'here', storage: 'replicated' })).rejects.toMatchObject({
    code: 'ERR_STREAM_EXISTS',
  });
  await expect(store.createStream({ name: 'there', storage: 'local' })).rejects.toMatchObject({
    code: 'ERR_STREAM_EXISTS',
  });
  await expect(
    store.updateStream({ name: 'there', partitions: 2, storage: 'local' }),
  ).rejects.toMatchObject({ code: 'ERR_INVALID_STREAM' });
  await expect(
    store.updateStream({ name: 'here', partitions: 2, sealed: true }),
  ).rejects.toMatchObject({ code: 'ERR_INVALID_STREAM' });
  // The same declaration again is no error.
  await store.createStream({ name: 'there', partitions: 2, storage: 'replicated' });
  await store.createStream({ name: 'here', partitions: 2, storage: 'local' });

  // A store with no servers for replicated streams refuses one, with a code.
  const dir = mkdtempSync(join(tmpdir(), 'callsign-placed-'));
  folders.push(dir);
  await using alone = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
  await expect(alone.createStream({ name: 'r', storage: 'replicated' })).rejects.toMatchObject({
    code: 'ERR_STREAM_UNSUPPORTED',
  });
  await using remote = await openStreamStore({
    driver: 'nats',
    options: { servers: url(), prefix: 'pl2' },
  });
  await expect(remote.createStream({ name: 'l', storage: 'local' })).rejects.toMatchObject({
    code: 'ERR_STREAM_UNSUPPORTED',
  });
}, 60_000);

it('callsign stream create --replicated keeps a stream on the servers of the home, beside local ones', async () => {
  const p = cliProject();
  const data = join(p.dir, 'data');
  const env = { CALLSIGN_NATS_SERVERS: url() };
  const store = ['--driver.path', data, '--replicated.prefix', 'cli'];
  const made = await p.run(
    ['stream', 'create', 'ledger', '--replicated', '--sealed', ...store, '--json'],
    env,
  );
  expect(made.code, made.stderr).toBe(0);
  expect(JSON.parse(made.stdout).config).toMatchObject({ storage: 'replicated', sealed: true });
  const local = await p.run(
    ['stream', 'create', 'notes', '--stream.storage', 'local', ...store, '--json'],
    env,
  );
  expect(local.code, local.stderr).toBe(0);
  const list = await p.run(['stream', 'list', ...store, '--json'], env);
  expect(list.code, list.stderr).toBe(0);
  expect(JSON.parse(list.stdout).map((r: { name: string }) => r.name)).toEqual(['ledger', 'notes']);
  const info = await p.run(['stream', 'info', 'ledger', ...store], env);
  expect(info.stdout).toMatch(/kept\s+replicated, sealed/);
  expect((await jetStreams()).filter((n) => n.startsWith('cli_'))).toEqual(['cli_ledger_p0']);
  const key = await p.run(['stream', 'key', '--json']);
  expect(key.code, key.stderr).toBe(0);
  expect(JSON.parse(key.stdout).key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // Without servers for it, a replicated stream is refused with its code.
  const none = await p.run(['stream', 'create', 'x', '--replicated', '--driver.path', data], {
    CALLSIGN_NATS_SERVERS: '',
  });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/\(ERR_STREAM_UNSUPPORTED\)/);
}, 60_000);
