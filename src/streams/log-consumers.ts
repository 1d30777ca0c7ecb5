/**
 * Named consumers of a log store: where they start, what a pull delivers,
 * and what an acknowledgement changes (positions, and removals under
 * interest and work-queue retention).
 *
 * @module
 */
import { compileSubjectPattern, patternsOverlap } from '../directory/subject-pattern.ts';
import { CallsignError } from '../errors.ts';
import type { LogBackend } from './backend.ts';
import { sameConfig } from './config.ts';
import {
  type ConsumerConfig,
  type ConsumerConfigInput,
  consumerConfig,
} from './consumer-config.ts';
import { type SavedPosition, startingPosition } from './consumer-state.ts';
import { MAX_BATCH_BYTES } from './log-reads.ts';
import { batchSizeHint, deliveriesOf, RecordBatchWriter } from './record-batch.ts';
import { recordSubject } from './record-codec.ts';
import type { ConsumerInfo, Delivery, PullOptions, RecordBatch } from './store.ts';
import { type ConsumerState, StreamState } from './stream-state.ts';

/** How many filtered-out messages one pull passes over, per partition, before it returns. */
export const PULL_SCAN_LIMIT = 10_000;

/**
 * Up to how many sequences a pull looks up one by one instead of opening a
 * range (a cursor costs more than a few look-ups).
 */
export const SHORT_SPAN = 4;

/** What a consumer book needs of its store. */
export interface ConsumerBookInit {
  readonly backend: LogBackend;
  readonly now: () => number;
  /** Runs `fn` in the next write transaction. */
  readonly write: <T>(fn: () => T) => Promise<T>;
  /** Removes a stored message (inside a transaction). */
  readonly remove: (s: StreamState, partition: number, sequence: number) => boolean;
}

/** The consumers of the streams of one log store. */
export class ConsumerBook {
  readonly #init: ConsumerBookInit;

  constructor(init: ConsumerBookInit) {
    this.#init = init;
  }

