/**
 * On nats, a store hears the appends of other processes on the same
 * servers (append notices): a stream host whose tick would come only in an
 * hour delivers what another process appended, at once.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
} from '../../src/index.ts';
import { openConsumer } from '../../src/streams/consumer.ts';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { streamHost } from '../../src/streams/host.ts';
import { readNotice } from '../../src/streams/nats/nats-notices.ts';
import { StreamDelivery } from '../../src/streams/protocol.ts';
import { runProgram } from '../helpers/processes.ts';
import { type NatsServers, startNatsServer } from '../streams/nats-servers.ts';

const APPEND = 'test/integration/programs/nats-append.ts';

let servers: NatsServers | undefined;
beforeAll(async () => {
  servers = await startNatsServer();
}, 30_000);
afterAll(async () => {
  await servers?.close();
});
const url = () => servers?.urls[0] as string;

describe('an append notice', () => {
  it('is read from its text, and anything else (from anyone on the servers) is no event', () => {
    expect(readNotice('abc 1 42 orders', 'me')).toEqual({
      kind: 'appended',
      stream: 'orders',
      partition: 1,
      sequence: 42,
    });
    for (const bad of [
      'me 1 42 orders',
      'abc 1 0 orders',
      'abc -1 4 orders',
      'abc 1 4 or.ders',
      'abc 1 4',
      'abc 1 99999999999999999 orders',
      `abc 1 4 ${'x'.repeat(300)}`,
      '',
      '\u0000\u0001',
    ])
      expect(readNotice(bad, 'me')).toBeUndefined();
  });
});

it("a host on nats delivers another process's appends without waiting for its tick", async () => {
  const store = await openStreamStore({
    driver: 'nats',
    options: { servers: url(), prefix: 'w' },
  });
  await store.createStream({ name: 'events', partitions: 2 });
  const node = new Node({ name: 'nats-watch-test' });
  configureTransport(node, { realm: createRealm('nats-watch-test'), keys: generateNodeKeys() });
  configureDirectory(node, { parent: null });
  onTestFinished(async () => {
    await node.stop();
    await store.close();
  });
  // A tick once an hour: what arrives here within the test came from a notice.
  node.start(streamHost, { store, scope: 'process', tickSeconds: 3600 });
  let attached!: () => void;
  const ready = new Promise<void>((resolve) => {
    attached = resolve;
  });
  const received = node.start(async (self: ActorContext) => {
    const c = openConsumer(self, 'events', { scope: 'process', name: 'live', start: 'new' });
    await c.attached();
    attached();
    const seen: string[] = [];
    while (seen.length < 30) {
      const d = await self.select(StreamDelivery);
      seen.push(new TextDecoder().decode(d.data));
      c.ack(d);
    }
    c.close();
    return seen.sort();
  }).result as Promise<string[]>;
  await ready;
  const other = await runProgram(APPEND, [url(), 'w', 'events', '30']);
  expect(other.code, other.stderr).toBe(0);
  expect(other.stdout).toBe('appended 30\n');
  expect(await received).toEqual(Array.from({ length: 30 }, (_, i) => `from-another-${i}`).sort());
}, 60_000);
