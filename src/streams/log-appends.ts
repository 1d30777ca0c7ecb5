/**
 * Writing to the partitions of a log store, inside its transactions: an
 * append (subject, duplicate, partition and retention decisions, then the
 * writes), and removals that keep the partition counters right.
 *
 * @module
 */
import { subjectTokens } from '../directory/subject-pattern.ts';
import { CallsignError, isCallsignError, toError } from '../errors.ts';
import type { LogBackend, RecordData } from './backend.ts';
import { choosePartition } from './partitions.ts';
import { admit, overLimits } from './retention.ts';
import type {
  AppendItem,
  AppendOptions,
  AppendOutcome,
  AppendResult,
  RecordInput,
} from './store.ts';
import { copyOptional, type StreamState } from './stream-state.ts';

/** What the writer needs of its store. */
export interface PartitionWriterInit {
  readonly backend: LogBackend;
  /** Marks a stream as changed in the current transaction. */
  readonly touch: (s: StreamState) => void;
  /** True when some consumer of `s` takes `subject` (interest retention). */
  readonly interested: (s: StreamState, subject: string) => boolean;
}

/** Appends and removals of a log store. */
export class PartitionWriter {
  readonly #init: PartitionWriterInit;

  constructor(init: PartitionWriterInit) {
    this.#init = init;
  }

  /** Appends one message to `s` (inside a transaction): decides, removes what must go, writes. */
  /** Appends each of `items` on its own: a refused one is its error, and stops none of the others. */
  appendEach(s: StreamState, items: readonly AppendItem[], now: number): AppendOutcome[] {
    return items.map((item): AppendOutcome => {
      try {
        return this.append(s, item.record, item.options ?? {}, now);
      } catch (err) {
        return isCallsignError(err)
          ? err
          : new CallsignError('ERR_STORAGE_FAILED', toError(err).message, { cause: err });
      }
    });
  }

