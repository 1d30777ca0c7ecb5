import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize, streamConfig } from '../../../src/streams/config.ts';
import { consumerConfig, startPosition } from '../../../src/streams/consumer-config.ts';
import { PartitionPosition, startingPosition } from '../../../src/streams/consumer-state.ts';
import { DuplicateWindow } from '../../../src/streams/duplicates.ts';
import { choosePartition, keyHash } from '../../../src/streams/partitions.ts';
import { decodeRecord, encodeRecord } from '../../../src/streams/record-codec.ts';
import { admit, overLimits } from '../../../src/streams/retention.ts';

describe('stream decisions', () => {
  it('reads durations, sizes, start positions and snake-case options', () => {
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(250)).toBe(250);
    expect(() => parseDuration('soon')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SETTINGS' }),
    );
    expect(parseSize('16MiB')).toBe(16 * 1024 * 1024);
    expect(parseSize('64k')).toBe(65536);
    expect(startPosition('earliest')).toEqual({ kind: 'earliest' });
    expect(startPosition('42')).toEqual({ kind: 'sequence', sequence: 42 });
    expect(startPosition('5m')).toEqual({ kind: 'delta', ms: 300_000 });
    expect(startPosition('2026-01-01T00:00:00Z')).toEqual({
      kind: 'time',
      time: Date.parse('2026-01-01T00:00:00Z'),
    });
    const c = streamConfig({ name: 'orders', max_age: '7d', max_msgs: '10', partitions: '4' });
    expect(c).toMatchObject({ maxAgeMs: 604_800_000, maxMessages: 10, partitions: 4 });
    expect(consumerConfig({ name: 'r', ack_wait: '10s', max_deliver: 3 })).toMatchObject({
      ackWaitMs: 10_000,
      maxDeliveries: 3,
    });
  });

  it('hashes a key to one partition whatever the process', () => {
    expect(keyHash('device-1')).toBe(keyHash('device-1'));
    expect(keyHash('')).toBe(0x811c9dc5);
    expect(choosePartition(4, undefined, 'device-1', 0)).toBe(keyHash('device-1') % 4);
    expect(choosePartition(4, undefined, undefined, 6)).toBe(2);
    expect(choosePartition(4, 3, 'ignored', 0)).toBe(3);
    expect(() => choosePartition(4, 4, undefined, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_PARTITION' }),
    );
  });

  it('admits, makes room, or refuses', () => {
    const limits = streamConfig({
      name: 's',
      maxMessages: 2,
      maxBytes: 100,
      maxPerSubject: 1,
      discard: 'new',
    });
    const arrival = { size: 10, ofSubject: 0, ofKey: 0, hasKey: false };
    expect(admit(limits, { messages: 1, bytes: 10 }, arrival)).toEqual({
      kind: 'admit',
      dropOfKey: 0,
      dropOfSubject: 0,
    });
    expect(admit(limits, { messages: 2, bytes: 20 }, arrival)).toMatchObject({
      kind: 'refuse',
      code: 'ERR_STREAM_FULL',
    });
    expect(admit(limits, { messages: 1, bytes: 95 }, arrival)).toMatchObject({
      kind: 'refuse',
      code: 'ERR_STREAM_FULL',
    });
    expect(admit(limits, { messages: 1, bytes: 0 }, { ...arrival, ofSubject: 1 })).toMatchObject({
      kind: 'refuse',
    });
    expect(admit(limits, { messages: 0, bytes: 0 }, { ...arrival, size: 101 })).toMatchObject({
      code: 'ERR_MESSAGE_TOO_LARGE',
    });
    const old = streamConfig({ name: 's', maxMessages: 2, compact: true, maxPerSubject: 3 });
    expect(
      admit(old, { messages: 2, bytes: 0 }, { size: 1, ofSubject: 3, ofKey: 1, hasKey: true }),
    ).toEqual({
      kind: 'admit',
      dropOfKey: 1,
      dropOfSubject: 1,
    });
    expect(overLimits(old, { messages: 5, bytes: 0 })).toEqual({ messages: 3, bytes: 0 });
  });

  it('remembers message ids within the window, and forgets them after', () => {
    const w = new DuplicateWindow(1000, 2);
    w.remember('a', { partition: 0, sequence: 1, publishTime: 0 });
    expect(w.seen('a', 1000)).toMatchObject({ sequence: 1 });
    expect(w.seen('a', 1001)).toBeUndefined();
    w.remember('b', { partition: 0, sequence: 2, publishTime: 500 });
    expect(w.remember('c', { partition: 0, sequence: 3, publishTime: 600 })).toEqual(['a']);
    expect(w.expire(1550)).toEqual(['b']);
    expect(w.size).toBe(1);
  });

  it('keeps a position: next, pending, and an ack floor that never passes a pending delivery', () => {
    const pos = new PartitionPosition(startingPosition(1), 0);
    pos.delivered(1, 0, 100);
    pos.delivered(2, 0, 100);
    pos.skip(3); // sequence 3 is passed over (a filter left it out): PartitionPosition.skip, not a skipped test
    pos.delivered(4, 0, 100);
    expect(pos.ackFloor).toBe(0);
    pos.done(2);
    expect(pos.ackFloor).toBe(0);
    pos.done(1);
    expect(pos.ackFloor).toBe(3);
    expect(pos.due(99)).toEqual([]);
    expect(pos.due(100)).toEqual([[4, 1]]);
    const again = new PartitionPosition(pos.save(), 500);
    expect(again.due(500)).toEqual([[4, 1]]);
    expect(again.next).toBe(5);
    const last = new PartitionPosition(startingPosition(10, { seqs: [3, 7], below: 10 }), 0);
    expect(last.next).toBe(3);
    expect([3, 4, 7, 9, 10].map((s) => last.wants(s))).toEqual([true, false, true, false, true]);
  });

  it('encodes records to bytes and back, and refuses damaged bytes', () => {
    const r = {
      publishTime: 1.5e12,
      subject: 'lab.strain.0',
      data: new Uint8Array([1, 2, 3]),
      key: 'beam',
      properties: { unit: 'µε', n: '1' },
      eventTime: 1.4e12,
      producer: 'p',
      type: 'laboratory.StrainReading',
      messageId: 'id-1',
    };
    const back = decodeRecord(encodeRecord(r));
    expect({ ...back, data: [...back.data] }).toEqual({ ...r, data: [1, 2, 3] });
    const plain = decodeRecord(
      encodeRecord({ publishTime: 1, subject: 's', data: new Uint8Array() }),
    );
    expect(plain).toEqual({ publishTime: 1, subject: 's', data: expect.any(Uint8Array) });
    for (const bad of [
      new Uint8Array(3),
      Uint8Array.from([255, 0, 0, 0, 0, 0, 0, 0, 0, 9]),
      encodeRecord(r).subarray(0, 14),
    ]) {
      expect(() => decodeRecord(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_STORAGE_CORRUPT' }),
      );
    }
  });
});
