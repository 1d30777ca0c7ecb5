/**
 * A local stream (lmdb) mirrored into a replicated one (the `nats` driver,
 * on a nats-server of the test's own): order and the sequence mapping are
 * kept per partition, and the mirror resumes after either side restarts;
 * `callsign stream mirror` runs one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { mirrorStream, storeSource } from '../../src/streams/mirror.ts';
import { MIRROR_SEQUENCE } from '../../src/streams/mirror-plan.ts';
import type { StreamStore } from '../../src/streams/store.ts';
import { cliProject } from '../helpers/cli.ts';
import { eventually, type NatsServers, startNatsServer } from '../streams/nats-servers.ts';

let servers: NatsServers | undefined;
const folders: string[] = [];
beforeAll(async () => {
  servers = await startNatsServer();
}, 30_000);
afterAll(async () => {
  await servers?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const url = () => servers?.urls[0] as string;

/** Appends `count` messages with keys over `partitions`, from `start`. */
async function fill(store: StreamStore, start: number, count: number) {
  for (let i = start; i < start + count; i++)
    await store.append('orders', { data: encoder.encode(`order-${i}`), key: `k${i % 5}` });
}

/** Checks that every source message is in the target, in the same partition, in order, mapped. */
async function sameStream(source: StreamStore, target: StreamStore, to: string) {
  const info = await source.streamInfo('orders');
  let total = 0;
  for (const p of info.partitions) {
    const src = await source.read('orders', { partition: p.partition, max: 100_000 });
    const dst = await target.read(to, { partition: p.partition, max: 100_000 });
    expect(dst.map((r) => Number(r.properties?.[MIRROR_SEQUENCE]))).toEqual(
      src.map((r) => r.sequence),
    );
    expect(dst.map((r) => decoder.decode(r.data))).toEqual(src.map((r) => decoder.decode(r.data)));
    expect(dst.map((r) => r.key)).toEqual(src.map((r) => r.key));
    total += dst.length;
  }
  return total;
}

it('copies a local stream into a replicated one in order, and resumes after the source and the target restart', async () => {
  const path = mkdtempSync(join(tmpdir(), 'callsign-mirror-'));
  folders.push(path);
  const local = () => openStreamStore({ driver: 'lmdb', options: { path } });
  const remote = () =>
    openStreamStore({ driver: 'nats', options: { servers: url(), prefix: 'm1' } });

  let source = await local();
  await source.createStream({ name: 'orders', partitions: 3, maxMessages: 10_000 });
  await fill(source, 0, 200);
  let target = await remote();
  const first = await mirrorStream({
    source: storeSource(source),
    target,
    stream: 'orders',
    once: true,
  });
  expect(first.copied).toBe(200);
  expect(await sameStream(source, target, 'orders')).toBe(200);

  // The source restarts (and takes more); a new mirror goes on after what was copied.
  await source.close();
  source = await local();
  await fill(source, 200, 50);
  await target.close();
  target = await remote();
  const second = await mirrorStream({
    source: storeSource(source),
    target,
    stream: 'orders',
    once: true,
  });
  expect(second.copied).toBe(50);
  expect(await sameStream(source, target, 'orders')).toBe(250);

  // Following, while the target's server restarts in the middle of appends.
  const stop = new AbortController();
  const retried: string[] = [];
  const following = mirrorStream({
    source: storeSource(source),
    target,
    stream: 'orders',
    signal: stop.signal,
    batch: 16,
    onProgress: (p) => {
      if (p.retrying) retried.push(p.retrying);
    },
  });
  await fill(source, 250, 100);
  const server = servers?.servers[0];
  if (!server) throw new Error('no server');
  await server.stop();
  await fill(source, 350, 100);
  await server.start();
  await fill(source, 450, 50);
  await eventually(
    'the target has every message',
    async () => ((await target.streamInfo('orders').catch(() => undefined))?.messages ?? 0) >= 500,
    60_000,
  );
  stop.abort();
  await following;
  expect(await sameStream(source, target, 'orders')).toBe(500);
  expect((await target.streamInfo('orders')).messages).toBe(500);
  expect(retried.length).toBeGreaterThan(0);
  await source.close();
  await target.close();
}, 120_000);

it('callsign stream mirror sets a mirror up from the command line, and resumes', async () => {
  const p = cliProject();
  const data = join(p.dir, 'data');
  {
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
    await store.createStream({ name: 'readings', partitions: 2 });
    for (let i = 0; i < 40; i++)
      await store.append('readings', { data: encoder.encode(`r${i}`), key: `d${i % 4}` });
  }
  const env = { CALLSIGN_NATS_SERVERS: url() };
  const args = ['stream', 'mirror', 'readings', '--to', 'readings-r', '--driver.path', data];
  const run = await p.run([...args, '--mirror.prefix', 'cli', '--once', '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({
    stream: 'readings',
    to: 'readings-r',
    copied: 40,
  });
  const again = await p.run([...args, '--mirror.prefix', 'cli', '--once', '--json'], env);
  expect(again.code, again.stderr).toBe(0);
  expect(JSON.parse(again.stdout).copied).toBe(0);
  // The replicated stream, seen with the same commands.
  const info = await p.run(
    ['stream', 'info', 'readings-r', '--driver', 'nats', '--driver.prefix', 'cli', '--json'],
    env,
  );
  expect(info.code, info.stderr).toBe(0);
  expect(JSON.parse(info.stdout)).toMatchObject({ messages: 40, config: { partitions: 2 } });
  // A mirror into a stream that holds another stream's copies is refused with a code.
  {
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
    await store.createStream({ name: 'other', partitions: 2 });
    await store.append('other', { data: encoder.encode('x') });
  }
  const wrong = await p.run(
    [
      'stream',
      'mirror',
      'other',
      '--to',
      'readings-r',
      '--driver.path',
      data,
      '--mirror.prefix',
      'cli',
      '--once',
    ],
    env,
  );
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toMatch(/\(ERR_INVALID_STREAM\)/);
}, 120_000);
