/**
 * Consumers: a named consumer of a stream found by name. Its deliveries
 * arrive in the owner's `select` as {@link StreamDelivery} messages with
 * their metadata; the owner acknowledges them. A named consumer that
 * restarts resumes after its last acknowledgement.
 *
 * @module
 */
import { CallsignError, type ErrorCode } from '../errors.ts';
import { decodeMessage } from '../messages/codec.ts';
import type { Message } from '../messages/registry.ts';
import type { ActorBase } from '../runtime/context.ts';
import { AckRanges } from './ack-ranges.ts';
import type { ConsumerMode } from './consumer-config.ts';
import { StreamLink, type StreamLinkOptions } from './link.ts';
import {
  ConsumerActive,
  ConsumerAttach,
  type ConsumerAttached,
  ConsumerDetach,
  ConsumerSettle,
  type ConsumerSettled,
  ConsumerSettleItem,
  ConsumerSettlePack,
  type StreamData,
  StreamDelivery,
  StreamDeliveryPack,
  StreamFetch,
} from './protocol.ts';
import { forEachRecord } from './record-batch.ts';
import { openDelivered, openFetched } from './sealed-delivery.ts';
import { SEALED_TYPE, type StreamKeyInput, type StreamSeal, sealOf } from './sealed-payload.ts';

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
  /**
   * The stream key of a stream declared `sealed`: deliveries are opened with
   * it. Without it (or with another key), a sealed delivery arrives with no
   * data and its `sealedError` set (`ERR_SEALED_KEY`, `ERR_SEALED_TAMPERED`).
   */
  readonly sealKey?: StreamKeyInput;
}

/** A named consumer attached from one actor. Made by {@link openConsumer}. */
export class Consumer {
  readonly stream: string;
  readonly name: string;
  readonly #link: StreamLink;
  readonly #seal: StreamSeal | undefined;
  #active = false;
  #attached: Promise<void>;

  constructor(owner: ActorBase, stream: string, options: ConsumerOptions) {
    this.stream = stream;
    this.name = options.name;
    this.#link = new StreamLink(owner, stream, options);
    this.#seal = sealOf(options.sealKey);
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
      if (m instanceof ConsumerActive) {
        this.#active = m.active;
        owner.forward(m, owner.address, from);
      } else if (m instanceof StreamDeliveryPack) {
        const { stream: s, consumer } = m;
        try {
          forEachRecord(
            m.deliveries,
            (e) => {
              const r = openDelivered(e.record, this.#seal, options.metadataOnly ?? false);
              owner.forward(
                new StreamDelivery({
                  stream: s,
                  consumer,
                  partition: e.partition,
                  sequence: e.sequence,
                  publishTime: r.publishTime,
                  deliveryCount: e.deliveryCount,
                  size: e.size,
                  data: r.data,
                  subject: r.subject,
                  key: r.key,
                  properties: r.properties,
                  eventTime: r.eventTime,
                  producer: r.producer,
                  type: r.type,
                  messageId: r.messageId,
                  sealedError: r.sealedError,
                }),
                owner.address,
                from,
              );
            },
            m.count,
          );
        } catch (err) {
          owner.warning(`stream ${s}: ${(err as Error).message}`);
        }
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

  /** Acknowledgements of this turn, as ranges, and the other settlements, sent together. */
  readonly #acks = new AckRanges();
  #others: InstanceType<typeof ConsumerSettleItem>[] = [];
  #sending = false;

  #queue(d: StreamDelivery, kind: 'ack' | 'nak' | 'term', delayMs?: number): void {
    if (kind === 'ack') {
      this.#acks.add(d.partition, d.sequence);
    } else {
      this.#others.push(
        new ConsumerSettleItem({
          partition: d.partition,
          sequence: d.sequence,
          kind,
          ...(delayMs === undefined ? {} : { delayMs: Math.max(0, Math.round(delayMs)) }),
        }),
      );
    }
    if (!this.#sending) {
      this.#sending = true;
      setImmediate(() => this.#sendSettlements());
    }
  }

  #sendSettlements(): void {
    this.#sending = false;
    if (this.#acks.empty && this.#others.length === 0) return;
    const others = this.#others;
    this.#others = [];
    const acks = this.#acks.take();
    for (let i = 0; i === 0 || i < others.length; i += 4096) {
      this.#link.tell(
        new ConsumerSettlePack({
          stream: this.stream,
          consumer: this.name,
          acks: i === 0 ? acks : new Uint8Array(0),
          others: others.slice(i, i + 4096),
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
    // A sealed record is opened whole; the range applies to what it holds.
    const sent = d.type === SEALED_TYPE ? undefined : range;
    const r = await this.#link.request<InstanceType<typeof StreamData>>(
      (id) =>
        new StreamFetch({
          id,
          stream: d.stream,
          partition: d.partition,
          sequence: d.sequence,
          ...(sent ? { offset: sent.offset, length: sent.length } : {}),
        }),
    );
    return openFetched(d, r.data, this.#seal, range);
  }

  /**
   * The registered message a delivery carries (its data decoded).
   *
   * @throws CallsignError `ERR_UNKNOWN_MESSAGE` (raw bytes), or the
   *   delivery's `sealedError` (`ERR_SEALED_KEY`, `ERR_SEALED_TAMPERED`)
   */
  message(d: StreamDelivery): Message {
    if (d.sealedError !== undefined) {
      throw new CallsignError(
        d.sealedError as ErrorCode,
        `message ${d.sequence} of ${d.stream} is sealed and could not be opened`,
      );
    }
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
