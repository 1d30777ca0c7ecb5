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
import { StreamLink, type StreamLinkOptions } from './link.ts';
import {
  StreamAppendBatch,
  type StreamAppendedBatch,
  StreamAppendItem,
  StreamFlush,
  type StreamFlushed,
} from './protocol.ts';

/** The most appends sent in one batch. */
const MAX_BATCH = 4096;

import type { AppendResult } from './store.ts';

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
  #inFlight = 0;
  #count = 0;
  readonly #room: (() => void)[] = [];
  #batch: {
    item: StreamAppendItem;
    resolve: (r: AppendResult) => void;
    reject: (err: Error) => void;
  }[] = [];

  constructor(owner: ActorBase, stream: string, options: ProducerOptions = {}) {
    this.stream = stream;
    this.name = options.name ?? `producer-${randomBytes(4).toString('hex')}`;
    this.#window = Math.max(1, options.window ?? 4096);
    this.#idempotent = options.idempotent ?? false;
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
    const data = message instanceof Uint8Array ? message : encodeMessage(message);
    const type =
      message instanceof Uint8Array
        ? undefined
        : isMessage(message)
          ? typeNameOf(message)
          : undefined;
    while (this.#inFlight >= this.#window) await new Promise<void>((r) => this.#room.push(r));
    this.#inFlight++;
    const messageId =
      init.messageId ?? (this.#idempotent ? `${this.name}-${++this.#count}` : undefined);
    const eventTime = init.eventTime instanceof Date ? init.eventTime.getTime() : init.eventTime;
    const item = new StreamAppendItem({
      data,
      producer: this.name,
      ...(type === undefined ? {} : { type }),
      ...(init.subject === undefined ? {} : { subject: init.subject }),
      ...(init.key === undefined ? {} : { key: init.key }),
      ...(init.properties === undefined ? {} : { properties: { ...init.properties } }),
      ...(eventTime === undefined ? {} : { eventTime }),
      ...(messageId === undefined ? {} : { messageId }),
      ...(init.expectedLastSequence === undefined
        ? {}
        : { expectedLastSequence: init.expectedLastSequence }),
      ...(init.partition === undefined ? {} : { partition: init.partition }),
    });
    try {
      return await new Promise<AppendResult>((resolve, reject) => {
        this.#batch.push({ item, resolve, reject });
        if (this.#batch.length === 1) queueMicrotask(() => this.#send());
      });
    } finally {
      this.#inFlight--;
      this.#room.shift()?.();
    }
  }

  /** Sends the appends of this turn as one batch (they keep their order). */
  #send(): void {
    const all = this.#batch;
    this.#batch = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) {
      const batch = all.slice(i, i + MAX_BATCH);
      this.#link
        .request<InstanceType<typeof StreamAppendedBatch>>(
          (id) =>
            new StreamAppendBatch({ id, stream: this.stream, items: batch.map((b) => b.item) }),
          this.#idempotent,
        )
        .then(
          (r) => {
            batch.forEach((b, k) => {
              const o = r.outcomes[k];
              if (!o)
                b.reject(
                  new CallsignError(
                    'ERR_STORAGE_FAILED',
                    'the host did not answer for this append',
                  ),
                );
              else if (o.code !== undefined)
                b.reject(new CallsignError(o.code as ErrorCode, o.reason ?? o.code));
              else {
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
