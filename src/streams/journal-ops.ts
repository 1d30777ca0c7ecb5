/**
 * What a journal frame holds: the writes one transaction of the log store
 * made to the `lmdb` backend, as operations with their whole new values
 * (so applying a frame again gives the same state), and how to apply them
 * again. Pure: bytes in, calls out.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { ConsumerMeta, DuplicateEntry, PartitionMeta, StreamMeta } from './backend.ts';
import { ByteReader } from './byte-reader.ts';
import type { SavedPosition } from './consumer-state.ts';

const NEXT_ID = 1;
const PUT_STREAM = 2;
const DELETE_STREAM = 3;
const PUT_PARTITION = 4;
const PUT_RECORD = 5;
const REMOVE_RECORD = 6;
const PUT_CONSUMER = 7;
const DELETE_CONSUMER = 8;
const PUT_DUPLICATE = 9;
const DELETE_DUPLICATE = 10;

/** The writes a journal records and replays (the backend's, by their stored values). */
export interface JournalTarget {
  setNextId(next: number): void;
  putStream(meta: StreamMeta): void;
  deleteStream(meta: StreamMeta): void;
  putPartition(id: number, partition: number, meta: PartitionMeta): void;
  /** `record` is the record's stored bytes (record-codec.ts). */
  putRecordBytes(id: number, partition: number, sequence: number, record: Uint8Array): void;
  removeRecordAt(id: number, partition: number, sequence: number): void;
  putConsumer(id: number, name: string, meta: ConsumerMeta): void;
  deleteConsumer(id: number, name: string): void;
  putDuplicate(id: number, messageId: string, entry: DuplicateEntry): void;
  deleteDuplicate(id: number, messageId: string): void;
}

/** Writes operations into one growing buffer: the payload of the next frame. */
export class JournalRecorder implements JournalTarget {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #at = 0;

  /** True when nothing was recorded since the last {@link JournalRecorder.take}. */
  get empty(): boolean {
    return this.#at === 0;
  }

  /** The operations recorded so far (valid until the next write), and a fresh start. */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#at);
    this.#at = 0;
    return out;
  }

  /** Forgets what was recorded since the last take. */
  discard(): void {
    this.#at = 0;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(bigger, 0, 0, this.#at);
    this.#buf = bigger;
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
  }

  #uint(n: number): void {
    this.#room(10);
    while (n >= 0x80) {
      this.#buf[this.#at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#at++] = n;
  }

  #float(n: number): void {
    this.#room(8);
    this.#buf.writeDoubleLE(n, this.#at);
    this.#at += 8;
  }

  #bytes(b: Uint8Array): void {
    this.#uint(b.byteLength);
    this.#room(b.byteLength);
    this.#buf.set(b, this.#at);
    this.#at += b.byteLength;
  }

  #text(s: string): void {
    const length = Buffer.byteLength(s, 'utf8');
    this.#uint(length);
    this.#room(length);
    this.#at += this.#buf.write(s, this.#at, 'utf8');
  }

  setNextId(next: number): void {
    this.#byte(NEXT_ID);
    this.#uint(next);
  }

  putStream(meta: StreamMeta): void {
    this.#byte(PUT_STREAM);
    this.#text(JSON.stringify(meta));
  }

  deleteStream(meta: StreamMeta): void {
    this.#byte(DELETE_STREAM);
    this.#text(JSON.stringify(meta));
  }

  putPartition(id: number, partition: number, meta: PartitionMeta): void {
    this.#byte(PUT_PARTITION);
    this.#uint(id);
    this.#uint(partition);
    this.#byte((meta.firstTime === undefined ? 0 : 1) | (meta.lastTime === undefined ? 0 : 2));
    this.#float(meta.first);
    this.#float(meta.last);
    this.#float(meta.messages);
    this.#float(meta.bytes);
    if (meta.firstTime !== undefined) this.#float(meta.firstTime);
    if (meta.lastTime !== undefined) this.#float(meta.lastTime);
  }

  putRecordBytes(id: number, partition: number, sequence: number, record: Uint8Array): void {
    this.#byte(PUT_RECORD);
    this.#uint(id);
    this.#uint(partition);
    this.#uint(sequence);
    this.#bytes(record);
  }

  removeRecordAt(id: number, partition: number, sequence: number): void {
    this.#byte(REMOVE_RECORD);
    this.#uint(id);
    this.#uint(partition);
    this.#uint(sequence);
  }

  putConsumer(id: number, name: string, meta: ConsumerMeta): void {
    this.#byte(PUT_CONSUMER);
    this.#uint(id);
    this.#text(name);
    this.#text(JSON.stringify(meta.config));
    this.#float(meta.created);
    this.#uint(meta.positions.length);
    for (const p of meta.positions) {
      this.#float(p.next);
      this.#bytes(p.pending);
      if (p.only === undefined) {
        this.#byte(0);
      } else {
        this.#byte(1);
        this.#float(p.below ?? 0);
        this.#uint(p.only.length);
        for (const seq of p.only) this.#float(seq);
      }
    }
  }

  deleteConsumer(id: number, name: string): void {
    this.#byte(DELETE_CONSUMER);
    this.#uint(id);
    this.#text(name);
  }

  putDuplicate(id: number, messageId: string, entry: DuplicateEntry): void {
    this.#byte(PUT_DUPLICATE);
    this.#uint(id);
    this.#text(messageId);
    this.#uint(entry.partition);
    this.#float(entry.sequence);
    this.#float(entry.publishTime);
  }

  deleteDuplicate(id: number, messageId: string): void {
    this.#byte(DELETE_DUPLICATE);
    this.#uint(id);
    this.#text(messageId);
  }
}

