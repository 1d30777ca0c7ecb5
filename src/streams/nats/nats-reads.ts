/**
 * Reads of the `nats` store: pages of stored messages (replay, `stream
 * view`), one message or a byte range of it, the last of a subject. Pages
 * without a filter read many sequences at once; with one, JetStream finds
 * the next matching message (`next_by_subj`).
 *
 * @module
 */
import type { StoredMsg } from '@nats-io/jetstream';
import { patternTokens, subjectTokens } from '../../directory/subject-pattern.ts';
import { CallsignError } from '../../errors.ts';
import { MAX_BATCH_BYTES } from '../log-reads.ts';
import type { ByteRange, ReadOptions, StoredRecord } from '../store.ts';
import { type KnownStream, type NatsContext, natsFailure } from './connection.ts';
import { natsPattern } from './mapping.ts';
import { type NatsPlace, type NatsStored, storedRecord } from './records.ts';

/** Reads of single messages in flight at once while replaying. */
const READ_AHEAD = 256;

/** What a stored JetStream message says of itself. */
export function storedOf(m: StoredMsg): NatsStored {
  return {
    subject: m.subject,
    sequence: m.seq,
    publishTime: m.time.getTime(),
    data: m.data,
    headers: m.header,
  };
}

/** A page of records (with their data) and the sequence to read on from. */
export interface ReadPage {
  readonly records: StoredRecord[];
  readonly next: number;
}

/** The reads of one `nats` store. */
export class NatsReads {
  readonly #ctx: NatsContext;

  constructor(ctx: NatsContext) {
    this.#ctx = ctx;
  }

  #place(s: KnownStream, partition: number): NatsPlace {
    return {
      stream: s.config.name,
      partition,
      root: s.roots[partition] as string,
      keyed: s.keyed,
    };
  }

  /** Stored messages from `from` on, at most `max` and about `maxBytes` of data (at least one). */
  async page(stream: string, options: ReadOptions): Promise<ReadPage> {
    const s = await this.#ctx.require(stream);
    const partition = this.#ctx.partition(s, options.partition ?? 0);
    if (options.filter !== undefined) patternTokens(options.filter);
    const max = Math.max(0, Math.min(options.max ?? 1000, 100_000));
    const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
    const jsName = s.names[partition] as string;
    const place = this.#place(s, partition);
    const records: StoredRecord[] = [];
    let bytes = 0;
    const full = () => records.length >= max || (records.length > 0 && bytes >= maxBytes);
    const take = (m: StoredMsg) => {
      const r = storedRecord(place, storedOf(m));
      records.push(r);
      bytes += r.size;
    };
    try {
      const { state } = await this.#ctx.jsm.streams.info(jsName);
      let next = Math.max(options.from ?? 1, state.first_seq, 1);
      if (options.filter !== undefined && options.filter !== '>') {
        const pattern = natsPattern(place.root, options.filter, s.keyed);
        while (!full() && next <= state.last_seq) {
          const m = await this.#ctx.jsm.streams.getMessage(jsName, {
            seq: next,
            next_by_subj: pattern,
          } as never);
          if (!m) {
            next = state.last_seq + 1;
            break;
          }
          take(m);
          next = m.seq + 1;
        }
        return { records, next };
      }
      while (!full() && next <= state.last_seq) {
        const count = Math.min(READ_AHEAD, max - records.length, state.last_seq - next + 1);
        const got = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            this.#ctx.jsm.streams.getMessage(jsName, { seq: next + i }),
          ),
        );
        for (const m of got) {
          if (full()) break;
          next = (m?.seq ?? next) + 1;
          if (m) take(m);
        }
      }
      return { records, next };
    } catch (error) {
      throw natsFailure(error, `read ${stream}`);
    }
  }

  async get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord> {
    const s = await this.#ctx.require(stream);
    this.#ctx.partition(s, partition);
    let m: StoredMsg | null;
    try {
      m = await this.#ctx.jsm.streams.getMessage(s.names[partition] as string, { seq: sequence });
    } catch (error) {
      throw natsFailure(error, `get ${stream} ${partition}/${sequence}`);
    }
    if (!m) {
      throw new CallsignError(
        'ERR_NO_SUCH_RECORD',
        `no message ${sequence} in partition ${partition} of ${stream}`,
      );
    }
    const record = storedRecord(this.#place(s, partition), storedOf(m));
    if (!range) return record;
    return { ...record, data: record.data.subarray(range.offset, range.offset + range.length) };
  }

  async lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined> {
    const s = await this.#ctx.require(stream);
    subjectTokens(subject);
    const parts =
      partition === undefined ? s.names.map((_, p) => p) : [this.#ctx.partition(s, partition)];
    let last: StoredRecord | undefined;
    for (const p of parts) {
      const place = this.#place(s, p);
      try {
        const m = await this.#ctx.jsm.streams.getMessage(s.names[p] as string, {
          last_by_subj: natsPattern(place.root, subject, s.keyed),
        });
        if (!m) continue;
        const record = storedRecord(place, storedOf(m));
        if (!last || record.publishTime >= last.publishTime) last = record;
      } catch (error) {
        throw natsFailure(error, `last of ${subject} in ${stream}`);
      }
    }
    return last;
  }
}
