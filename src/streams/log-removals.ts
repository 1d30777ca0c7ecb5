/**
 * What a log store removes by itself or when told: a purge (all, by
 * subject, below a sequence) and the expiry of messages past their age and
 * of duplicate ids past their window. Each runs inside one write batch of
 * the store.
 *
 * @module
 */
import { compileSubjectPattern } from '../directory/subject-pattern.ts';
import type { LogBackend } from './backend.ts';
import type { PartitionWriter } from './log-appends.ts';
import { expiryCutoff } from './retention.ts';
import type { PurgeOptions } from './store.ts';
import type { StreamState } from './stream-state.ts';

/** Removes what `options` selects from `parts` of `s`; returns how many. */
export function purgeRecords(
  backend: LogBackend,
  writer: PartitionWriter,
  s: StreamState,
  parts: readonly number[],
  options: PurgeOptions,
): number {
  const matches = options.filter ? compileSubjectPattern(options.filter) : undefined;
  let removed = 0;
  for (const p of parts) {
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    const doomed: number[] = [];
    for (const [seq, r] of backend.records(s.meta.id, p, meta.first)) {
      if (options.keepFrom !== undefined && seq >= options.keepFrom) break;
      if (!matches || matches(r.subject)) doomed.push(seq);
    }
    for (const seq of doomed) if (writer.remove(s, p, seq)) removed++;
  }
  return removed;
}

/** Forgets expired duplicate ids and removes messages past the stream's age; returns how many messages. */
export function expireRecords(
  backend: LogBackend,
  writer: PartitionWriter,
  s: StreamState,
  now: number,
): number {
  for (const id of s.duplicates.expire(now)) backend.deleteDuplicate(s.meta.id, id);
  const cutoff = expiryCutoff(s.meta.config, now);
  if (cutoff === undefined) return 0;
  let removed = 0;
  for (let p = 0; p < s.parts.length; p++) {
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    if (meta.firstTime === undefined || meta.firstTime >= cutoff) continue;
    const doomed: number[] = [];
    for (const [seq, r] of backend.records(s.meta.id, p, meta.first)) {
      if (r.publishTime >= cutoff) break;
      doomed.push(seq);
    }
    for (const seq of doomed) if (writer.remove(s, p, seq)) removed++;
  }
  return removed;
}
