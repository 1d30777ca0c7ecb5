/**
 * What a log store keeps in memory of one stream while it is in use: its
 * configuration, partition counters, consumers and duplicate window, loaded
 * from the backend on first use.
 *
 * @module
 */
import { compileSubjectPattern } from '../directory/subject-pattern.ts';
import type { ConsumerMeta, LogBackend, PartitionMeta, RecordData, StreamMeta } from './backend.ts';
import type { ConsumerConfig } from './consumer-config.ts';
import { PartitionPosition } from './consumer-state.ts';
import { DuplicateWindow } from './duplicates.ts';
import type { StoredRecord, StreamInfo } from './store.ts';

/** One partition: its stored counters, and the last sequence readers may see (committed). */
export interface PartitionState {
  readonly meta: PartitionMeta;
  visible: number;
  /** Changed since it was last written. */
  dirty: boolean;
}

/** One consumer in memory. */
export interface ConsumerState {
  readonly config: ConsumerConfig;
  readonly created: number;
  readonly positions: PartitionPosition[];
  readonly matches: (subject: string) => boolean;
  /** A write of its position is queued. */
  saving: Promise<void> | undefined;
}

/** One stream in memory. */
export class StreamState {
  meta: StreamMeta;
  readonly parts: PartitionState[];
  readonly consumers = new Map<string, ConsumerState>();
  readonly duplicates: DuplicateWindow;
  bindings: ((subject: string) => boolean)[];
  /** Subjects seen lately that are valid and bound: checked once. */
  readonly knownSubjects = new Set<string>();
  /** The next partition for a message with neither key nor partition. */
  turn = 0;
  /** Round-robin start of pulls across partitions. */
  pullTurn = 0;
  /** When it was last used, for the store's cache. */
  used = 0;

  constructor(meta: StreamMeta, parts: PartitionMeta[]) {
    this.meta = meta;
    this.parts = parts.map((m) => ({ meta: m, visible: m.last, dirty: false }));
    this.duplicates = new DuplicateWindow(meta.config.duplicateWindowMs);
    this.bindings = meta.config.subjects.map(compileSubjectPattern);
  }

  get name(): string {
    return this.meta.config.name;
  }

  /** True when it must stay in memory: a consumer has deliveries out. */
  get busy(): boolean {
    for (const c of this.consumers.values()) {
      if (c.saving) return true;
      for (const p of c.positions) if (p.pendingCount > 0) return true;
    }
    return false;
  }

  /** Loads a stream from `backend`, or undefined when there is none. */
  static load(backend: LogBackend, name: string, now: number): StreamState | undefined {
    const meta = backend.getStream(name);
    if (!meta) return undefined;
    const parts: PartitionMeta[] = [];
    for (let p = 0; p < meta.config.partitions; p++) {
      parts.push(backend.getPartition(meta.id, p) ?? emptyPartition());
    }
    const s = new StreamState(meta, parts);
    for (const [, c] of backend.consumers(meta.id)) s.addConsumer(c, now);
    const ids = [...backend.duplicates(meta.id)].sort(
      (a, b) => a[1].publishTime - b[1].publishTime,
    );
    for (const [id, entry] of ids) s.duplicates.remember(id, entry);
    s.duplicates.expire(now);
    return s;
  }

  addConsumer(c: ConsumerMeta, now: number): ConsumerState {
    const state: ConsumerState = {
      config: c.config,
      created: c.created,
      positions: c.positions.map((saved) => new PartitionPosition(saved, now)),
      matches: compileSubjectPattern(c.config.filter),
      saving: undefined,
    };
    this.consumers.set(c.config.name, state);
    return state;
  }

  /** The stored form of a consumer. */
  static consumerMeta(c: ConsumerState): ConsumerMeta {
    return { config: c.config, created: c.created, positions: c.positions.map((p) => p.save()) };
  }
}

/** The counters of a partition that never had a message. */
export function emptyPartition(): PartitionMeta {
  return { first: 1, last: 0, messages: 0, bytes: 0 };
}

/** A stored record as the contract gives it out. */
export function storedRecord(
  stream: string,
  partition: number,
  sequence: number,
  r: RecordData,
  metadataOnly = false,
): StoredRecord {
  const out: Record<string, unknown> = {
    stream,
    partition,
    sequence,
    publishTime: r.publishTime,
    subject: r.subject,
    data: metadataOnly ? new Uint8Array(0) : r.data,
    size: r.data.byteLength,
  };
  copyOptional(r, out);
  return out as unknown as StoredRecord;
}

/** Copies the optional fields of a record that are there (no `undefined` keys). */
export function copyOptional(
  r: { [K in keyof RecordData]?: RecordData[K] | undefined },
  out: Record<string, unknown>,
): void {
  if (r.key !== undefined) out.key = r.key;
  if (r.properties !== undefined) out.properties = r.properties;
  if (r.eventTime !== undefined) out.eventTime = r.eventTime;
  if (r.producer !== undefined) out.producer = r.producer;
  if (r.type !== undefined) out.type = r.type;
  if (r.messageId !== undefined) out.messageId = r.messageId;
}

/** What {@link StreamStore.streamInfo} says of `s`. */
export function streamInfoOf(s: StreamState): StreamInfo {
  const partitions = s.parts.map((part, partition) => ({
    partition,
    messages: part.meta.messages,
    bytes: part.meta.bytes,
    firstSequence: part.meta.first,
    lastSequence: part.meta.last,
    ...(part.meta.firstTime === undefined ? {} : { firstTime: part.meta.firstTime }),
    ...(part.meta.lastTime === undefined ? {} : { lastTime: part.meta.lastTime }),
  }));
  return {
    config: s.meta.config,
    created: s.meta.created,
    messages: partitions.reduce((n, p) => n + p.messages, 0),
    bytes: partitions.reduce((n, p) => n + p.bytes, 0),
    partitions,
    consumers: s.consumers.size,
  };
}