  append(s: StreamState, record: RecordInput, options: AppendOptions, now: number): AppendResult {
    const stream = s.name;
    const config = s.meta.config;
    if (!(record?.data instanceof Uint8Array)) {
      throw new CallsignError('ERR_INVALID_MESSAGE', 'an appended message has data as bytes');
    }
    const subject = record.subject ?? config.name;
    if (!s.knownSubjects.has(subject)) {
      subjectTokens(subject);
      if (s.knownSubjects.size >= 1024) s.knownSubjects.clear();
      if (s.bindings.some((matches) => matches(subject))) s.knownSubjects.add(subject);
    }
    if (!s.knownSubjects.has(subject)) {
      throw new CallsignError(
        'ERR_SUBJECT_NOT_BOUND',
        `subject ${subject} is not one of stream ${config.name}'s: ${config.subjects.join(' ')}`,
      );
    }
    const id = options.messageId;
    if (id !== undefined) {
      const first = s.duplicates.seen(id, now);
      if (first) return { stream, ...first, duplicate: true };
    }
    const p = choosePartition(config.partitions, options.partition, record.key, s.turn);
    if (options.partition === undefined && record.key === undefined) s.turn++;
    const part = s.parts[p] as (typeof s.parts)[number];
    const meta = part.meta;
    if (options.expectedLastSequence !== undefined && options.expectedLastSequence !== meta.last) {
      throw new CallsignError(
        'ERR_WRONG_LAST_SEQUENCE',
        `partition ${p} of ${config.name} ends at ${meta.last}, not ${options.expectedLastSequence}`,
      );
    }
    const size = record.data.byteLength;
    const sid = s.meta.id;
    const key = record.key;
    const decision = admit(config, meta, {
      size,
      ofSubject: config.maxPerSubject > 0 ? this.#init.backend.subjectCount(sid, p, subject) : 0,
      ofKey:
        key !== undefined && config.maxPerKey > 0 ? this.#init.backend.keyCount(sid, p, key) : 0,
      hasKey: key !== undefined,
    });
    if (decision.kind === 'refuse') throw new CallsignError(decision.code, decision.reason);
    this.#init.touch(s);
    if (key !== undefined && decision.dropOfKey > 0) {
      this.#removeFirst(s, p, this.#init.backend.keySequences(sid, p, key), decision.dropOfKey);
    }
    if (decision.dropOfSubject > 0) {
      this.#removeFirst(
        s,
        p,
        this.#init.backend.subjectSequences(sid, p, subject),
        decision.dropOfSubject,
      );
    }
    const sequence = meta.last + 1;
    const publishTime = Math.max(now, meta.lastTime ?? 0);
    const data: RecordData = compact({
      publishTime,
      subject,
      data: record.data,
      key,
      properties: record.properties,
      eventTime: record.eventTime,
      producer: record.producer,
      type: record.type,
      messageId: id,
    });
    meta.last = sequence;
    meta.lastTime = publishTime;
    if (config.retention !== 'interest' || this.#init.interested(s, subject)) {
      this.#init.backend.putRecord(sid, p, sequence, data);
      if (meta.messages === 0) {
        meta.first = sequence;
        meta.firstTime = publishTime;
      }
      meta.messages++;
      meta.bytes += size;
      this.trim(s, p);
    } else if (meta.messages === 0) {
      // Interest retention with nobody interested: the sequence is taken, nothing is kept.
      meta.first = sequence + 1;
    }
    part.dirty = true;
    if (id !== undefined) {
      const first = { partition: p, sequence, publishTime };
      for (const gone of s.duplicates.remember(id, first))
        this.#init.backend.deleteDuplicate(sid, gone);
      this.#init.backend.putDuplicate(sid, id, first);
    }
    return { stream, partition: p, sequence, publishTime, duplicate: false };
  }

  /** Removes the oldest messages while the partition is over its limits. */
  trim(s: StreamState, p: number): void {
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    let over = overLimits(s.meta.config, meta);
    if (over.messages === 0 && over.bytes === 0) return;
    for (const [seq] of this.#init.backend.records(s.meta.id, p, meta.first)) {
      if (over.messages === 0 && over.bytes === 0) break;
      this.remove(s, p, seq);
      over = overLimits(s.meta.config, meta);
    }
  }

  #removeFirst(s: StreamState, p: number, seqs: Iterable<number>, n: number): void {
    const doomed: number[] = [];
    for (const seq of seqs) {
      if (doomed.length >= n) break;
      doomed.push(seq);
    }
    for (const seq of doomed) this.remove(s, p, seq);
  }

  /** Removes one stored message (inside a transaction), keeping the counters right. */
  remove(s: StreamState, p: number, seq: number): boolean {
    const sid = s.meta.id;
    const record = this.#init.backend.getRecord(sid, p, seq);
    if (!record) return false;
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    this.#init.backend.removeRecord(sid, p, seq, record);
    this.#init.touch(s);
    meta.messages--;
    meta.bytes -= record.data.byteLength;
    if (seq === meta.first) {
      const next = this.#init.backend
        .records(sid, p, seq + 1)
        [Symbol.iterator]()
        .next();
      if (next.done) {
        meta.first = meta.last + 1;
        delete meta.firstTime;
      } else {
        meta.first = next.value[0];
        meta.firstTime = next.value[1].publishTime;
      }
    }
    if (meta.messages === 0) {
      meta.first = meta.last + 1;
      delete meta.firstTime;
    }
    (s.parts[p] as (typeof s.parts)[number]).dirty = true;
    return true;
  }
}

/** A record without its undefined fields. */
function compact(r: { [K in keyof RecordData]: RecordData[K] | undefined }): RecordData {
  const out: Record<string, unknown> = {
    publishTime: r.publishTime,
    subject: r.subject,
    data: r.data,
  };
  copyOptional(r, out);
  return out as unknown as RecordData;
}
