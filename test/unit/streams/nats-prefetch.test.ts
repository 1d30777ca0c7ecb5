/**
 * The `nats` driver pulls the next batch ahead of a caller that pulls
 * steadily: every message still comes once and in order across the batch
 * boundaries, what is held ahead stays bounded and goes back to JetStream
 * when the caller stops pulling, and a consumer with a delivery limit is
 * never pulled ahead.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { PREFETCH_MAX_MESSAGES, PrefetchBuffer } from '../../../src/streams/nats/prefetch.ts';
import type { Delivery, StreamStore } from '../../../src/streams/store.ts';
import { eventually, useNatsServer } from '../../streams/nats-servers.ts';

vi.setConfig({ testTimeout: 20_000 });

const nats = useNatsServer();
let stores = 0;

async function setUp(count: number, consumer: Record<string, unknown> = {}) {
  const prefix = `pf${++stores}`;
  const open = () => openStreamStore({ driver: 'nats', options: { servers: nats.url(), prefix } });
  const store = await open();
  onTestFinished(() => store.close());
  await store.createStream({ name: 's' });
  const data = new Uint8Array(64).fill(1);
  await store.appendBatch(
    's',
    Array.from({ length: count }, () => ({ record: { data } })),
  );
  await store.createConsumer('s', { name: 'c', start: 'earliest', ...consumer });
  const nc = await connect({ servers: nats.url() });
  onTestFinished(() => nc.close());
  const jsm = await jetstreamManager(nc);
  /** What JetStream itself has sent of partition 0 (handed out or held ahead). */
  const sent = async () => (await jsm.consumers.info(`${prefix}_s_p0`, 'c')).delivered.stream_seq;
  /** The naks sent for partition 0's deliveries, as JetStream receives them. */
  const naks: string[] = [];
  nc.subscribe(`$JS.ACK.${prefix}_s_p0.c.>`, {
    callback: (_err, m) => {
      if (m.string().startsWith('-NAK')) naks.push(m.subject);
    },
  });
  await nc.flush();
  return { store, open, sent, naks };
}

const pullAndAck = async (store: StreamStore, max: number): Promise<Delivery[]> => {
  const ds = await store.pull('s', 'c', { max });
  await Promise.all(ds.map((d) => store.ack('s', 'c', d.partition, d.sequence)));
  return ds;
};

describe('PrefetchBuffer', () => {
  const ctx = {
    limitedDeliveries: false,
    wanted: 100,
    ackPendingRoom: 1000,
    startedAt: 1_000,
    previousEndAt: 999,
    holdMs: 1_000,
  };

  it('hands out in order within the budget (at least one), and expires what waited its hold', () => {
    const b = new PrefetchBuffer<number>();
    b.push(
      [1, 2, 3, 4].map((n) => ({ msg: n, bytes: 10, at: n === 1 ? 0 : 500 })),
      true,
    );
    expect(b.take(2, 1_000, 1_000, 1_000)).toEqual({
      taken: [
        { msg: 2, bytes: 10, at: 500 },
        { msg: 3, bytes: 10, at: 500 },
      ],
      expired: [1],
    });
    expect(b.take(5, 1, 1_000, 1_000).taken.map((a) => a.msg)).toEqual([4]);
    expect(b.count).toBe(0);
    expect(b.bytes).toBe(0);
  });

  it('asks only while the caller pulls steadily, the last answer was full, and within its bounds', () => {
    const b = new PrefetchBuffer<number>();
    expect(b.ask(ctx)).toBeUndefined(); // nothing says more is waiting
    b.more = true;
    expect(b.ask(ctx)).toEqual({ batch: 100, maxBytes: 1024 * 1024 });
    expect(b.ask({ ...ctx, limitedDeliveries: true })).toBeUndefined();
    expect(b.ask({ ...ctx, previousEndAt: undefined })).toBeUndefined();
    expect(b.ask({ ...ctx, previousEndAt: 0 })).toBeUndefined(); // a slow caller
    expect(b.ask({ ...ctx, ackPendingRoom: 7 })).toEqual({ batch: 7, maxBytes: 1024 * 1024 });
    expect(b.ask({ ...ctx, wanted: 1_000_000, ackPendingRoom: 100_000 })?.batch).toBe(
      PREFETCH_MAX_MESSAGES,
    );
    b.pulling = true;
    expect(b.ask(ctx)).toBeUndefined();
    b.pulling = false;
    b.push(
      Array.from({ length: 50 }, (_, i) => ({ msg: i, bytes: 100, at: 1_000 })),
      true,
    );
    expect(b.ask(ctx)).toBeUndefined(); // half of what the caller asks for is held
    expect(b.ask({ ...ctx, wanted: 200 })).toEqual({ batch: 150, maxBytes: 1024 * 1024 - 5_000 });
  });
});

describe('pulling ahead on JetStream', () => {
  it('pulls the next batch while the caller handles one, and every message comes once, in order', async () => {
    const { store, sent } = await setUp(1_000);
    const seen: number[] = [];
    let ahead = false;
    while (seen.length < 1_000) {
      const ds = await pullAndAck(store, 64);
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) {
        expect(d.deliveryCount).toBe(1);
        seen.push(d.sequence);
      }
      // JetStream has sent more than the caller was given: the next batch is on its way.
      if (seen.length < 900 && (await sent()) > seen.length) ahead = true;
    }
    expect(ahead).toBe(true);
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(await store.pull('s', 'c', { max: 64 })).toEqual([]);
  });

  it('holds a bounded batch ahead of a caller that stops, gives it back, and it comes again in order', async () => {
    const { store, open, sent, naks } = await setUp(2_000);
    let got = 0;
    for (let i = 0; i < 3; i++) got += (await pullAndAck(store, 100)).length;
    expect(got).toBe(300);
    // At most one batch of what the caller asks for is held ahead, never the whole stream.
    const held = await eventually('a batch pulled ahead', async () => {
      const n = (await sent()) - got;
      return n > 0 ? n : undefined;
    });
    expect(held).toBeLessThanOrEqual(100);
    // The caller stops: within the hold (1 s) the store gives it back, and what
    // the consumer reports as delivered does not count it.
    const info = await store.consumerInfo('s', 'c');
    expect(info.positions[0]?.nextSequence).toBe(301);
    await eventually('what was held ahead given back', async () => naks.length >= held, 5_000);
    expect(naks.length).toBe(held);
    // Another puller has it at once.
    const other = await open();
    onTestFinished(() => other.close());
    const next = await other.pull('s', 'c', { max: 100 });
    // JetStream sends it again first; it counts the delivery that was given back.
    expect(next[0]?.sequence).toBe(301);
    expect(next[0]?.deliveryCount).toBe(2);
    const sequences = next.map((d) => d.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });

  it('gives back what it holds ahead when it closes, so that the next store has it at once', async () => {
    const { store, open, sent } = await setUp(500);
    let got = 0;
    for (let i = 0; i < 3; i++) got += (await pullAndAck(store, 50)).length;
    await eventually('a batch pulled ahead', async () => ((await sent()) > got ? true : undefined));
    await store.close();
    const other = await open();
    onTestFinished(() => other.close());
    const ds = await other.pull('s', 'c', { max: 50 });
    expect(ds[0]?.sequence).toBe(got + 1);
  });

  it('never pulls ahead for a consumer with a delivery limit', async () => {
    const { store, sent } = await setUp(500, { maxDeliveries: 2 });
    let got = 0;
    for (let i = 0; i < 5; i++) got += (await pullAndAck(store, 50)).length;
    expect(got).toBe(250);
    expect(await sent()).toBe(250);
  });
});
