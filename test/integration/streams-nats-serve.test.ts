/**
 * The command line over JetStream (a nats-server of the test's own):
 * `callsign stream serve --driver nats` serves a nats store found by its
 * listing, a mirror reads its source through a running `stream serve`, and
 * two mirrors racing on one target leave it whole, each copy once, in order.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { mirrorStream, storeSource } from '../../src/streams/mirror.ts';
import { MIRROR_SEQUENCE } from '../../src/streams/mirror-plan.ts';
import type { StreamStore } from '../../src/streams/store.ts';
import { cliProject } from '../helpers/cli.ts';
import { useNatsServer } from '../streams/nats-servers.ts';
import { hostFixture } from './programs/host-fixture.ts';

const { url } = useNatsServer();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

it('callsign stream serve --driver nats serves a store on JetStream, found by its listing', async () => {
  const p = cliProject();
  const host = hostFixture();
  const env = { ...host.env, CALLSIGN_REALM: host.realmFile, CALLSIGN_NATS_SERVERS: url() };
  expect((await p.run(['host', 'start'], env)).code).toBe(0);
  const nats = ['--driver', 'nats', '--driver.prefix', 'sv'];
  const serve = p.start(['stream', 'serve', ...nats, '--listing', 'js-streams'], env);
  await serve.waitFor(/serving 0 streams of .* as js-streams at host scope/, 20_000);
  const at = ['--listing', 'js-streams'];
  const made = await p.run(['stream', 'create', 'events', ...at, '--stream.partitions', '2'], env);
  expect(made.code, made.stderr).toBe(0);
  expect(made.stdout).toBe('created stream events (2 partitions) in server js-streams\n');
  {
    // Appended straight to JetStream by another store: the server reads them back.
    await using store = await openStreamStore({
      driver: 'nats',
      options: { servers: url(), prefix: 'sv' },
    });
    for (let i = 0; i < 6; i++)
      await store.append('events', { data: encoder.encode(`e${i}`) }, { partition: i % 2 });
  }
  const info = await p.run(['stream', 'info', 'events', ...at, '--json'], env);
  expect(info.code, info.stderr).toBe(0);
  expect(JSON.parse(info.stdout)).toMatchObject({ messages: 6, config: { partitions: 2 } });
  const view = await p.run(['stream', 'view', 'events', ...at, '--partition', '1'], env);
  expect(view.code, view.stderr).toBe(0);
  expect(
    view.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('  ').at(-1)),
  ).toEqual(['"e1"', '"e3"', '"e5"']);
  serve.child.kill('SIGTERM');
  expect((await serve.done).code).toBe(0);
}, 60_000);

it('a mirror reads its source through a running stream serve, and two mirrors racing on one target copy each message once', async () => {
  const p = cliProject();
  const host = hostFixture();
  const env = { ...host.env, CALLSIGN_REALM: host.realmFile, CALLSIGN_NATS_SERVERS: url() };
  expect((await p.run(['host', 'start'], env)).code).toBe(0);
  const data = join(p.dir, 'data');
  {
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
    await store.createStream({ name: 'readings', partitions: 2 });
    for (let i = 0; i < 300; i++)
      await store.append('readings', { data: encoder.encode(`r${i}`), key: `d${i % 7}` });
  }
  const at = ['--driver.path', data];
  const serve = p.start(['stream', 'serve', ...at], env);
  await serve.waitFor(/serving 1 streams? of .* at host scope/, 20_000);
  const mirror = [
    'stream',
    'mirror',
    'readings',
    ...at,
    '--mirror.prefix',
    'race',
    '--once',
    '--json',
  ];
  // Two at once, on the same target: each append expects the target's last sequence.
  const [a, b] = await Promise.all([p.run(mirror, env), p.run(mirror, env)]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  expect(JSON.parse(a.stdout).copied + JSON.parse(b.stdout).copied).toBe(300);
  serve.child.kill('SIGTERM');
  expect((await serve.done).code).toBe(0);

  await using source = await openStreamStore({ driver: 'lmdb', options: { path: data } });
  await using target = await openStreamStore({
    driver: 'nats',
    options: { servers: url(), prefix: 'race' },
  });
  await sameCopies(source, target, 300);

  // The same race in one process, started in the same turn (so surely at once), on more appends.
  for (let i = 300; i < 600; i++)
    await source.append('readings', { data: encoder.encode(`r${i}`), key: `d${i % 7}` });
  const race = () =>
    mirrorStream({ source: storeSource(source), target, stream: 'readings', once: true });
  const [c, d] = await Promise.all([race(), race()]);
  expect(c.copied + d.copied).toBe(300);
  await sameCopies(source, target, 600);
}, 90_000);

/** The target holds each source message once, in its partition, in order, mapped. */
async function sameCopies(source: StreamStore, target: StreamStore, count: number) {
  expect((await target.streamInfo('readings')).messages).toBe(count);
  for (const partition of [0, 1]) {
    const src = await source.read('readings', { partition, max: 1000 });
    const dst = await target.read('readings', { partition, max: 1000 });
    expect(dst.map((r) => Number(r.properties?.[MIRROR_SEQUENCE]))).toEqual(
      src.map((r) => r.sequence),
    );
    expect(dst.map((r) => decoder.decode(r.data))).toEqual(src.map((r) => decoder.decode(r.data)));
  }
}
