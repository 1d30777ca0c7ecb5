/**
 * Reading a log store's partitions: pages in sequence order (only what is
 * committed), one message or a byte range of it, the last of a subject.
 *
 * @module
 */
import { compileSubjectPattern, subjectTokens } from '../directory/subject-pattern.ts';
import { CallsignError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import { batchSizeHint, RecordBatchWriter, storedRecordsOf } from './record-batch.ts';
import { recordSubject } from './record-codec.ts';
import type { ByteRange, ReadOptions, RecordBatch, StoredRecord } from './store.ts';
import { type StreamState, storedRecord } from './stream-state.ts';

/** How many records a filtered read passes over, at most, before it returns. */
export const READ_SCAN_LIMIT = 10_000;

/** The most bytes of one page, by default (at least one record is given). */
export const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Stored messages of one partition in sequence order, as far as committed,
 * packed as they are stored; `next` is where to read on.
 */
export function readBatch(
  backend: LogBackend,
  s: StreamState,
  options: ReadOptions,
): RecordBatch & { next: number } {
  const p = checkPartition(s, options.partition ?? 0);
  const part = s.parts[p] as (typeof s.parts)[number];
  const max = Math.max(0, Math.min(options.max ?? 1000, 100_000));
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  const matches = options.filter ? compileSubjectPattern(options.filter) : undefined;
  const from = Math.max(options.from ?? part.meta.first, 1);
  const out = new RecordBatchWriter(batchSizeHint(max, maxBytes));
  let last = 0;
  let passed = 0;
  // A stored block taken whole when all of it fits: one copy for its records.
  const whole = matches || options.metadataOnly ? undefined : wholeBlocks;
  function wholeBlocks(
    bytes: Uint8Array,
    start: number,
    end: number,
    count: number,
    _first: number,
    blockLast: number,
  ): 'taken' | 'each' | 'stop' {
    if (blockLast > part.visible || out.count + count > max) return 'each';
    if (out.count > 0 && out.size + (end - start) > maxBytes) {
      return out.size >= maxBytes ? 'stop' : 'each';
    }
    out.addEntries(bytes, start, end, count);
    last = blockLast;
    return 'taken';
  }
  if (max > 0) {
    backend.forRecordBytes(
      s.meta.id,
      p,
      from,
      (seq, bytes, start, end) => {
        if (seq > part.visible) return false;
        if (out.count >= max || (out.count > 0 && out.size >= maxBytes)) return false;
        last = seq;
        if (matches && !matches(recordSubject(bytes, start, end))) {
          return ++passed < READ_SCAN_LIMIT;
        }
        out.add(p, seq, 0, bytes, options.metadataOnly, start, end);
        return true;
      },
      whole,
    );
  }
  return out.finish(last > 0 ? last + 1 : Math.max(from, part.meta.first)) as RecordBatch & {
    next: number;
  };
}

/** The same as {@link readBatch}, as records. */
export function readRecords(
  backend: LogBackend,
  s: StreamState,
  options: ReadOptions,
): StoredRecord[] {
  return storedRecordsOf(s.name, readBatch(backend, s, options));
}

/** One stored message, or a byte range of its data. */
export function getRecord(
  backend: LogBackend,
  s: StreamState,
  partition: number,
  sequence: number,
  range?: ByteRange,
): StoredRecord {
  const stream = s.name;
  const p = checkPartition(s, partition);
  const part = s.parts[p] as (typeof s.parts)[number];
  const r =
    Number.isSafeInteger(sequence) && sequence >= 1 && sequence <= part.visible
      ? backend.getRecord(s.meta.id, p, sequence)
      : undefined;
  if (!r) {
    throw new CallsignError(
      'ERR_NO_SUCH_RECORD',
      `no message ${sequence} in partition ${p} of ${stream} (stored: ${part.meta.first} to ${part.meta.last})`,
    );
  }
  const record = storedRecord(stream, p, sequence, r);
  if (!range) return record;
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      'a byte range is a whole offset and length, at least 0',
    );
  }
  return {
    ...record,
    data: record.data.subarray(
      Math.min(offset, record.size),
      Math.min(offset + length, record.size),
    ),
  };
}

/** The latest message of a subject, over the partitions asked. */
export function lastOfSubject(
  backend: LogBackend,
  s: StreamState,
  subject: string,
  partition?: number,
): StoredRecord | undefined {
  const stream = s.name;
  subjectTokens(subject);
  let best: StoredRecord | undefined;
  const parts = partition === undefined ? s.parts.map((_, i) => i) : [checkPartition(s, partition)];
  for (const p of parts) {
    let last = 0;
    for (const seq of backend.subjectSequences(s.meta.id, p, subject)) last = seq;
    const r = last > 0 ? backend.getRecord(s.meta.id, p, last) : undefined;
    if (r && (!best || r.publishTime > best.publishTime)) best = storedRecord(stream, p, last, r);
  }
  return best;
}

/** `p` when the stream has that partition. @throws `ERR_INVALID_PARTITION` */
export function checkPartition(s: StreamState, p: number): number {
  if (!Number.isInteger(p) || p < 0 || p >= s.parts.length) {
    throw new CallsignError(
      'ERR_INVALID_PARTITION',
      `partition ${p} is not one of 0 to ${s.parts.length - 1} of ${s.name}`,
    );
  }
  return p;
}
