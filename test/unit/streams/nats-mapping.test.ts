/**
 * The pure parts of the `nats` driver and of mirrors: subjects and keys on
 * JetStream, configurations, what nats-server 2.9 cannot do, where servers
 * come from, delivery reply subjects, and where a mirror resumes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamConfig } from '../../../src/streams/config.ts';
import { copyItems, MIRROR_SEQUENCE, resumePosition } from '../../../src/streams/mirror-plan.ts';
import { OpenDeliveries, parseAckSubject } from '../../../src/streams/nats/deliveries.ts';
import {
  codeOfJetStreamError,
  fromNatsSubject,
  jetStreamConfig,
  natsPattern,
  natsSubject,
  unsupportedStream,
} from '../../../src/streams/nats/mapping.ts';
import { natsSettings } from '../../../src/streams/nats/settings.ts';
import type { StoredRecord } from '../../../src/streams/store.ts';

const layout = { prefix: 'cs', storage: 'file', replicas: 3 } as const;

describe('the nats mapping', () => {
  it('puts subjects under the partition root and keys in a last token, and reads them back', () => {
    const root = 'cs.orders.1';
    expect(natsSubject(root, 'orders.eu', false, 'k', () => 'u')).toBe('cs.orders.1.orders.eu');
    const keyed = natsSubject(root, 'orders.eu', true, 'a.b c', () => 'u');
    expect(keyed.split('.')).toHaveLength(6);
    expect(fromNatsSubject(root, keyed, true)).toEqual({ subject: 'orders.eu', key: 'a.b c' });
    expect(
      fromNatsSubject(
        root,
        natsSubject(root, 'x', true, undefined, () => 'u1'),
        true,
      ),
    ).toEqual({
      subject: 'x',
    });
    expect(natsPattern(root, 'lab.*', true)).toBe('cs.orders.1.lab.*.*');
    expect(natsPattern(root, 'lab.>', true)).toBe('cs.orders.1.lab.>');
  });

  it('maps a stream to JetStream per partition, with limits, replicas and its description', () => {
    const config = streamConfig({
      name: 'orders',
      partitions: 2,
      maxMessages: 10,
      compact: true,
      maxAgeMs: '1m',
    });
    const js = jetStreamConfig(layout, config, 1, 5);
    expect(js).toMatchObject({
      name: 'cs_orders_p1',
      subjects: ['cs.orders.1.>'],
      max_msgs: 10,
      max_bytes: -1,
      max_msgs_per_subject: 1,
      num_replicas: 3,
      storage: 'file',
      duplicate_window: 60_000 * 1_000_000,
    });
    expect(JSON.parse(js.description as string)).toMatchObject({
      callsign: 1,
      partition: 1,
      created: 5,
    });
  });

  it('says what nats-server 2.9 cannot keep', () => {
    expect(unsupportedStream(streamConfig({ name: 'a', durability: 'flush' }))).toMatch(/flush/);
    expect(unsupportedStream(streamConfig({ name: 'a', compact: true, maxPerSubject: 2 }))).toMatch(
      /per-subject/,
    );
    expect(
      unsupportedStream(streamConfig({ name: 'a', maxPerSubject: 2, discard: 'new' })),
    ).toMatch(/2\.10/);
    expect(unsupportedStream(streamConfig({ name: 'a', maxPerSubject: 2 }))).toBeUndefined();
  });

  it('turns JetStream errors into codes', () => {
    expect(codeOfJetStreamError(10071, 'wrong last sequence: 3')).toBe('ERR_WRONG_LAST_SEQUENCE');
    expect(codeOfJetStreamError(10077, 'maximum messages exceeded')).toBe('ERR_STREAM_FULL');
    expect(codeOfJetStreamError(10059, 'stream not found')).toBe('ERR_UNKNOWN_STREAM');
    expect(codeOfJetStreamError(10100, 'filtered consumer not unique on workqueue stream')).toBe(
      'ERR_INVALID_CONSUMER',
    );
    expect(codeOfJetStreamError(undefined, 'something else')).toBe('ERR_STORAGE_FAILED');
  });

  it('reads delivery reply subjects, and refuses anything else', () => {
    expect(parseAckSubject('$JS.ACK.cs_o_p0.c.2.17.30.1796171741374724683.5')).toEqual({
      stream: 'cs_o_p0',
      consumer: 'c',
      deliveryCount: 2,
      streamSequence: 17,
      timestampNanos: '1796171741374724683',
    });
    expect(parseAckSubject('$JS.ACK.dom.hash.s.c.1.9.9.1796171741374724683.0.rnd')).toMatchObject({
      stream: 's',
      streamSequence: 9,
    });
    for (const bad of [undefined, '', 'x.y', '$JS.ACK.s.c.x.y.z.t.p', '$JS.ACK.a.b'])
      expect(parseAckSubject(bad)).toBeUndefined();
  });

  it('keeps the open deliveries of each consumer apart, with counts, ranges and due times', () => {
    const open = new OpenDeliveries();
    open.add('s', 'c', 0, 1, { reply: 'r1', due: 50 });
    open.add('s', 'c', 0, 2, { reply: 'r2', due: 20 });
    open.add('s', 'c', 1, 1, { reply: 'r3', due: 90 });
    open.add('s', 'd', 0, 1, { reply: 'r4', due: 10 });
    expect(open.count('s', 'c', 0)).toBe(2);
    expect(open.sequences('s', 'c', 0, 2, 9)).toEqual([2]);
    expect(open.nextDue('s', 'c')).toBe(20);
    expect(open.take('s', 'c', 0, 2)?.reply).toBe('r2');
    expect(open.take('s', 'c', 0, 2)).toBeUndefined();
    expect(
      open
        .drain('s', 'c')
        .map((o) => o.reply)
        .sort(),
    ).toEqual(['r1', 'r3']);
    expect(open.drainAll().map((o) => o.reply)).toEqual(['r4']);
  });
});

describe('where the nats driver finds its servers', () => {
  it('takes the options, else CALLSIGN_NATS_SERVERS, else nats.json of the home; refuses bad ones', () => {
    const home = mkdtempSync(join(tmpdir(), 'callsign-nats-home-'));
    try {
      const env = { CALLSIGN_HOME: home };
      expect(() => natsSettings({}, env)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_SETTINGS' }),
      );
      writeFileSync(
        join(home, 'nats.json'),
        JSON.stringify({ servers: ['nats://127.0.0.1:4222'], replicas: 3 }),
      );
      expect(natsSettings({}, env)).toMatchObject({
        servers: ['nats://127.0.0.1:4222'],
        replicas: 3,
        storage: 'file',
      });
      expect(
        natsSettings(
          {},
          { ...env, CALLSIGN_NATS_SERVERS: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222' },
        ).servers,
      ).toEqual(['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']);
      expect(natsSettings({ servers: 'nats://127.0.0.1:5', replicas: 1 }, env)).toMatchObject({
        replicas: 1,
      });
      for (const bad of [
        { replicas: 2 },
        { storage: 'tape' },
        { prefix: 'a.b' },
        { servers: 'http://x/y' },
      ])
        expect(() => natsSettings(bad, env)).toThrow(
          expect.objectContaining({ code: 'ERR_INVALID_SETTINGS' }),
        );
      writeFileSync(join(home, 'nats.json'), '{ not json');
      expect(() => natsSettings({}, env)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_SETTINGS' }),
      );
      writeFileSync(
        join(home, 'nats.json'),
        JSON.stringify({ servers: ['nats://a:1'], colour: 'red' }),
      );
      expect(() => natsSettings({}, env)).toThrow(/colour/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('where a mirror resumes', () => {
  const copy = (sequence: number, of: number, messageId = `orders/1/${of}`): StoredRecord => ({
    stream: 'orders-r',
    partition: 1,
    sequence,
    publishTime: 0,
    subject: 'orders',
    data: new Uint8Array(0),
    size: 0,
    messageId,
    properties: { [MIRROR_SEQUENCE]: String(of) },
  });

  it('goes on after the source sequence of the target’s last copy, and expects the target’s last', () => {
    expect(resumePosition('orders', 1, 0, undefined)).toEqual({
      partition: 1,
      next: 1,
      targetLast: 0,
    });
    expect(resumePosition('orders', 1, 7, copy(7, 12))).toEqual({
      partition: 1,
      next: 13,
      targetLast: 7,
    });
  });

  it('refuses a target whose last message is not a copy of this stream', () => {
    expect(() => resumePosition('orders', 1, 7, copy(7, 12, 'other/1/12'))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STREAM' }),
    );
    expect(() => resumePosition('orders', 1, 7, undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STREAM' }),
    );
  });

  it('copies in order, each expecting the one before it, with its source sequence and id', () => {
    const records = [copy(3, 3), copy(5, 5)].map((r) => ({
      ...r,
      stream: 'orders',
      properties: { a: 'b' },
    }));
    const items = copyItems('orders', { partition: 1, next: 3, targetLast: 10 }, records);
    expect(items.map((i) => i.options)).toEqual([
      { partition: 1, expectedLastSequence: 10, messageId: 'orders/1/3' },
      { partition: 1, expectedLastSequence: 11, messageId: 'orders/1/5' },
    ]);
    expect(items[1]?.record.properties).toEqual({ a: 'b', [MIRROR_SEQUENCE]: '5' });
  });
});

describe('descriptions on the servers', () => {
  it('reads back what the driver wrote, and nothing else (strangers may write descriptions too)', async () => {
    const { parseConsumerDescription, parseStreamDescription } = await import(
      '../../../src/streams/nats/mapping.ts'
    );
    const config = streamConfig({ name: 'orders', partitions: 2 });
    const js = jetStreamConfig(layout, config, 0, 7);
    expect(parseStreamDescription(js.description as string)).toEqual({
      callsign: 1,
      config,
      created: 7,
      partition: 0,
    });
    for (const bad of [
      undefined,
      '',
      'not json',
      '[]',
      '{"callsign":1}',
      JSON.stringify({ callsign: 1, created: 1, partition: 0, config: { name: 'a b' } }),
      JSON.stringify({ callsign: 1, created: 'x', partition: 0, config }),
      JSON.stringify({ callsign: 2, created: 1, partition: 0, config }),
    ])
      expect(parseStreamDescription(bad)).toBeUndefined();
    expect(
      parseConsumerDescription(
        JSON.stringify({ callsign: 1, created: 1, config: { name: 'c', ackWaitMs: -5 } }),
      ),
    ).toBeUndefined();
    expect(
      parseConsumerDescription(JSON.stringify({ callsign: 1, created: 1, config: { name: 'c' } }))
        ?.config.name,
    ).toBe('c');
  });
});
