/**
 * Reading a log store's partitions: pages in sequence order (only what is
 * committed), one message or a byte range of it, the last of a subject.
 *
 * @module
 */
import { compileSubjectPattern, subjectTokens } from '../directory/subject-pattern.ts';
import { CallsignError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import type { ByteRange, ReadOptions, StoredRecord } from './store.ts';
import { type StreamState, storedRecord } from './stream-state.ts';

/** Stored messages of one partition in sequence order, as far as committed. */
export function readRecords(
  backend: LogBackend,
  s: StreamState,
  options: ReadOptions,
): StoredRecord[] {
  const stream = s.name;
  const p = checkPartition(s, options.partition ?? 0);
  const part = s.parts[p] as (typeof s.parts)[number];
  const max = Math.max(0, Math.min(options.max ?? 1000, 100_000));
  const matches = options.filter ? compileSubjectPattern(options.filter) : undefined;
  const out: StoredRecord[] = [];
  if (max === 0) return out;
  const from = Math.max(options.from ?? part.meta.first, 1);
  for (const [seq, r] of backend.records(s.meta.id, p, from)) {
    if (seq > part.visible) break;
    if (matches && !matches(r.subject)) continue;
    out.push(storedRecord(stream, p, seq, r, options.metadataOnly));
    if (out.length >= max) break;
  }
  return out;
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
