/**
 * Consumers: a named consumer of a stream found by name. Its deliveries
 * arrive in the owner's `select` as {@link StreamDelivery} messages with
 * their metadata; the owner acknowledges them. A named consumer that
 * restarts resumes after its last acknowledgement.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { decodeMessage } from '../messages/codec.ts';
import type { Message } from '../messages/registry.ts';
import type { ActorBase } from '../runtime/context.ts';
import type { ConsumerMode } from './config.ts';
import { StreamLink, type StreamLinkOptions } from './link.ts';
import {
  ConsumerActive,
  ConsumerAttach,
  type ConsumerAttached,
  ConsumerDetach,
  ConsumerSettle,
  ConsumerSettleBatch,
  type ConsumerSettled,
  ConsumerSettleItem,
  type StreamData,
  StreamDeliveries,
  StreamDelivery,
  StreamFetch,
} from './protocol.ts';

/** Options of {@link openConsumer}. */
export interface ConsumerOptions extends StreamLinkOptions {
  /** The consumer's name: its position is kept under it. */
  readonly name: string;
  /**
   * Where a new consumer starts: `new` (default), `earliest`, `latest`,
   * `last-per-subject`, a sequence, a Date, `{ time }`, or a delta back from
   * now (`'5m'`, `{ ms }`). A consumer that exists resumes where it was.
   */
  readonly start?: string | number | Date | Record<string, unknown>;
  /** A subject pattern (`lab.strain.*`, `lab.>`). Default: every subject. */
  readonly filter?: string;
  /** How long a delivery waits for its acknowledgement (ms or `30s`). Default 30 s. */
  readonly ackWait?: number | string;
  /** Deliveries of one message at most; 0 (default) for no limit. */
  readonly maxDeliveries?: number;
  /** Deliveries awaiting acknowledgement at most, per partition. Default 1000. */
  readonly maxAckPending?: number;
  /** Default `exclusive`. */
  readonly mode?: ConsumerMode;
  /** Deliveries without data; fetch it (or a byte range) with {@link Consumer.fetch}. */
  readonly metadataOnly?: boolean;
  /** Deliveries to this owner not yet settled, at most. Default 256. */
  readonly window?: number;
}

/** A named consumer attached from one actor. Made by {@link openConsumer}. */
export class Consumer {
  readonly stream: string;
  readonly name: string;
  readonly #link: StreamLink;
  #active = false;
  #attached: Promise<void>;

