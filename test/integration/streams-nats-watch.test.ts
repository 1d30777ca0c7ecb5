/**
 * On nats, a store hears the appends of other processes on the same
 * servers (append notices): a stream host whose tick would come only in an
 * hour delivers what another process appended, at once.
 */
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../src/index.ts';
import { openConsumer } from '../../src/streams/consumer.ts';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { readNotice } from '../../src/streams/nats/nats-notices.ts';
import { StreamDelivery } from '../../src/streams/protocol.ts';
import { runProgram } from '../helpers/processes.ts';
import { useNatsServer } from '../streams/nats-servers.ts';
import { hostNode } from '../streams/stream-host-node.ts';

const APPEND = 'test/integration/programs/nats-append.ts';

const { url } = useNatsServer();

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
  // A tick once an hour: what arrives here within the test came from a notice.
  const { node } = hostNode('nats-watch-test', store, { tickSeconds: 3600 });
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