function damaged(): CallsignError {
  return new CallsignError('ERR_STORAGE_CORRUPT', 'a journal frame is damaged');
}

/** Reads the operations of one frame's payload and performs them on `target`, in order. */
export function replayOperations(payload: Uint8Array, target: JournalTarget): void {
  const r = new ByteReader(payload, damaged, 2 ** 56);
  const json = <T>(): T => {
    try {
      return JSON.parse(r.text()) as T;
    } catch {
      throw damaged();
    }
  };
  while (r.more) {
    const op = r.byte();
    switch (op) {
      case NEXT_ID:
        target.setNextId(r.uint());
        break;
      case PUT_STREAM:
        target.putStream(json<StreamMeta>());
        break;
      case DELETE_STREAM:
        target.deleteStream(json<StreamMeta>());
        break;
      case PUT_PARTITION: {
        const id = r.uint();
        const p = r.uint();
        const flags = r.byte();
        const meta: PartitionMeta = {
          first: r.float(),
          last: r.float(),
          messages: r.float(),
          bytes: r.float(),
        };
        if (flags & 1) meta.firstTime = r.float();
        if (flags & 2) meta.lastTime = r.float();
        target.putPartition(id, p, meta);
        break;
      }
      case PUT_RECORD: {
        const id = r.uint();
        const p = r.uint();
        const seq = r.uint();
        target.putRecordBytes(id, p, seq, Buffer.from(r.bytes()));
        break;
      }
      case REMOVE_RECORD: {
        const id = r.uint();
        const p = r.uint();
        target.removeRecordAt(id, p, r.uint());
        break;
      }
      case PUT_CONSUMER: {
        const id = r.uint();
        const name = r.text();
        const config = json<ConsumerMeta['config']>();
        const created = r.float();
        const n = r.uint();
        const positions: SavedPosition[] = [];
        for (let i = 0; i < n; i++) {
          const next = r.float();
          const pending = new Uint8Array(r.bytes());
          if (r.byte() === 1) {
            const below = r.float();
            const count = r.uint();
            const only: number[] = [];
            for (let k = 0; k < count; k++) only.push(r.float());
            positions.push({ next, pending, only, below });
          } else {
            positions.push({ next, pending });
          }
        }
        target.putConsumer(id, name, { config, created, positions });
        break;
      }
      case DELETE_CONSUMER: {
        const id = r.uint();
        target.deleteConsumer(id, r.text());
        break;
      }
      case PUT_DUPLICATE: {
        const id = r.uint();
        const messageId = r.text();
        const partition = r.uint();
        const sequence = r.float();
        target.putDuplicate(id, messageId, { partition, sequence, publishTime: r.float() });
        break;
      }
      case DELETE_DUPLICATE: {
        const id = r.uint();
        target.deleteDuplicate(id, r.text());
        break;
      }
      default:
        throw damaged();
    }
  }
}
