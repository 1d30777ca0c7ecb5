/**
 * Readers: the stored messages of one partition of a stream found by name,
 * in sequence order, without a consumer (nothing is acknowledged, nothing
 * is kept): replay, and `callsign stream view`. A reader asks for several
 * pages at a time and for the next ones as soon as the last arrives, so the
 * host reads while its owner works through what came.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { ActorBase } from '../runtime/context.ts';
import { StreamLink, type StreamLinkOptions } from './link.ts';
import { StreamRead, type StreamRecordsPack } from './protocol.ts';
import { RecordPage } from './record-page.ts';
import type { OpenedRecord } from './sealed-delivery.ts';
import { type StreamKeyInput, type StreamSeal, sealOf } from './sealed-payload.ts';
import type { StoredRecord } from './store.ts';

/** Options of {@link openReader}. */
export interface ReaderOptions extends StreamLinkOptions {
  /** Default 0. */
  readonly partition?: number;
  /** The first sequence to read. Default 1 (the earliest stored). */
  readonly from?: number;
  /** Only subjects matching this pattern. */
  readonly filter?: string;
  /** Records without their data (their `size` says how big it is). */
  readonly metadataOnly?: boolean;
  /**
   * The stream key of a sealed stream: records are opened with it; without
   * it a sealed record comes with no data and `sealedError` set.
   */
  readonly sealKey?: StreamKeyInput;
  /** Records per page, at most. Default 10 000. */
  readonly pageSize?: number;
  /** Pages asked for at a time. Default 4 (at most 8). */
  readonly pages?: number;
}

/** What one {@link StreamReader.read} gives. */
export interface ReadPage {
  readonly records: OpenedRecord<StoredRecord>[];
  /** Where the reader goes on from. */
  readonly next: number;
  /** The partition's last sequence when the page was read. */
  readonly last: number;
}

/** Reads one partition of a stream in order. Made by {@link openReader}. */
export class StreamReader {
  readonly stream: string;
  readonly partition: number;
  readonly #link: StreamLink;
  readonly #options: ReaderOptions;
  readonly #seal: StreamSeal | undefined;
  /** Pages that came and were not read yet. */
  readonly #pages: InstanceType<typeof StreamRecordsPack>[] = [];
  #asking: Promise<void> | undefined;
  /** Where the next request starts. */
  #from: number;
  #next: number;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** The last page that came was at the end of what is stored. */
  #atEnd = false;

  constructor(owner: ActorBase, stream: string, options: ReaderOptions = {}) {
    this.stream = stream;
    this.partition = options.partition ?? 0;
    this.#options = options;
    this.#seal = sealOf(options.sealKey);
    this.#from = Math.max(1, options.from ?? 1);
    this.#next = this.#from;
    this.#link = new StreamLink(owner, stream, options);
  }

  /** Where the reader goes on from. */
  get next(): number {
    return this.#next;
  }

  #ask(waitMs: number): void {
    if (this.#asking) return;
    const from = this.#from;
    const o = this.#options;
    const done = (m: InstanceType<typeof StreamRecordsPack>) => {
      this.#pages.push(m);
      this.#from = m.next;
      this.#atEnd = m.next > m.last;
      this.#wake?.();
    };
    this.#asking = this.#link
      .request<InstanceType<typeof StreamRecordsPack>>(
        (id) =>
          new StreamRead({
            id,
            stream: this.stream,
            partition: this.partition,
            from,
            max: Math.max(1, Math.min(o.pageSize ?? 10_000, 10_000)),
            ...(o.filter === undefined ? {} : { filter: o.filter }),
            metadataOnly: o.metadataOnly ?? false,
            waitMs,
            pages: Math.max(1, Math.min(o.pages ?? 4, 8)),
          }),
        false,
        done,
      )
      .then(
        (last) => {
          this.#asking = undefined;
          done(last);
          this.#ahead();
        },
        (err: Error) => {
          this.#asking = undefined;
          this.#error = err;
          this.#wake?.();
        },
      );
  }

  /** Asks for more while fewer pages than one request's wait to be read, until the end. */
  #ahead(): void {
    const pages = Math.max(1, Math.min(this.#options.pages ?? 4, 8));
    if (!this.#asking && !this.#atEnd && this.#pages.length < pages) this.#ask(0);
  }

  /**
   * The next records (an empty list when there are none yet: at the end, or
   * once `waitMs` passed without a new one). Rejects with the host's code.
   */
  async read(options: { waitMs?: number } = {}): Promise<ReadPage> {
    const page = await this.readPage(options);
    return { records: page.records(), next: page.next, last: page.last };
  }

  /**
   * The same as {@link StreamReader.read}, as the page came: its records are
   * read in place with `forEach` (one view moved over them), with no object
   * made per record. The quicker way to replay a stream.
   *
   * @example
   * ```ts
   * for (;;) {
   *   const page = await reader.readPage();
   *   if (page.count === 0) break;
   *   page.forEach((r) => total += r.size);
   * }
   * ```
   */
  async readPage(options: { waitMs?: number } = {}): Promise<RecordPage> {
    for (;;) {
      const page = this.#pages.shift();
      if (page) {
        // Keep the host a step ahead while this page is worked through.
        this.#ahead();
        this.#next = page.next;
        // A filtered page may hold nothing and still not be the end: read on.
        if (page.count === 0 && page.next <= page.last) continue;
        return new RecordPage(
          this.stream,
          { count: page.count, bytes: page.records, next: page.next, last: page.last },
          this.#seal,
          this.#options.metadataOnly ?? false,
        );
      }
      if (this.#error) {
        const err = this.#error;
        this.#error = undefined;
        throw err;
      }
      if (!this.#asking) {
        this.#atEnd = false;
        this.#ask(options.waitMs ?? 0);
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Ends the reader. */
  close(): void {
    this.#link.close();
  }
}

/**
 * Opens a reader of one partition of `stream`, found by name from `self`.
 *
 * @example
 * ```ts
 * const reader = openReader(self, 'readings', { from: 1 });
 * for (;;) {
 *   const { records } = await reader.read();
 *   if (records.length === 0) break;
 *   for (const r of records) console.log(r.sequence, r.subject);
 * }
 * ```
 */
export function openReader(
  self: ActorBase,
  stream: string,
  options: ReaderOptions = {},
): StreamReader {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new CallsignError('ERR_INVALID_STREAM', 'a reader needs the name of a stream');
  }
  return new StreamReader(self, stream, options);
}
