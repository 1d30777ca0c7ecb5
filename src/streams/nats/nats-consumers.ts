/**
 * The consumers of the `nats` store: one durable pull consumer per
 * partition, pulled with `no_wait` requests (a pull answers with what is
 * there now), settled through the reply subjects of the deliveries. The
 * settlements of one event-loop turn go out together; the last of each
 * consumer asks JetStream to confirm, which confirms the earlier ones too
 * (a consumer handles its acknowledgements in order). While a caller pulls
 * steadily, the next batch of each partition is pulled ahead of it
 * (prefetch.ts).
 *
 * @module
 */
import { createInbox, type Msg, type Subscription } from '@nats-io/transport-node';
import { CallsignError } from '../../errors.ts';
import { sameConfig } from '../config.ts';
import {
  type ConsumerConfig,
  type ConsumerConfigInput,
  consumerConfig,
} from '../consumer-config.ts';
import { MAX_BATCH_BYTES } from '../log-reads.ts';
import type { ConsumerInfo, ConsumerPosition, Delivery, PullOptions } from '../store.ts';
import {
  type KnownStream,
  type NatsContext,
  natsFailure,
  REQUEST_TIMEOUT_MS,
} from './connection.ts';
import { OpenDeliveries, parseAckSubject } from './deliveries.ts';
import { jetStreamConsumer, parseConsumerDescription } from './mapping.ts';
import { type Ahead, prefetchHoldMs } from './prefetch.ts';
import { type PullAnswer, requestPull } from './pull-request.ts';
import { PulledAhead } from './pulled-ahead.ts';
import { delivery, millisOfNanos, storedRecord } from './records.ts';

/** A settlement waiting to go out. */
interface Settlement {
  readonly reply: string;
  readonly body: Uint8Array;
  readonly resolve: (settled: true) => void;
  readonly reject: (error: unknown) => void;
}

const encoder = new TextEncoder();
/** The bodies of most settlements, encoded once. */
const BODIES = new Map(['+ACK', '-NAK', '+TERM'].map((k) => [k, encoder.encode(k)]));
const NAK = BODIES.get('-NAK') as Uint8Array;

/** The consumer (and stream) part of a delivery's reply subject. */
const groupOf = (reply: string) => reply.split('.').slice(0, -5).join('.');

