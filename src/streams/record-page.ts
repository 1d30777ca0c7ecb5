/**
 * A page of records as a reader receives it (one record batch), read in
 * place: {@link RecordPage.forEach} moves one view over the records, so a
 * replay makes no object per record and takes a view of a record's data
 * only when it asks for it. Pure.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { RecordData } from './backend.ts';
import { storedRecordsOf, walkEntries } from './record-batch.ts';
import { decodeRecordFields } from './record-codec.ts';
import { type OpenedRecord, openDelivered } from './sealed-delivery.ts';
import { SEALED_TYPE, type StreamSeal } from './sealed-payload.ts';
import type { StoredRecord } from './store.ts';

/**
 * One record of a {@link RecordPage}, as {@link RecordPage.forEach} stands
 * on it: the same object is moved on to the next record after each call,
 * so keep what you need (a field, a copy of the data), not the view.
 */
export interface RecordView extends OpenedRecord<StoredRecord> {}

function damaged(): CallsignError {
  return new CallsignError('ERR_INVALID_MESSAGE', 'a packed record batch is damaged');
}

/** The view {@link RecordPage.forEach} moves; `data` is made when it is read. */
class MovingView {
  stream = '';
  partition = 0;
  sequence = 0;
  publishTime = 0;
  subject = '';
  size = 0;
  key: string | undefined = undefined;
  properties: Readonly<Record<string, string>> | undefined = undefined;
  eventTime: number | undefined = undefined;
  producer: string | undefined = undefined;
  type: string | undefined = undefined;
  messageId: string | undefined = undefined;
  buf: Uint8Array = new Uint8Array(0);
  dataStart = 0;
  dataEnd = 0;

  get data(): Uint8Array {
    // A plain view: a Buffer's subarray looks up its species (slower).
    return new Uint8Array(
      this.buf.buffer,
      this.buf.byteOffset + this.dataStart,
      this.dataEnd - this.dataStart,
    );
  }
}

/** A page of records read in place. Made by `StreamReader.readPage`. */
export class RecordPage {
  /** Records in the page. */
  readonly count: number;
  /** Where the reader goes on from. */
  readonly next: number;
  /** The partition's last sequence when the page was read. */
  readonly last: number;
  readonly #stream: string;
  readonly #bytes: Uint8Array;
  readonly #seal: StreamSeal | undefined;
  readonly #metadataOnly: boolean;

  constructor(
    stream: string,
    page: { count: number; bytes: Uint8Array; next: number; last: number },
    seal: StreamSeal | undefined,
    metadataOnly: boolean,
  ) {
    this.#stream = stream;
    this.count = page.count;
    this.#bytes = page.bytes;
    this.next = page.next;
    this.last = page.last;
    this.#seal = seal;
    this.#metadataOnly = metadataOnly;
  }

  /**
   * Calls `fn` with each record in order: one view, moved on after each
   * call (a sealed record comes as an object of its own, opened).
   *
   * @throws CallsignError `ERR_INVALID_MESSAGE` for a damaged page
   */
  forEach(fn: (record: RecordView) => void): void {
    const view = new MovingView();
    view.stream = this.#stream;
    const metadataOnly = this.#metadataOnly;
    walkEntries(
      this.#bytes,
      (partition, sequence, _count, leftOut, buf, start, end) => {
        view.key = undefined;
        view.properties = undefined;
        view.eventTime = undefined;
        view.producer = undefined;
        view.type = undefined;
        view.messageId = undefined;
        let at: number;
        try {
          at = decodeRecordFields(buf, start, end, view as unknown as Partial<RecordData>);
        } catch {
          throw damaged();
        }
        view.partition = partition;
        view.sequence = sequence;
        view.buf = buf;
        view.dataStart = at;
        view.dataEnd = end;
        view.size = leftOut >= 0 ? leftOut : end - at;
        if (view.type === SEALED_TYPE && !metadataOnly) {
          fn(this.#opened(view));
          return;
        }
        fn(view as unknown as RecordView);
      },
      Number.MAX_SAFE_INTEGER,
    );
  }

  #opened(view: MovingView): RecordView {
    const r: Record<string, unknown> = {
      stream: view.stream,
      partition: view.partition,
      sequence: view.sequence,
      publishTime: view.publishTime,
      subject: view.subject,
      size: view.size,
      data: view.data,
    };
    for (const k of ['key', 'properties', 'eventTime', 'producer', 'type', 'messageId'] as const) {
      if (view[k] !== undefined) r[k] = view[k];
    }
    return openDelivered(r as unknown as StoredRecord, this.#seal, false);
  }

  /** The records as objects of their own (what `StreamReader.read` gives). */
  records(): OpenedRecord<StoredRecord>[] {
    return storedRecordsOf(this.#stream, {
      count: this.count,
      bytes: this.#bytes,
      positions: [],
    }).map((r) => openDelivered(r, this.#seal, this.#metadataOnly));
  }
}
