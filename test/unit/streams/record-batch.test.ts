import { describe, expect, it } from 'vitest';
import type { RecordData } from '../../../src/streams/backend.ts';
import { ByteReader } from '../../../src/streams/byte-reader.ts';
import {
  batchSizeHint,
  deliveriesOf,
  forEachRecord,
  RecordBatchWriter,
  storedRecordsOf,
} from '../../../src/streams/record-batch.ts';
import { decodeRecord, encodeRecord } from '../../../src/streams/record-codec.ts';

const fail = (why: string) => new Error(`damaged: ${why}`);

/** Subjects in the order a batch holds them: runs of one, and others of the same length. */
const SUBJECTS = [
  'lab.a',
  'lab.a',
  'lab.b',
  'lab.a',
  'läb.ä',
  'läb.ä',
  'läb.ö',
  `lab.${'x'.repeat(300)}`,
  `lab.${'x'.repeat(300)}`,
  `lab.${'x'.repeat(299)}y`,
  'lab.a',
];

function recordOf(i: number): RecordData {
  const subject = SUBJECTS[i] as string;
  return {
    publishTime: 1_000 + i,
    subject,
    data: Buffer.from(`data ${i}`),
    ...(i % 2 === 0 ? { key: `k${i}`, producer: 'p' } : {}),
    ...(i % 3 === 0 ? { properties: { a: String(i) }, eventTime: 7 + i } : {}),
  };
}

describe('packed record batches', () => {
  it('give each record its own fields, also when subjects repeat or share a length', () => {
    const w = new RecordBatchWriter(64);
    const records = SUBJECTS.map((_, i) => recordOf(i));
    records.forEach((r, i) => {
      w.add(i % 2, 10 + i, i, encodeRecord(r), i === 4);
    });
    const batch = w.finish();
    const stored = storedRecordsOf('s', batch);
    const deliveries = deliveriesOf('s', 'c', batch);
    const entries: RecordData[] = [];
    forEachRecord(batch.bytes, (e) => entries.push(e.record));
    expect(stored).toHaveLength(records.length);
    records.forEach((r, i) => {
      const data = i === 4 ? new Uint8Array(0) : r.data;
      const size = r.data.byteLength;
      const want = { ...r, data, stream: 's', partition: i % 2, sequence: 10 + i, size };
      expect({ ...stored[i], data: [...(stored[i]?.data ?? [])] }).toEqual({
        ...want,
        data: [...data],
      });
      expect({ ...deliveries[i], data: [...(deliveries[i]?.data ?? [])] }).toEqual({
        ...want,
        data: [...data],
        consumer: 'c',
        deliveryCount: i,
      });
      expect(entries[i]?.subject).toBe(r.subject);
      expect(decodeRecord(encodeRecord(r)).subject).toBe(r.subject);
    });
  });

  it('refuse a record whose fields run past its own end, though the batch goes on', () => {
    const w = new RecordBatchWriter();
    const a = encodeRecord(recordOf(0));
    // The record's length is cut inside its subject: the bytes after it are the next entry's.
    const cut = Buffer.from(a.subarray(0, 11));
    w.add(0, 1, 0, encodeRecord(recordOf(1)));
    const whole = w.finish().bytes;
    const bytes = Buffer.concat([Buffer.from([0, 1, 0, 0, cut.length]), cut, whole]);
    expect(() => storedRecordsOf('s', { count: 2, bytes, positions: [] })).toThrow(
      'a packed record batch is damaged',
    );
  });

  it('size a page once: room for all of it up to 1 KiB a record', () => {
    expect(batchSizeHint(10_000, 1024 * 1024)).toBe(1024 * 1024 + 64 * 1024);
    expect(batchSizeHint(1, 1024 * 1024)).toBe(1024);
    expect(batchSizeHint(0, 1024 * 1024)).toBe(1024);
  });
});

describe('the byte reader over part of a buffer', () => {
  it('reads from `at` to `end` only', () => {
    const r = new ByteReader(undefined, fail).reset(Buffer.from([9, 2, 0x61, 0x62, 3, 3]), 1, 4);
    expect(r.text()).toBe('ab');
    expect(r.more).toBe(false);
    expect(() => r.byte()).toThrow(/^damaged: /);
    const short = new ByteReader(undefined, fail).reset(Buffer.from([3, 0x61, 0x62, 0x63]), 0, 3);
    expect(() => short.text()).toThrow('damaged: a length runs past its end');
  });
});