  constructor(owner: ActorBase, stream: string, options: ConsumerOptions) {
    this.stream = stream;
    this.name = options.name;
    this.#link = new StreamLink(owner, stream, options);
    const config: Record<string, unknown> = { name: options.name };
    if (options.start !== undefined)
      config.start =
        options.start instanceof Date ? { time: options.start.getTime() } : options.start;
    if (options.filter !== undefined) config.filter = options.filter;
    if (options.ackWait !== undefined) config.ackWait = options.ackWait;
    if (options.maxDeliveries !== undefined) config.maxDeliveries = options.maxDeliveries;
    if (options.maxAckPending !== undefined) config.maxAckPending = options.maxAckPending;
    if (options.mode !== undefined) config.mode = options.mode;
    const attach = () =>
      this.#link
        .request<InstanceType<typeof ConsumerAttached>>(
          (id) =>
            new ConsumerAttach({
              id,
              stream,
              config,
              metadataOnly: options.metadataOnly ?? false,
              window: options.window ?? 256,
            }),
        )
        .then((a) => {
          this.#active = a.active;
        });
    this.#attached = attach();
    this.#attached.catch(() => {});
    // Deliveries go to the owner, with the host as their return address.
    this.#link.onPush = (m, from) => {
      if (m instanceof ConsumerActive) this.#active = m.active;
      if (m instanceof StreamDeliveries) {
        for (const d of m.deliveries) owner.forward(d, owner.address, from);
      } else if (m instanceof StreamDelivery || m instanceof ConsumerActive) {
        owner.forward(m, owner.address, from);
      }
    };
    // When the host comes back, attach again: it resumes after the last acknowledgement.
    let first = true;
    this.#link.onAvailable = () => {
      if (first) {
        first = false;
        return;
      }
      this.#attached = attach();
      this.#attached.catch(() => {});
    };
  }

  /** Resolves once attached; rejects with the host's code (`ERR_CONSUMER_BUSY`, ...). */
  attached(): Promise<void> {
    return this.#attached;
  }

  /** False for a failover standby until it takes over. */
  get active(): boolean {
    return this.#active;
  }

  #settle(d: StreamDelivery, kind: 'ack' | 'nak' | 'term', delayMs?: number, confirm?: number) {
    return new ConsumerSettle({
      stream: d.stream,
      consumer: d.consumer,
      partition: d.partition,
      sequence: d.sequence,
      kind,
      ...(delayMs === undefined ? {} : { delayMs: Math.max(0, Math.round(delayMs)) }),
      ...(confirm === undefined ? {} : { confirm }),
    });
  }

  /** Settlements of this turn, sent together. */
  #settlements: InstanceType<typeof ConsumerSettleItem>[] = [];

  #queue(d: StreamDelivery, kind: 'ack' | 'nak' | 'term', delayMs?: number): void {
    this.#settlements.push(
      new ConsumerSettleItem({
        partition: d.partition,
        sequence: d.sequence,
        kind,
        ...(delayMs === undefined ? {} : { delayMs: Math.max(0, Math.round(delayMs)) }),
      }),
    );
    if (this.#settlements.length === 1) setImmediate(() => this.#sendSettlements());
  }

  #sendSettlements(): void {
    const items = this.#settlements;
    this.#settlements = [];
    for (let i = 0; i < items.length; i += 4096) {
      this.#link.tell(
        new ConsumerSettleBatch({
          stream: this.stream,
          consumer: this.name,
          items: items.slice(i, i + 4096),
        }),
      );
    }
  }

  /** Acknowledges a delivery (it is not sent again). */
  ack(d: StreamDelivery): void {
    this.#queue(d, 'ack');
  }

  /** Acknowledges a delivery and resolves once the host has stored it (false: it was not pending). */
  async ackStored(d: StreamDelivery): Promise<boolean> {
    const r = await this.#link.request<InstanceType<typeof ConsumerSettled>>((id) =>
      this.#settle(d, 'ack', undefined, id),
    );
    return r.settled;
  }

  /** Asks for a delivery again, after `delayMs` (default at once). */
  nak(d: StreamDelivery, delayMs = 0): void {
    this.#queue(d, 'nak', delayMs);
  }

  /** Gives a delivery up: never sent again. */
  term(d: StreamDelivery): void {
    this.#queue(d, 'term');
  }

  /** The data of a delivery (taken metadata only), or a byte range of it. */
  async fetch(d: StreamDelivery, range?: { offset: number; length: number }): Promise<Uint8Array> {
    const r = await this.#link.request<InstanceType<typeof StreamData>>(
      (id) =>
        new StreamFetch({
          id,
          stream: d.stream,
          partition: d.partition,
          sequence: d.sequence,
          ...(range ? { offset: range.offset, length: range.length } : {}),
        }),
    );
    return r.data;
  }

  /** The registered message a delivery carries (its data decoded). */
  message(d: StreamDelivery): Message {
    if (d.type === undefined) {
      throw new CallsignError(
        'ERR_UNKNOWN_MESSAGE',
        `message ${d.sequence} of ${d.stream} is raw bytes, not a message`,
      );
    }
    return decodeMessage(d.data);
  }

  /** Leaves the consumer (its position stays; unsettled deliveries go out again). */
  close(): void {
    this.#sendSettlements();
    this.#link.tell(new ConsumerDetach({ stream: this.stream, consumer: this.name }));
    this.#link.close();
  }
}

/**
 * Attaches to the named consumer `options.name` of `stream` (made when
 * missing). Deliveries arrive in `self.select(StreamDelivery, ...)`.
 *
 * @example
 * ```ts
 * const report = openConsumer(self, 'readings', { name: 'report', start: 'earliest' });
 * for (;;) {
 *   const d = await self.select(StreamDelivery, Stop);
 *   if (d instanceof Stop) break;
 *   const reading = report.message(d);
 *   report.ack(d);
 * }
 * ```
 */
export function openConsumer(self: ActorBase, stream: string, options: ConsumerOptions): Consumer {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new CallsignError('ERR_INVALID_STREAM', 'a consumer needs the name of a stream');
  }
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new CallsignError('ERR_INVALID_CONSUMER', 'a consumer needs a name');
  }
  return new Consumer(self, stream, options);
}
