import { describe, expect, it } from 'vitest';
import type { RecordData } from '../../../src/streams/backend.ts';
import { RecordBatchWriter } from '../../../src/streams/record-batch.ts';
import { encodeRecord } from '../../../src/streams/record-codec.ts';
import { RecordPage } from '../../../src/streams/record-page.ts';
import { newStreamKey, SEALED_TYPE, StreamSeal } from '../../../src/streams/sealed-payload.ts';

const key = newStreamKey();
const seal = new StreamSeal(key);

function records(): RecordData[] {
  const out: RecordData[] = [];
  for (let i = 0; i < 50; i++) {
    const data = new Uint8Array(i * 7).fill(i);
    const r: Record<string, unknown> = { publishTime: 1000 + i, subject: `s.${i % 3}`, data };
    if (i % 2) r.key = `k${i}`;
    if (i % 5 === 0) r.properties = { i: String(i), and: 'more' };
    if (i % 7 === 0) r.eventTime = 77 + i;
    if (i % 4 === 0) r.producer = 'p';
    if (i % 6 === 0) r.messageId = `m${i}`;
    if (i % 9 === 0) {
      r.data = seal.seal(data, 'app.T', { subject: r.subject as string, key: r.key as string });
      r.type = SEALED_TYPE;
    } else if (i % 8 === 0) r.type = 'app.T';
    out.push(r as unknown as RecordData);
  }
  return out;
}

function pageOf(metadataOnly: boolean, withSeal: boolean): RecordPage {
  const w = new RecordBatchWriter();
  records().forEach((r, i) => {
    w.add(i % 2, 10 + i, 0, encodeRecord(r), metadataOnly);
  });
  const b = w.finish();
  return new RecordPage(
    'st',
    { count: b.count, bytes: b.bytes, next: 60, last: 59 },
    withSeal ? seal : undefined,
    metadataOnly,
  );
}

/** What a record says, as plain values (absent and undefined fields alike). */
function plain(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of [
    'stream',
    'partition',
    'sequence',
    'publishTime',
    'subject',
    'size',
    'key',
    'properties',
    'eventTime',
    'producer',
    'type',
    'messageId',
    'sealedError',
  ]) {
    if (r[k] !== undefined) out[k] = r[k];
  }
  out.data = [...(r.data as Uint8Array)];
  return out;
}

describe('a page of records read in place', () => {
  for (const [metadataOnly, withSeal] of [
    [false, true],
    [false, false],
    [true, true],
  ] as const) {
    it(`gives with one moving view what its records give as objects (metadata only: ${metadataOnly}, key: ${withSeal})`, () => {
      const page = pageOf(metadataOnly, withSeal);
      const seen: Record<string, unknown>[] = [];
      page.forEach((r) => {
        seen.push(plain(r as unknown as Record<string, unknown>));
      });
      const objects = page.records().map((r) => plain(r as unknown as Record<string, unknown>));
      expect(seen).toEqual(objects);
      expect(seen).toHaveLength(50);
      expect(page.count).toBe(50);
      if (!metadataOnly && withSeal) {
        expect(seen[9]?.type).toBe('app.T');
        expect(seen[9]?.data).toEqual(new Array(63).fill(9));
      }
      if (!metadataOnly && !withSeal) expect(seen[9]?.sealedError).toBe('ERR_SEALED_KEY');
    });
  }

  it('a damaged page is ERR_INVALID_MESSAGE', () => {
    const good = pageOf(false, true);
    const w = new RecordBatchWriter();
    w.add(0, 1, 0, encodeRecord(records()[3] as RecordData));
    const bytes = Buffer.from(w.finish().bytes);
    bytes[5] = 0xff; // the record's flags
    const bad = new RecordPage('st', { count: 1, bytes, next: 2, last: 1 }, undefined, false);
    expect(() => bad.forEach(() => {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MESSAGE' }),
    );
    expect(good.count).toBe(50);
  });
});