/** The consumer half of the `nats` store. */
export class NatsConsumers {
  readonly #ctx: NatsContext;
  readonly #open = new OpenDeliveries();
  readonly #fetches = new Set<Subscription>();
  readonly #inbox: string;
  readonly #configs = new Map<string, ConsumerConfig>();
  readonly #ahead = new PulledAhead({
    fetch: (jsName, consumer, batch, maxBytes) => this.#fetch(jsName, consumer, batch, maxBytes),
    nak: (reply) => this.#ctx.nc.publish(reply, NAK),
    nakConfirmed: (group, reply) => this.#queue(group, reply, NAK),
  });
  #fetchId = 0;
  #queued = new Map<string, Settlement[]>();
  #flushing = false;
  #turn = 0;

  constructor(ctx: NatsContext) {
    this.#ctx = ctx;
    this.#inbox = createInbox();
  }

  async #require(stream: string, name: string): Promise<{ s: KnownStream; info: ConsumerInfo }> {
    const info = await this.info(stream, name);
    return { s: await this.#ctx.require(stream), info };
  }

  async create(stream: string, input: ConsumerConfigInput): Promise<ConsumerInfo> {
    const s = await this.#ctx.require(stream);
    const config = consumerConfig(input);
    const existing = await this.info(stream, config.name).catch((error: CallsignError) => {
      if (error.code === 'ERR_UNKNOWN_CONSUMER') return undefined;
      throw error;
    });
    if (existing) {
      if (!sameConfig(existing.config, config)) {
        throw new CallsignError(
          'ERR_CONSUMER_EXISTS',
          `consumer ${config.name} of ${stream} exists with another configuration`,
        );
      }
      return existing;
    }
    const created = Date.now();
    try {
      // The first partition last: its description is what makes the consumer exist.
      for (let p = s.config.partitions - 1; p >= 0; p--) {
        const js = jetStreamConsumer(this.#ctx.layout, s.config, config, p, created);
        await this.#ctx.jsm.consumers.add(s.names[p] as string, js as never);
      }
    } catch (error) {
      for (const jsName of s.names)
        await this.#ctx.jsm.consumers.delete(jsName, config.name).catch(() => false);
      throw natsFailure(error, `create consumer ${config.name} of ${stream}`);
    }
    return this.info(stream, config.name);
  }

  async delete(stream: string, name: string): Promise<boolean> {
    const s = await this.#ctx.require(stream);
    for (const open of this.#open.drain(stream, name)) void open;
    this.#configs.delete(`${stream}\u0000${name}`);
    this.#ahead.drop(stream, name);
    let found = false;
    for (const jsName of s.names) {
      try {
        await this.#ctx.jsm.consumers.delete(jsName, name);
        found = true;
      } catch (error) {
        const failure = natsFailure(error, `delete consumer ${name} of ${stream}`);
        if (failure.code !== 'ERR_UNKNOWN_CONSUMER') throw failure;
      }
    }
    return found;
  }

  async list(stream: string): Promise<string[]> {
    const s = await this.#ctx.require(stream);
    const names: string[] = [];
    try {
      for await (const c of this.#ctx.jsm.consumers.list(s.names[0] as string)) {
        if (parseConsumerDescription(c.config.description)) names.push(c.name);
      }
    } catch (error) {
      throw natsFailure(error, `consumers of ${stream}`);
    }
    return names.sort();
  }

  async info(stream: string, name: string): Promise<ConsumerInfo> {
    const s = await this.#ctx.require(stream);
    const positions: ConsumerPosition[] = [];
    let described: ReturnType<typeof parseConsumerDescription>;
    try {
      for (const [p, jsName] of s.names.entries()) {
        // What this store pulled ahead is, to its callers, not delivered yet.
        const slot = await this.#ahead.settled(stream, name, p);
        const first = slot?.buffer.first;
        const ahead = slot?.buffer.count ?? 0;
        const c = await this.#ctx.jsm.consumers.info(jsName, name);
        if (p === 0) described = parseConsumerDescription(c.config.description);
        const firstAhead = first && parseAckSubject(first.reply)?.streamSequence;
        positions.push({
          partition: p,
          ackFloor: c.ack_floor.stream_seq,
          nextSequence: firstAhead ?? c.delivered.stream_seq + 1,
          pending: Math.max(0, c.num_ack_pending - ahead),
          waiting: c.num_pending + ahead,
        });
      }
    } catch (error) {
      throw natsFailure(error, `consumer ${name} of ${stream}`);
    }
    if (!described) {
      throw new CallsignError('ERR_UNKNOWN_CONSUMER', `no consumer ${name} of ${stream}`);
    }
    this.#configs.set(`${stream}\u0000${name}`, described.config);
    return { stream, config: described.config, created: described.created, positions };
  }

  /** One `no_wait` pull of up to `batch` messages from one partition's consumer. */
  #fetch(jsName: string, consumer: string, batch: number, maxBytes?: number): Promise<PullAnswer> {
    const reply = `${this.#inbox}.${++this.#fetchId}`;
    return requestPull(this.#ctx.nc, { jsName, consumer, batch, maxBytes, reply }, this.#fetches);
  }

  async pull(stream: string, consumer: string, options: PullOptions): Promise<Delivery[]> {
    const key = `${stream}\u0000${consumer}`;
    let s: KnownStream;
    if (this.#configs.has(key)) s = await this.#ctx.require(stream);
    else s = (await this.#require(stream, consumer)).s;
    const {
      ackWaitMs: ackWait,
      maxAckPending,
      maxDeliveries,
    } = this.#configs.get(key) ?? (await this.info(stream, consumer)).config;
    const holdMs = prefetchHoldMs(ackWait);
    const all = s.names.map((_, p) => p);
    const parts = options.partitions
      ? options.partitions.map((p) => this.#ctx.partition(s, p))
      : all;
    const out: Delivery[] = [];
    const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
    let bytes = 0;
    const start = this.#turn++;
    for (let i = 0; i < parts.length && out.length < options.max && bytes < maxBytes; i++) {
      const p = parts[(start + i) % parts.length] as number;
      const jsName = s.names[p] as string;
      const place = { stream, partition: p, root: s.roots[p] as string, keyed: s.keyed };
      const slot = this.#ahead.slot(stream, consumer, p);
      const startedAt = Date.now();
      // What this store holds open counts against maxAckPending: hand out no more.
      const room = Math.min(
        options.max - out.length,
        maxAckPending - this.#open.count(stream, consumer, p),
      );
      if (room <= 0) continue;
      const budget = maxBytes - bytes;
      let got: Ahead<Msg>[] = await this.#ahead.take(slot, room, budget, holdMs);
      if (got.length === 0) {
        // JetStream stops at max_bytes; a first message larger than it comes alone.
        const answer = await this.#fetch(jsName, consumer, room, Math.max(budget, 1));
        slot.buffer.more = answer.full;
        let messages = answer.messages;
        if (messages.length === 0 && out.length === 0)
          messages = (await this.#fetch(jsName, consumer, 1)).messages;
        const at = Date.now();
        got = messages.map((msg) => ({ msg, bytes: 0, at }));
      }
      for (const { msg: m, at } of got) {
        const info = parseAckSubject(m.reply);
        if (!info) continue;
        const record = storedRecord(
          place,
          {
            subject: m.subject,
            sequence: info.streamSequence,
            publishTime: millisOfNanos(info.timestampNanos),
            data: m.data,
            headers: m.headers,
          },
          options.metadataOnly,
        );
        // JetStream's ack wait runs from when it sent the message, not from now.
        this.#open.add(stream, consumer, p, info.streamSequence, {
          reply: m.reply as string,
          due: at + ackWait,
        });
        out.push(delivery(record, consumer, info.deliveryCount));
        bytes += record.size;
      }
      this.#ahead.pullAhead(slot, jsName, consumer, {
        limitedDeliveries: maxDeliveries > 0,
        wanted: options.max,
        ackPendingRoom: maxAckPending - this.#open.count(stream, consumer, p) - slot.buffer.count,
        startedAt,
        previousEndAt: slot.buffer.lastEndAt,
        holdMs,
      });
      slot.buffer.lastEndAt = Date.now();
    }
    return out;
  }

  nextDue(stream: string, consumer: string): number | undefined {
    return this.#open.nextDue(stream, consumer);
  }

  /** Acknowledges (`+ACK`), sends again (`-NAK`, after `delayMs`) or gives up (`+TERM`) a delivery. */
  settle(
    stream: string,
    consumer: string,
    partition: number,
    sequence: number,
    kind: '+ACK' | '-NAK' | '+TERM',
    delayMs = 0,
  ): Promise<boolean> {
    let reply: string;
    if (kind === '-NAK') {
      const open = this.#open.take(stream, consumer, partition, sequence);
      if (!open) return Promise.resolve(false);
      reply = open.reply;
      // Kept, with its new due time, until it comes again.
      this.#open.add(stream, consumer, partition, sequence, { reply, due: Date.now() + delayMs });
    } else {
      const open = this.#open.take(stream, consumer, partition, sequence);
      if (!open) return Promise.resolve(false);
      reply = open.reply;
    }
    const body =
      kind === '-NAK' && delayMs > 0
        ? `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`
        : kind;
    return this.#queue(
      `${stream}\u0000${consumer}\u0000${partition}`,
      reply,
      BODIES.get(body) ?? encoder.encode(body),
    );
  }

  #queue(group: string, reply: string, body: Uint8Array): Promise<true> {
    return new Promise<true>((resolve, reject) => {
      let list = this.#queued.get(group);
      if (!list) {
        list = [];
        this.#queued.set(group, list);
      }
      list.push({ reply, body, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => this.#send());
      }
    });
  }

  #send(): void {
    this.#flushing = false;
    const groups = this.#queued;
    this.#queued = new Map();
    for (const list of groups.values()) {
      const last = list[list.length - 1] as Settlement;
      for (let i = 0; i < list.length - 1; i++) {
        const s = list[i] as Settlement;
        this.#ctx.nc.publish(s.reply, s.body);
      }
      this.#ctx.nc.request(last.reply, last.body, { timeout: REQUEST_TIMEOUT_MS }).then(
        () => {
          for (const s of list) s.resolve(true);
        },
        (error) => {
          const failure = natsFailure(error, 'settle a delivery');
          for (const s of list) s.reject(failure);
        },
      );
    }
  }

  /** Acknowledges every open delivery of `partition` from `from` to `to`; resolves to how many. */
  async ackRange(
    stream: string,
    consumer: string,
    partition: number,
    from: number,
    to: number,
  ): Promise<number> {
    this.#ctx.partition(await this.#ctx.require(stream), partition);
    const sequences = this.#open.sequences(stream, consumer, partition, from, to);
    const done = await Promise.all(
      sequences.map((q) => this.settle(stream, consumer, partition, q, '+ACK')),
    );
    return done.filter(Boolean).length;
  }

  /** Sends every open delivery of a consumer again at once (a failover, a restart). */
  async resetPending(stream: string, consumer: string): Promise<void> {
    await this.#ahead.giveBack(stream, consumer);
    await Promise.all(
      this.#open
        .drain(stream, consumer)
        .map((open) => this.#queue(groupOf(open.reply), open.reply, NAK)),
    );
  }

  /** Forgets what was open for a stream that is gone. */
  forgetStream(stream: string): void {
    this.#open.drain(stream);
    this.#ahead.drop(stream);
    for (const key of this.#configs.keys())
      if (key.startsWith(`${stream}\u0000`)) this.#configs.delete(key);
  }

  /** Sends every open delivery back, so that the next puller has them at once. */
  async close(): Promise<void> {
    await this.#ahead.giveBack();
    const open = this.#open.drainAll();
    await Promise.allSettled(open.map((o) => this.#queue(groupOf(o.reply), o.reply, NAK)));
    for (const sub of this.#fetches) sub.unsubscribe();
    this.#fetches.clear();
  }
}
