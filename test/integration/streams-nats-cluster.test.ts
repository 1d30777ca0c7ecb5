/**
 * A replicated stream (R3) on a three-server JetStream cluster (loopback,
 * a temporary folder): one server is killed with SIGKILL during sustained
 * appends. No acknowledged append is lost, the consumer goes on, and the
 * server catches up when it is back. Every server is ended by its PID.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import type { StreamStore } from '../../src/streams/store.ts';
import { eventually, type NatsServers, startNatsCluster } from '../streams/nats-servers.ts';

let cluster: NatsServers | undefined;
beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends `appends-<n>` with up to 32 in flight until stopped; keeps what was acknowledged. */
function appendsUntilStopped(store: StreamStore) {
  const acknowledged = new Map<number, string>();
  let failures = 0;
  let n = 0;
  let stopped = false;
  const one = async (): Promise<void> => {
    while (!stopped) {
      const text = `append-${n++}`;
      try {
        const r = await store.append('orders', { data: encoder.encode(text) });
        expect(acknowledged.has(r.sequence)).toBe(false);
        acknowledged.set(r.sequence, text);
      } catch {
        failures++; // not acknowledged: it may or may not be stored
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const loops = Promise.all(Array.from({ length: 32 }, () => one()));
  return {
    acknowledged,
    failures: () => failures,
    async stop() {
      stopped = true;
      await loops;
    },
  };
}

/** Pulls and acknowledges until stopped; keeps what it received. */
function consumeUntilStopped(store: StreamStore) {
  const received = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const ds = await store.pull('orders', 'audit', { max: 256 });
        for (const d of ds) received.add(decoder.decode(d.data));
        await Promise.all(ds.map((d) => store.ack('orders', 'audit', d.partition, d.sequence)));
        if (ds.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();
  return {
    received,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

it('keeps every acknowledged append of an R3 stream through the kill -9 of a server; the consumer goes on; the server catches up', async () => {
  const c = cluster;
  if (!c) throw new Error('the cluster did not start');
  const options = { servers: c.urls.join(','), replicas: 3, prefix: 'r3' };
  const store = await openStreamStore({ driver: 'nats', options });
  const nc = await connect({ servers: [...c.urls] });
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    // The cluster elects its JetStream leader first.
    await eventually(
      'the cluster takes a replicated stream',
      async () => store.createStream({ name: 'orders' }).catch(() => undefined),
      45_000,
    );
    await store.createConsumer('orders', { name: 'audit', start: 'earliest', ackWaitMs: '2s' });
    const appends = appendsUntilStopped(store);
    const consumer = consumeUntilStopped(store);
    await eventually('appends are acknowledged', async () => appends.acknowledged.size >= 300);

    // Kill the partition's leader: the others elect a new one.
    const info = await jsm.streams.info('r3_orders_p0');
    const leader = c.servers.find((s) => s.name === info.cluster?.leader);
    if (!leader) throw new Error(`no leader among ${c.servers.map((s) => s.name)}`);
    const atKill = appends.acknowledged.size;
    const seenAtKill = consumer.received.size;
    await leader.stop(true);

    await eventually(
      'appends are acknowledged again after the kill',
      async () => appends.acknowledged.size >= atKill + 300,
      60_000,
    );
    await eventually(
      'the consumer goes on',
      async () => consumer.received.size >= seenAtKill + 300,
      60_000,
    );

    // Back on its folder, appends going on: it catches up with what it missed.
    await leader.start();
    const atReturn = appends.acknowledged.size;
    await eventually(
      'appends go on after the return',
      async () => appends.acknowledged.size >= atReturn + 300,
      60_000,
    );
    await appends.stop();
    let seen = '';
    await eventually(
      'the server that was killed is a current replica again',
      async () => {
        const now = await jsm.streams.info('r3_orders_p0');
        if (now.cluster?.leader === leader.name) return true;
        const replica = [...(now.cluster?.replicas ?? [])].find((r) => r.name === leader.name);
        seen = JSON.stringify(now.cluster);
        return replica?.current && (replica.lag ?? 0) === 0 ? true : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen ${seen}`);
    });

    // Every acknowledged append is stored at its sequence.
    const last = Math.max(...appends.acknowledged.keys());
    const stored = new Map<number, string>();
    for (let from = 1; from <= last; ) {
      const page = await store.read('orders', { from, max: 1000 });
      if (page.length === 0) break;
      for (const r of page) stored.set(r.sequence, decoder.decode(r.data));
      from = (page.at(-1)?.sequence ?? last) + 1;
    }
    for (const [sequence, text] of appends.acknowledged) expect(stored.get(sequence)).toBe(text);
    // And the consumer has every one of them.
    await eventually(
      'the consumer has every acknowledged append',
      async () => [...appends.acknowledged.values()].every((t) => consumer.received.has(t)),
      60_000,
    );
    await consumer.stop();

    // The returned server holds its share: with another server down, the
    // stream still answers and takes appends.
    const other = c.servers.find((s) => s !== leader);
    await other?.stop();
    const after = await eventually(
      'the stream answers with the returned server in its quorum',
      async () => store.append('orders', { data: encoder.encode('after') }).catch(() => undefined),
      60_000,
    );
    expect(after.sequence).toBeGreaterThan(last);
    const again = await store.read('orders', { from: 1, max: 100_000 });
    const texts = new Map(again.map((r) => [r.sequence, decoder.decode(r.data)]));
    for (const [sequence, text] of appends.acknowledged) expect(texts.get(sequence)).toBe(text);
  } finally {
    await store.close();
    await nc.close();
  }
}, 300_000);
