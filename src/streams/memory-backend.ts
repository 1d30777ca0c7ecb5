/**
 * The `memory` storage engine: everything in maps, gone with the process.
 * For tests, and for streams that need no durability.
 *
 * @module
 */
import type {
  ConsumerMeta,
  DuplicateEntry,
  LogBackend,
  PartitionMeta,
  RecordData,
  StreamMeta,
} from './backend.ts';
import { encodeRecord } from './record-codec.ts';

interface MemoryPartition {
  meta?: PartitionMeta;
  readonly records: Map<number, RecordData>;
  /**
   * The highest sequence put: `meta` is written once per transaction, so
   * inside one (several appends of a batch, and removals between them) it
   * is behind.
   */
  top: number;
  readonly bySubject: Map<string, Set<number>>;
  readonly byKey: Map<string, Set<number>>;
}

interface MemoryStream {
  meta: StreamMeta;
  readonly partitions: Map<number, MemoryPartition>;
  readonly consumers: Map<string, ConsumerMeta>;
  readonly duplicates: Map<string, DuplicateEntry>;
}

function file(index: Map<string, Set<number>>, name: string, seq: number): void {
  let set = index.get(name);
  if (!set) {
    set = new Set();
    index.set(name, set);
  }
  set.add(seq);
}

function unfile(index: Map<string, Set<number>>, name: string, seq: number): void {
  const set = index.get(name);
  if (!set) return;
  set.delete(seq);
  if (set.size === 0) index.delete(name);
}

/** A {@link LogBackend} in memory. */
export function memoryBackend(): LogBackend {
  const streams = new Map<string, MemoryStream>();
  const byId = new Map<number, MemoryStream>();
  let nextId = 1;
  let closed = false;

  const stream = (id: number): MemoryStream | undefined => byId.get(id);
  const partition = (id: number, p: number): MemoryPartition | undefined => {
    const s = byId.get(id);
    if (!s) return undefined;
    let part = s.partitions.get(p);
    if (!part) {
      part = { records: new Map(), top: 0, bySubject: new Map(), byKey: new Map() };
      s.partitions.set(p, part);
    }
    return part;
  };

  return {
    driver: 'memory',
    async transact(fn) {
      if (closed) throw new Error('the memory store is closed');
      fn();
    },
    async flushed() {},
    async close() {
      closed = true;
    },
    allocateStreamId: () => nextId++,
    getStream: (name) => streams.get(name)?.meta,
    putStream(meta) {
      const s = streams.get(meta.config.name);
      if (s) {
        s.meta = meta;
        return;
      }
      const made: MemoryStream = {
        meta,
        partitions: new Map(),
        consumers: new Map(),
        duplicates: new Map(),
      };
      streams.set(meta.config.name, made);
      byId.set(meta.id, made);
    },
    deleteStream(meta) {
      streams.delete(meta.config.name);
      byId.delete(meta.id);
    },
    listStreams(after, max) {
      return [...streams.keys()]
        .sort()
        .filter((n) => after === undefined || n > after)
        .slice(0, max);
    },
    getPartition: (id, p) => partition(id, p)?.meta,
    putPartition(id, p, meta) {
      const part = partition(id, p);
      if (part) part.meta = { ...meta };
    },
    putRecord(id, p, seq, record) {
      const part = partition(id, p);
      if (!part) return;
      part.records.set(seq, record);
      if (seq > part.top) part.top = seq;
      file(part.bySubject, record.subject, seq);
      if (record.key !== undefined) file(part.byKey, record.key, seq);
    },
    removeRecord(id, p, seq, record) {
      const part = partition(id, p);
      if (!part) return;
      part.records.delete(seq);
      unfile(part.bySubject, record.subject, seq);
      if (record.key !== undefined) unfile(part.byKey, record.key, seq);
    },
    getRecord: (id, p, seq) => partition(id, p)?.records.get(seq),
    getRecordBytes(id, p, seq) {
      const r = partition(id, p)?.records.get(seq);
      return r === undefined ? undefined : encodeRecord(r);
    },
    forRecordBytes(id, p, from, fn) {
      for (const [seq, r] of this.records(id, p, from)) {
        const bytes = encodeRecord(r);
        if (!fn(seq, bytes, 0, bytes.byteLength)) return;
      }
    },
    *records(id, p, from) {
      const part = partition(id, p);
      if (!part) return;
      const last = Math.max(part.meta?.last ?? 0, part.top);
      for (let seq = Math.max(from, part.meta?.first ?? 1); seq <= last; seq++) {
        const r = part.records.get(seq);
        if (r) yield [seq, r];
      }
    },
    subjectSequences: (id, p, subject) => [...(partition(id, p)?.bySubject.get(subject) ?? [])],
    subjectCount: (id, p, subject) => partition(id, p)?.bySubject.get(subject)?.size ?? 0,
    *lastPerSubject(id, p) {
      for (const [subject, seqs] of partition(id, p)?.bySubject ?? []) {
        let last = 0;
        for (const s of seqs) if (s > last) last = s;
        yield [subject, last];
      }
    },
    keySequences: (id, p, key) => [...(partition(id, p)?.byKey.get(key) ?? [])],
    keyCount: (id, p, key) => partition(id, p)?.byKey.get(key)?.size ?? 0,
    consumers: (id) => [...(stream(id)?.consumers ?? [])],
    putConsumer(id, name, meta) {
      stream(id)?.consumers.set(name, meta);
    },
    deleteConsumer(id, name) {
      stream(id)?.consumers.delete(name);
    },
    duplicates: (id) => [...(stream(id)?.duplicates ?? [])],
    putDuplicate(id, messageId, entry) {
      stream(id)?.duplicates.set(messageId, entry);
    },
    deleteDuplicate(id, messageId) {
      stream(id)?.duplicates.delete(messageId);
    },
  };
}
