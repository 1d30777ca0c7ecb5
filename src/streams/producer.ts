/**
 * Producers: append to a stream found by name. Appends are pipelined (many
 * in flight, up to a window) and each resolves to where its message went;
 * `flush()` resolves once every earlier append is stored.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { CallsignError, type ErrorCode } from '../errors.ts';
import { encodeMessage } from '../messages/codec.ts';
import { isMessage, type Message, typeNameOf } from '../messages/registry.ts';
import type { ActorBase } from '../runtime/context.ts';
import { AppendPackWriter, type PackedAppend, readOutcomes } from './append-pack.ts';
import { StreamLink, type StreamLinkOptions } from './link.ts';
import {
  type StreamAppendedPack,
  StreamAppendPack,
  StreamFlush,
  type StreamFlushed,
} from './protocol.ts';
import { SEALED_TYPE, type StreamKeyInput, type StreamSeal, sealOf } from './sealed-payload.ts';
import type { AppendResult } from './store.ts';

/** The most appends sent in one pack. */
const MAX_BATCH = 4096;
/** A pack is closed once its data passes this many bytes. */
const MAX_PACK_BYTES = 1024 * 1024;

/** Options of {@link openProducer}. */
export interface ProducerOptions extends StreamLinkOptions {
  /** The producer's name, stored with each message. Default `producer-<random>`. */
  readonly name?: string;
  /** Most appends awaiting their answer; more wait for room. Default 4096. */
  readonly window?: number;
  /**
   * Give every append a message id (`<name>-<n>`), so that appends sent again
   * after a lost session are stored once (within the stream's duplicate window).
   */
  readonly idempotent?: boolean;
  /**
   * The stream key of a stream declared `sealed`: each payload (and its
   * message type) is sealed with it before it leaves this process.
   */
  readonly sealKey?: StreamKeyInput;
}

/** Options of one append. */
export interface AppendInit {
  readonly subject?: string;
  readonly key?: string;
  readonly properties?: Readonly<Record<string, string>>;
  /** When it happened, by this clock (a Date or ms since the epoch). */
  readonly eventTime?: Date | number;
  /** A message id for the duplicate window. */
  readonly messageId?: string;
  readonly expectedLastSequence?: number;
  readonly partition?: number;
}

/** Appends to one stream. Made by {@link openProducer}. */
export class Producer {
  readonly stream: string;
  readonly name: string;
  readonly #link: StreamLink;
  readonly #window: number;
  readonly #idempotent: boolean;
  readonly #seal: StreamSeal | undefined;
  #inFlight = 0;
  #count = 0;
  readonly #room: (() => void)[] = [];
  #batch: {
    append: PackedAppend;
    resolve: (r: AppendResult) => void;
    reject: (err: Error) => void;
  }[] = [];

  constructor(owner: ActorBase, stream: string, options: ProducerOptions = {}) {
    this.stream = stream;
    this.name = options.name ?? `producer-${randomBytes(4).toString('hex')}`;
    this.#window = Math.max(1, options.window ?? 4096);
    this.#idempotent = options.idempotent ?? false;
    this.#seal = sealOf(options.sealKey);
    this.#link = new StreamLink(owner, stream, options);
  }

  /** Resolves once the stream's host is reached (or rejects with `ERR_NOT_AVAILABLE`). */
  ready(): Promise<void> {
    return this.#link.ready();
  }

  /**
   * Appends a registered message (encoded; its type is stored) or raw bytes.
   * Resolves to its sequence, partition, publish time and whether it was a
   * duplicate; rejects with the host's code (`ERR_STREAM_FULL`, ...).
   */
  async append(message: Message | Uint8Array, init: AppendInit = {}): Promise<AppendResult> {
    let data = message instanceof Uint8Array ? message : encodeMessage(message);
    let type =
      message instanceof Uint8Array
        ? undefined
        : isMessage(message)
          ? typeNameOf(message)
          : undefined;
    if (this.#seal) {
      data = this.#seal.seal(data, type, { subject: init.subject ?? this.stream, key: init.key });
      type = SEALED_TYPE;
    }
    while (this.#inFlight >= this.#window) await new Promise<void>((r) => this.#room.push(r));
    this.#inFlight++;
    const messageId =
      init.messageId ?? (this.#idempotent ? `${this.name}-${++this.#count}` : undefined);
    const eventTime = init.eventTime instanceof Date ? init.eventTime.getTime() : init.eventTime;
    const append: PackedAppend = {
      data,
      type,
      subject: init.subject,
      key: init.key,
      properties: init.properties,
      eventTime,
      messageId,
      expectedLastSequence: init.expectedLastSequence,
      partition: init.partition,
    } as PackedAppend;
    try {
      return await new Promise<AppendResult>((resolve, reject) => {
        this.#batch.push({ append, resolve, reject });
        if (this.#batch.length === 1) queueMicrotask(() => this.#send());
      });
    } finally {
      this.#inFlight--;
      this.#room.shift()?.();
    }
  }

  /** Sends the appends of this turn as packs (they keep their order). */
  #send(): void {
    const all = this.#batch;
    this.#batch = [];
    for (let i = 0; i < all.length; ) {
      const w = new AppendPackWriter();
      const start = i;
      while (i < all.length && w.count < MAX_BATCH && w.size < MAX_PACK_BYTES) {
        w.add((all[i] as (typeof all)[number]).append);
        i++;
      }
      const batch = all.slice(start, i);
      const count = w.count;
      const appends = w.finish();
      this.#link
        .request<InstanceType<typeof StreamAppendedPack>>(
          (id) =>
            new StreamAppendPack({ id, stream: this.stream, producer: this.name, count, appends }),
          this.#idempotent,
        )
        .then(
          (r) => {
            let outcomes: ReturnType<typeof readOutcomes>;
            try {
              outcomes = readOutcomes(r.outcomes, r.refusals, count);
            } catch (err) {
              for (const b of batch) b.reject(err as Error);
              return;
            }
            batch.forEach((b, k) => {
              const o = outcomes[k] as (typeof outcomes)[number];
              if (o.refused) {
                b.reject(new CallsignError(o.refused.code as ErrorCode, o.refused.reason));
              } else {
                b.resolve({
                  stream: this.stream,
                  partition: o.partition,
                  sequence: o.sequence,
                  publishTime: o.publishTime,
                  duplicate: o.duplicate,
                });
              }
            });
          },
          (err: Error) => {
            for (const b of batch) b.reject(err);
          },
        );
    }
  }

  /** Resolves once every earlier append is stored (synced to disk with `sync`). */
  async flush(options: { sync?: boolean } = {}): Promise<void> {
    await this.#link.request<InstanceType<typeof StreamFlushed>>(
      (id) => new StreamFlush({ id, sync: options.sync ?? false }),
    );
  }

  /** Ends the producer; appends still waiting fail with `ERR_CLOSED`. */
  close(): void {
    this.#link.close();
    for (const wake of this.#room.splice(0)) wake();
  }
}

/**
 * Opens a producer of the stream `stream`, found by name from `self`.
 *
 * @example
 * ```ts
 * const orders = openProducer(self, 'orders');
 * const { sequence } = await orders.append(new Order({ id: 7 }), { key: 'customer-3' });
 * await orders.flush();
 * ```
 */
export function openProducer(
  self: ActorBase,
  stream: string,
  options: ProducerOptions = {},
): Producer {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new CallsignError('ERR_INVALID_STREAM', 'a producer needs the name of a stream');
  }
  return new Producer(self, stream, options);
}
