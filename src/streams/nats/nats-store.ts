/**
 * The `nats` stream store: the storage contract on NATS JetStream. Streams,
 * appends, reads and purges here; consumers in nats-consumers.ts; how
 * callsign maps onto JetStream in mapping.ts (and docs/streams.md).
 *
 * @module
 */
import type { PurgeOpts } from '@nats-io/jetstream';
import { nuid } from '@nats-io/transport-node';
import { patternTokens } from '../../directory/subject-pattern.ts';
import { CallsignError } from '../../errors.ts';
import type { StreamConfigInput } from '../config.ts';
import { sameConfig, streamConfig } from '../config.ts';
import type { ConsumerConfigInput } from '../consumer-config.ts';
import type {
  AppendItem,
  AppendOptions,
  AppendOutcome,
  AppendResult,
  ByteRange,
  ConsumerInfo,
  Delivery,
  PartitionInfo,
  PullOptions,
  PurgeOptions,
  ReadOptions,
  RecordBatch,
  RecordInput,
  StoredRecord,
  StoreEvent,
  StreamInfo,
  StreamStore,
} from '../store.ts';
import { packDeliveries, packRecords } from './batches.ts';
import { NatsContext, natsFailure } from './connection.ts';
import { jetStreamConfig, natsPattern, unsupportedStream } from './mapping.ts';
import { NatsAppends } from './nats-appends.ts';
import { NatsConsumers } from './nats-consumers.ts';
import { AppendNotices } from './nats-notices.ts';
import { NatsReads } from './nats-reads.ts';
import { leaveOutData } from './records.ts';
import type { NatsSettings } from './settings.ts';

const _unique = () => nuid.next();

/**
 * Opens the `nats` store on the servers of `settings`.
 *
 * @throws CallsignError `ERR_STORAGE_FAILED` when no server answers or JetStream is off
 */
export async function openNatsStore(settings: NatsSettings): Promise<StreamStore> {
  return new NatsStreamStore(await NatsContext.open(settings));
}

/** The storage contract on JetStream: see the module's documentation. */
export class NatsStreamStore implements StreamStore {
  readonly driver = 'nats';
  readonly #ctx: NatsContext;
  readonly #consumers: NatsConsumers;
  readonly #reads: NatsReads;
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  readonly #appends: NatsAppends;
  readonly #notices: AppendNotices;
  #closed: Promise<void> | undefined;