  #require(s: StreamState, name: string): ConsumerState {
    const c = s.consumers.get(name);
    if (!c) {
      throw new CallsignError(
        'ERR_UNKNOWN_CONSUMER',
        `no consumer ${JSON.stringify(name)} on stream ${s.name}`,
      );
    }
    return c;
  }

  /** True when some consumer's filter takes `subject` (interest retention keeps it). */
  interested(s: StreamState, subject: string): boolean {
    for (const c of s.consumers.values()) if (c.matches(subject)) return true;
    return false;
  }

  /** Makes a consumer (inside a transaction). */
  create(s: StreamState, input: ConsumerConfigInput): ConsumerInfo {
    const config = consumerConfig(input);
    const existing = s.consumers.get(config.name);
    if (existing) {
      if (!sameConfig(existing.config, config)) {
        throw new CallsignError(
          'ERR_CONSUMER_EXISTS',
          `consumer ${config.name} of ${s.name} exists with another configuration`,
        );
      }
      return this.info(s, config.name);
    }
    if (s.meta.config.retention === 'workqueue') {
      for (const other of s.consumers.values()) {
        if (patternsOverlap(other.config.filter, config.filter)) {
          throw new CallsignError(
            'ERR_INVALID_CONSUMER',
            `work-queue stream ${s.name}: consumer ${other.config.name} already takes ${other.config.filter}, which overlaps ${config.filter}`,
          );
        }
      }
    }
    const now = this.#init.now();
    const positions = s.parts.map((_, p) => this.#start(s, p, config, now));
    const meta = { config, created: now, positions };
    this.#init.backend.putConsumer(s.meta.id, config.name, meta);
    s.addConsumer(meta, now);
    return this.info(s, config.name);
  }

  /** Where a new consumer starts in partition `p`. */
  #start(s: StreamState, p: number, config: ConsumerConfig, now: number): SavedPosition {
    const { backend } = this.#init;
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    const start = config.start;
    const takes = compileSubjectPattern(config.filter);
    const lastMatching = (): number => {
      if (config.filter === '>') return meta.messages > 0 ? meta.last : 0;
      let last = 0;
      for (const [subject, seq] of backend.lastPerSubject(s.meta.id, p)) {
        if (seq > last && takes(subject)) last = seq;
      }
      return last;
    };
    switch (start.kind) {
      case 'new':
        return startingPosition(meta.last + 1);
      case 'earliest':
        return startingPosition(meta.first);
      case 'latest': {
        const last = lastMatching();
        return startingPosition(last > 0 ? last : meta.last + 1);
      }
      case 'sequence':
        return startingPosition(Math.max(start.sequence, meta.first));
      case 'time':
        return startingPosition(this.#sequenceAt(s, p, start.time));
      case 'delta':
        return startingPosition(this.#sequenceAt(s, p, now - start.ms));
      case 'last-per-subject': {
        const seqs: number[] = [];
        for (const [subject, seq] of backend.lastPerSubject(s.meta.id, p)) {
          if (takes(subject)) seqs.push(seq);
        }
        return startingPosition(meta.last + 1, { seqs, below: meta.last + 1 });
      }
    }
  }

  /** The first sequence published at or after `time` (publish times never go back in a partition). */
  #sequenceAt(s: StreamState, p: number, time: number): number {
    const { backend } = this.#init;
    const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
    let lo = meta.first;
    let hi = meta.last + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const found = backend.records(s.meta.id, p, mid)[Symbol.iterator]().next();
      if (found.done || found.value[0] >= hi) {
        hi = mid;
      } else if (found.value[1].publishTime < time) {
        lo = found.value[0] + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Removes a consumer (inside a transaction); under interest retention, what only it kept goes too. */
  delete(s: StreamState, name: string): boolean {
    if (!s.consumers.has(name)) return false;
    s.consumers.delete(name);
    this.#init.backend.deleteConsumer(s.meta.id, name);
    if (s.meta.config.retention === 'interest') {
      for (let p = 0; p < s.parts.length; p++) {
        const meta = (s.parts[p] as (typeof s.parts)[number]).meta;
        const doomed: number[] = [];
        for (const [seq, r] of this.#init.backend.records(s.meta.id, p, meta.first)) {
          if (this.#unwanted(s, p, seq, r.subject)) doomed.push(seq);
        }
        for (const seq of doomed) this.#init.remove(s, p, seq);
      }
    }
    return true;
  }

  /** Under interest retention: no consumer that takes the subject still needs `seq`. */
  #unwanted(s: StreamState, p: number, seq: number, subject: string): boolean {
    for (const c of s.consumers.values()) {
      if (c.matches(subject) && !c.positions[p]?.isDone(seq)) return false;
    }
    return true;
  }

  info(s: StreamState, name: string): ConsumerInfo {
    const c = this.#require(s, name);
    return {
      stream: s.name,
      config: c.config,
      created: c.created,
      positions: c.positions.map((pos, partition) => ({
        partition,
        ackFloor: pos.ackFloor,
        nextSequence: pos.next,
        pending: pos.pendingCount,
        waiting: Math.max(0, (s.parts[partition]?.visible ?? 0) - pos.next + 1),
      })),
    };
  }

  /**
   * The next deliveries of a consumer, packed (see `StreamStore.pull`).
   *
   * `inWrite`: called inside a write transaction, which stores the new
   * position itself; it reads up to the partitions' last messages (stored
   * in that transaction, not yet visible), so what it gives must not leave
   * before the transaction is durable.
   */
  pullBatch(s: StreamState, name: string, options: PullOptions, inWrite = false): RecordBatch {
    const c = this.#require(s, name);
    const { backend } = this.#init;
    const now = this.#init.now();
    const max = Math.max(0, Math.min(options.max, 10_000));
    const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
    const leaveOut = options.metadataOnly ?? false;
    const n = s.parts.length;
    const order = (options.partitions ?? s.parts.map((_, i) => i)).filter((p) => p >= 0 && p < n);
    // At most what is pending (due again) and what is new: a page sized for that.
    let upTo = 0;
    for (const p of order) {
      const pos = c.positions[p];
      const part = s.parts[p];
      if (!pos || !part) continue;
      const end = inWrite ? part.meta.last : part.visible;
      upTo += pos.pendingCount + Math.max(0, end - pos.next + 1);
    }
    const out = new RecordBatchWriter(batchSizeHint(Math.min(max, upTo), maxBytes));
    const full = () => out.count >= max || (out.count > 0 && out.size >= maxBytes);
    const turn = s.pullTurn++;
    const everything = c.config.filter === '>';
    let changed = false;
    for (let i = 0; i < order.length && !full(); i++) {
      const p = order[(i + turn) % order.length] as number;
      const pos = c.positions[p];
      const part = s.parts[p];
      if (!pos || !part) continue;
      const end = inWrite ? part.meta.last : part.visible;
      for (const [seq, count] of pos.due(now)) {
        if (full()) break;
        const bytes = backend.getRecordBytes(s.meta.id, p, seq);
        if (!bytes || (c.config.maxDeliveries > 0 && count >= c.config.maxDeliveries)) {
          pos.done(seq);
          changed = true;
          continue;
        }
        out.add(p, seq, pos.delivered(seq, now, c.config.ackWaitMs), bytes, leaveOut);
        changed = true;
      }
      if (pos.next > end || pos.pendingCount >= c.config.maxAckPending) continue;
      let scanned = 0;
      let reachedEnd = true;
      const visit = (seq: number, bytes: Uint8Array, start: number, stop: number): boolean => {
        if (seq > end) return false;
        if (full() || pos.pendingCount >= c.config.maxAckPending) {
          reachedEnd = false;
          return false;
        }
        changed = true;
        if ((!everything && !c.matches(recordSubject(bytes, start, stop))) || !pos.wants(seq)) {
          pos.skip(seq);
          if (++scanned >= PULL_SCAN_LIMIT) {
            reachedEnd = false;
            return false;
          }
          return true;
        }
        out.add(p, seq, pos.delivered(seq, now, c.config.ackWaitMs), bytes, leaveOut, start, stop);
        return true;
      };
      if (end - pos.next < SHORT_SPAN) {
        // A few new messages (a consumer that keeps up): one look-up each, no cursor.
        for (let seq = pos.next; seq <= end; seq++) {
          const bytes = backend.getRecordBytes(s.meta.id, p, seq);
          if (bytes && !visit(seq, bytes, 0, bytes.byteLength)) break;
        }
      } else backend.forRecordBytes(s.meta.id, p, pos.next, visit);
      if (reachedEnd && pos.next <= end) {
        pos.skip(end);
        changed = true;
      }
    }
    if (changed && inWrite) {
      this.#init.backend.putConsumer(s.meta.id, c.config.name, StreamState.consumerMeta(c));
    } else if (changed) void this.#save(s, c).catch(() => {});
    return out.finish();
  }

  /** The next deliveries of a consumer (see `StreamStore.pull`). */
  pull(s: StreamState, name: string, options: PullOptions): Delivery[] {
    return deliveriesOf(s.name, name, this.pullBatch(s, name, options));
  }

  nextDue(s: StreamState, name: string): number | undefined {
    let soonest: number | undefined;
    for (const pos of this.#require(s, name).positions) {
      const due = pos.nextDue();
      if (due !== undefined && (soonest === undefined || due < soonest)) soonest = due;
    }
    return soonest;
  }

  /** Acknowledges, naks or terminates a delivery; resolves once the position is stored. */
  async settle(
    s: StreamState,
    name: string,
    partition: number,
    sequence: number,
    kind: 'ack' | 'nak' | 'term',
    delayMs = 0,
  ): Promise<boolean> {
    const c = this.#require(s, name);
    const pos = this.#position(s, c, partition);
    if (kind === 'nak') {
      const delay = Number.isFinite(delayMs) ? Math.max(0, Math.min(delayMs, 86_400_000)) : 0;
      if (!pos.again(sequence, this.#init.now() + delay)) return false;
      await this.#save(s, c);
      return true;
    }
    if (!pos.done(sequence)) return false;
    this.#removeAcknowledged(s, partition, [sequence]);
    await this.#save(s, c);
    return true;
  }

  /** Acknowledges what is pending in `partition` from `from` to `to`; resolves to how many, once stored. */
  async ackRange(
    s: StreamState,
    name: string,
    partition: number,
    from: number,
    to: number,
  ): Promise<number> {
    const c = this.#require(s, name);
    const pos = this.#position(s, c, partition);
    const acked = pos.doneRange(from, to);
    if (acked.length === 0) return 0;
    this.#removeAcknowledged(s, partition, acked);
    await this.#save(s, c);
    return acked.length;
  }

  /** The position of `c` in `partition`. @throws `ERR_INVALID_PARTITION` */
  #position(s: StreamState, c: ConsumerState, partition: number) {
    const pos = c.positions[partition];
    if (!pos) {
      throw new CallsignError(
        'ERR_INVALID_PARTITION',
        `partition ${partition} is not one of 0 to ${s.parts.length - 1} of ${s.name}`,
      );
    }
    return pos;
  }

  /** Under work-queue and interest retention, what acknowledgements leave unwanted goes. */
  #removeAcknowledged(s: StreamState, partition: number, seqs: readonly number[]): void {
    const retention = s.meta.config.retention;
    if (retention === 'workqueue') {
      void this.#init.write(() => {
        for (const seq of seqs) this.#init.remove(s, partition, seq);
      });
    } else if (retention === 'interest') {
      void this.#init.write(() => {
        for (const seq of seqs) {
          const r = this.#init.backend.getRecord(s.meta.id, partition, seq);
          if (r && this.#unwanted(s, partition, seq, r.subject))
            this.#init.remove(s, partition, seq);
        }
      });
    }
  }

  resetPending(s: StreamState, name: string): void {
    const now = this.#init.now();
    for (const pos of this.#require(s, name).positions) pos.resetDue(now);
  }

  /** Stores a consumer's position in the next transaction (once, however many changes come first). */
  #save(s: StreamState, c: ConsumerState): Promise<void> {
    if (!c.saving) {
      c.saving = this.#init.write(() => {
        c.saving = undefined;
        if (s.consumers.get(c.config.name) !== c) return;
        this.#init.backend.putConsumer(s.meta.id, c.config.name, StreamState.consumerMeta(c));
      });
    }
    return c.saving;
  }
}