  constructor(ctx: NatsContext) {
    this.#ctx = ctx;
    this.#consumers = new NatsConsumers(ctx);
    this.#reads = new NatsReads(ctx);
    this.#notices = new AppendNotices(ctx.nc, ctx.layout.prefix);
    this.#appends = new NatsAppends(ctx, (event) => {
      this.#emit(event);
      if (event.kind === 'appended')
        this.#notices.appended(event.stream, event.partition, event.sequence);
    });
  }

  #emit(event: StoreEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** @throws CallsignError `ERR_INVALID_STATE` when closed, `ERR_STREAM_UNAVAILABLE` while disconnected */
  #open(): void {
    if (this.#closed) throw new CallsignError('ERR_INVALID_STATE', 'the nats store is closed');
    this.#ctx.reachable();
  }

  async createStream(input: StreamConfigInput): Promise<StreamInfo> {
    this.#open();
    const config = streamConfig(input);
    const reason = unsupportedStream(config);
    if (reason)
      throw new CallsignError('ERR_STREAM_UNSUPPORTED', `stream ${config.name}: ${reason}`);
    const existing = await this.#ctx.find(config.name);
    if (existing) {
      if (!sameConfig(existing.config, config)) {
        throw new CallsignError(
          'ERR_STREAM_EXISTS',
          `stream ${config.name} exists with another configuration`,
        );
      }
      return this.streamInfo(config.name);
    }
    const created = Date.now();
    // The first partition last: its description is what makes the stream exist.
    const order = Array.from({ length: config.partitions }, (_, p) => config.partitions - 1 - p);
    const made: string[] = [];
    try {
      for (const p of order) {
        const js = jetStreamConfig(this.#ctx.layout, config, p, created);
        await this.#ctx.jsm.streams.add(js as never);
        made.push(js.name as string);
      }
    } catch (error) {
      for (const name of made) await this.#ctx.jsm.streams.delete(name).catch(() => false);
      throw natsFailure(error, `create stream ${config.name}`);
    }
    this.#ctx.remember(config, created);
    return this.streamInfo(config.name);
  }

  async updateStream(input: StreamConfigInput): Promise<StreamInfo> {
    this.#open();
    const config = streamConfig(input);
    const s = await this.#ctx.require(config.name);
    if (config.partitions !== s.config.partitions) {
      throw new CallsignError(
        'ERR_INVALID_STREAM',
        `stream ${config.name} has ${s.config.partitions} partitions; they cannot change`,
      );
    }
    const reason = unsupportedStream(config);
    if (reason)
      throw new CallsignError('ERR_STREAM_UNSUPPORTED', `stream ${config.name}: ${reason}`);
    try {
      for (let p = 0; p < config.partitions; p++) {
        const js = jetStreamConfig(this.#ctx.layout, config, p, s.created);
        await this.#ctx.jsm.streams.update(js.name as string, js as never);
      }
    } catch (error) {
      this.#ctx.forget(config.name);
      throw natsFailure(error, `update stream ${config.name}`);
    }
    this.#ctx.remember(config, s.created);
    return this.streamInfo(config.name);
  }

  async deleteStream(name: string): Promise<boolean> {
    this.#open();
    const s = await this.#ctx.find(name);
    if (!s) return false;
    this.#consumers.forgetStream(name);
    this.#ctx.forget(name);
    try {
      for (const jsName of s.names) await this.#ctx.jsm.streams.delete(jsName);
    } catch (error) {
      const failure = natsFailure(error, `delete stream ${name}`);
      if (failure.code !== 'ERR_UNKNOWN_STREAM') throw failure;
    }
    this.#emit({ kind: 'deleted', stream: name });
    return true;
  }

  async listStreams(options: { after?: string; max?: number } = {}): Promise<string[]> {
    this.#open();
    const names: string[] = [];
    const head = `${this.#ctx.layout.prefix}_`;
    try {
      for await (const info of this.#ctx.jsm.streams.list()) {
        if (!info.config.name.startsWith(head) || !info.config.name.endsWith('_p0')) continue;
        const d = await this.#ctx.find(info.config.name.slice(head.length, -3));
        if (d) names.push(d.config.name);
      }
    } catch (error) {
      throw natsFailure(error, 'list streams');
    }
    names.sort();
    const after = options.after;
    const from = after === undefined ? names : names.filter((n) => n > after);
    return from.slice(0, options.max ?? from.length);
  }

  async streamInfo(name: string): Promise<StreamInfo> {
    this.#open();
    const s = await this.#ctx.require(name);
    const partitions: PartitionInfo[] = [];
    let consumers = 0;
    try {
      for (const [p, jsName] of s.names.entries()) {
        const { state } = await this.#ctx.jsm.streams.info(jsName);
        if (p === 0) consumers = state.consumer_count;
        const empty = state.messages === 0;
        partitions.push({
          partition: p,
          messages: state.messages,
          bytes: state.bytes,
          firstSequence: empty ? 0 : state.first_seq,
          lastSequence: state.last_seq,
          ...(empty
            ? {}
            : { firstTime: Date.parse(state.first_ts), lastTime: Date.parse(state.last_ts) }),
        });
      }
    } catch (error) {
      throw natsFailure(error, `stream ${name}`);
    }
    return {
      config: s.config,
      created: s.created,
      messages: partitions.reduce((n, p) => n + p.messages, 0),
      bytes: partitions.reduce((n, p) => n + p.bytes, 0),
      partitions,
      consumers,
    };
  }

  async hasStream(name: string): Promise<boolean> {
    this.#open();
    return (await this.#ctx.find(name)) !== undefined;
  }

  async append(
    stream: string,
    record: RecordInput,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    this.#open();
    return this.#appends.append(stream, record, options);
  }

  async appendBatch(stream: string, items: readonly AppendItem[]): Promise<AppendOutcome[]> {
    this.#open();
    return this.#appends.appendBatch(stream, items);
  }

  flush(_options?: { sync?: boolean }): Promise<void> {
    return this.#appends.flush();
  }

  async read(stream: string, options: ReadOptions = {}): Promise<StoredRecord[]> {
    this.#open();
    const { records } = await this.#reads.page(stream, options);
    return options.metadataOnly ? records.map(leaveOutData) : records;
  }

  async readBatch(
    stream: string,
    options: ReadOptions = {},
  ): Promise<RecordBatch & { next: number }> {
    this.#open();
    const { records, next } = await this.#reads.page(stream, options);
    return packRecords(records, options.metadataOnly === true, next) as RecordBatch & {
      next: number;
    };
  }

  get(
    stream: string,
    partition: number,
    sequence: number,
    range?: ByteRange,
  ): Promise<StoredRecord> {
    this.#open();
    return this.#reads.get(stream, partition, sequence, range);
  }

  lastOfSubject(
    stream: string,
    subject: string,
    partition?: number,
  ): Promise<StoredRecord | undefined> {
    this.#open();
    return this.#reads.lastOfSubject(stream, subject, partition);
  }

  async purge(stream: string, options: PurgeOptions = {}): Promise<number> {
    this.#open();
    const s = await this.#ctx.require(stream);
    if (options.filter !== undefined) patternTokens(options.filter);
    const parts =
      options.partition === undefined
        ? s.names.map((_, p) => p)
        : [this.#ctx.partition(s, options.partition)];
    let purged = 0;
    try {
      for (const p of parts) {
        const filter =
          options.filter === undefined || options.filter === '>'
            ? {}
            : { filter: natsPattern(s.roots[p] as string, options.filter, s.keyed) };
        const keep = options.keepFrom === undefined ? {} : { seq: options.keepFrom };
        const r = await this.#ctx.jsm.streams.purge(
          s.names[p] as string,
          { ...filter, ...keep } as PurgeOpts,
        );
        purged += r.purged;
      }
    } catch (error) {
      throw natsFailure(error, `purge ${stream}`);
    }
    return purged;
  }

  /** JetStream removes what is past `maxAge` itself, on the servers' clocks. */
  async expire(): Promise<number> {
    this.#open();
    return 0;
  }

  async createConsumer(stream: string, config: ConsumerConfigInput): Promise<ConsumerInfo> {
    this.#open();
    return this.#consumers.create(stream, config);
  }
  async deleteConsumer(stream: string, name: string): Promise<boolean> {
    this.#open();
    return this.#consumers.delete(stream, name);
  }
  async listConsumers(stream: string): Promise<string[]> {
    this.#open();
    return this.#consumers.list(stream);
  }
  async consumerInfo(stream: string, name: string): Promise<ConsumerInfo> {
    this.#open();
    return this.#consumers.info(stream, name);
  }
  async pull(stream: string, consumer: string, options: PullOptions): Promise<Delivery[]> {
    this.#open();
    const ds = await this.#consumers.pull(stream, consumer, options);
    return options.metadataOnly ? ds.map(leaveOutData) : ds;
  }
  async pullBatch(stream: string, consumer: string, options: PullOptions): Promise<RecordBatch> {
    this.#open();
    const ds = await this.#consumers.pull(stream, consumer, { ...options, metadataOnly: false });
    return packDeliveries(ds, options.metadataOnly === true);
  }
  async nextRedelivery(stream: string, consumer: string): Promise<number | undefined> {
    this.#ctx.reachable();
    return this.#consumers.nextDue(stream, consumer);
  }
  ack(stream: string, consumer: string, partition: number, sequence: number): Promise<boolean> {
    const down = this.#ctx.down;
    return down
      ? Promise.reject(down)
      : this.#consumers.settle(stream, consumer, partition, sequence, '+ACK');
  }
  nak(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    delayMs = 0,
  ): Promise<boolean> {
    const down = this.#ctx.down;
    return down
      ? Promise.reject(down)
      : this.#consumers.settle(stream, consumer, partition, sequence, '-NAK', delayMs);
  }
  async ackRange(
    stream: string,
    consumer: string,
    partition: number,
    from: number,
    to: number,
  ): Promise<number> {
    this.#ctx.reachable();
    return this.#consumers.ackRange(stream, consumer, partition, from, to);
  }
  term(stream: string, consumer: string, partition: number, sequence: number): Promise<boolean> {
    const down = this.#ctx.down;
    return down
      ? Promise.reject(down)
      : this.#consumers.settle(stream, consumer, partition, sequence, '+TERM');
  }
  async resetPending(stream: string, consumer: string): Promise<void> {
    this.#ctx.reachable();
    return this.#consumers.resetPending(stream, consumer);
  }

  /**
   * Hears of appends and deletions: this store's own, and the appends of
   * other processes' `nats` stores on the same servers (nats-notices.ts).
   */
  watch(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    this.#notices.listen((event) => this.#emit(event));
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#notices.stop();
    };
  }

  /** Sends every open delivery back (so the next puller has it at once), then drains the connection. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.flush();
      this.#notices.stop();
      this.#ctx.publisher.close();
      await this.#consumers.close();
      await this.#ctx.nc.drain().catch(() => {});
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
