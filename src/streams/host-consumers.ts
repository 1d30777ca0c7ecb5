/**
 * The consumer side of a stream host: attaching clients to named
 * consumers, pushing deliveries within each client's window, settling
 * acknowledgements, and handing work on when a client goes.
 *
 * @module
 */
import { CallsignError, codeOf, toError } from '../errors.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { forEachAckRange } from './ack-ranges.ts';
import { type Attachment, ConsumerAttachments } from './attachments.ts';
import { CONSUMER_MODES, type ConsumerMode } from './consumer-config.ts';
import { MAX_BATCH_BYTES } from './log-reads.ts';
import {
  ConsumerActive,
  type ConsumerAttach,
  ConsumerAttached,
  type ConsumerSettle,
  ConsumerSettled,
  type ConsumerSettlePack,
  StreamDeliveryPack,
  StreamRefused,
} from './protocol.ts';
import type { RecordBatch, StreamStore } from './store.ts';

/** The most deliveries one client may have in flight per consumer. */
export const MAX_WINDOW = 10_000;

/** What the host knows of one client of its consumers. */
export interface ConsumerClient {
  readonly key: string;
  readonly address: ActorAddress;
  /** `stream\nconsumer` of each consumer it is attached to. */
  readonly consumers: Set<string>;
}

interface Bound {
  readonly stream: string;
  readonly name: string;
  readonly clients: ConsumerAttachments<ConsumerClient>;
  pumping: boolean;
  again: boolean;
  /** The pump at the end of this turn. */
  scheduled: Promise<void> | undefined;
  /** The pump at a microtask (an append was stored). */
  soon: Promise<void> | undefined;
  /** Cancels the wait for the next append (see `StreamStore.pullOnAppend`). */
  waiting: (() => void) | undefined;
  /** The wait was answered in the append's write: its `appended` event needs no pump. */
  fed: boolean;
}

/** The most acknowledgement ranges in one settlement message. */
export const MAX_ACK_RANGES = 10_000;

/** The consumers of one host's store that clients are attached to. */
export class HostConsumers {
  readonly #self: ActorContext;
  readonly #store: StreamStore;
  readonly #bound = new Map<string, Bound>();

  constructor(self: ActorContext, store: StreamStore) {
    this.#self = self;
    this.#store = store;
  }

  /** How many consumers have clients attached. */
  get size(): number {
    return this.#bound.size;
  }

  async attach(m: ConsumerAttach, client: ConsumerClient): Promise<void> {
    const refuse = (code: string, reason: string) =>
      this.#self.send(new StreamRefused({ id: m.id, code, reason }), client.address);
    try {
      const config = { ...m.config } as Record<string, unknown>;
      const name = config.name;
      if (typeof name !== 'string') {
        throw new CallsignError('ERR_INVALID_CONSUMER', 'a consumer to attach to has a name');
      }
      const known = (await this.#store.listConsumers(m.stream)).includes(name);
      const onlyName = Object.keys(config).every((k) => k === 'name' || k === 'mode');
      const info =
        known && onlyName
          ? await this.#store.consumerInfo(m.stream, name)
          : await this.#store.createConsumer(m.stream, config as never);
      if (m.window < 1 || m.window > MAX_WINDOW) {
        throw new CallsignError(
          'ERR_INVALID_CONSUMER',
          `a window is 1 to ${MAX_WINDOW} deliveries`,
        );
      }
      const key = `${m.stream}\n${name}`;
      let bound = this.#bound.get(key);
      if (!bound) {
        const mode: ConsumerMode = CONSUMER_MODES.includes(info.config.mode)
          ? info.config.mode
          : 'exclusive';
        bound = {
          stream: m.stream,
          name,
          clients: new ConsumerAttachments(mode),
          pumping: false,
          again: false,
          scheduled: undefined,
          soon: undefined,
          waiting: undefined,
          fed: false,
        };
        this.#bound.set(key, bound);
      }
      const outcome = bound.clients.attach(client, m.window, m.metadataOnly);
      if (outcome.kind === 'busy') {
        refuse('ERR_CONSUMER_BUSY', `${name} of ${m.stream}: ${outcome.reason}`);
        return;
      }
      client.consumers.add(key);
      const { active } = outcome.attachment;
      this.#self.send(
        new ConsumerAttached({ id: m.id, consumer: name, mode: bound.clients.mode, active }),
        client.address,
      );
      void this.pump(m.stream, name);
    } catch (err) {
      refuse(codeOf(err, 'ERR_INVALID_CONSUMER'), toError(err).message);
    }
  }

  /**
   * Sends what each attached client has room for, once per event-loop turn
   * however many acknowledgements and appends asked for it, and to a client
   * only once a quarter of its window is free (so deliveries go in batches).
   *
   * `appended`: asked for by an append's write (one per transaction, which
   * holds every append of a turn). The pull then runs in this turn, at a
   * microtask, so the delivery leaves in the same frame as the append's
   * answer instead of a turn later; acknowledgements pump at the end of the
   * turn, once for all of them.
   */
  pump(stream: string, name: string, appended = false): Promise<void> {
    const bound = this.#bound.get(`${stream}\n${name}`);
    if (!bound) return Promise.resolve();
    const slot = appended ? 'soon' : 'scheduled';
    let pumped = bound[slot];
    if (!pumped) {
      pumped = new Promise<void>((resolve) => {
        const now = () => {
          bound[slot] = undefined;
          this.#pumpNow(bound).then(resolve, resolve);
        };
        if (appended) queueMicrotask(now);
        else setImmediate(now);
      });
      bound[slot] = pumped;
    }
    return pumped;
  }

  async #pumpNow(bound: Bound): Promise<void> {
    const { stream, name } = bound;
    if (bound.pumping) {
      bound.again = true;
      return;
    }
    bound.pumping = true;
    try {
      let caughtUp: Attachment<ConsumerClient> | undefined;
      do {
        bound.again = false;
        caughtUp = undefined;
        this.#stopWaiting(bound);
        for (const a of bound.clients.ready()) {
          const room = a.window - a.count;
          if (!this.#hasRoom(a)) continue;
          const batch = await this.#store.pullBatch(stream, name, {
            max: room,
            metadataOnly: a.metadataOnly,
          });
          if (batch.count === 0) {
            caughtUp = a;
            break;
          }
          if (!this.#deliver(bound, a, batch)) {
            // It went while we pulled: these go out again at once.
            await this.#giveBack(bound, batch);
            bound.again = true;
            continue;
          }
          // Full (by count or by bytes): there may be more.
          if (batch.count === room || batch.bytes.byteLength >= MAX_BATCH_BYTES) bound.again = true;
          else caughtUp = a;
        }
      } while (bound.again);
      // Caught up: the next append's write decides what this client gets.
      if (caughtUp) this.#waitForAppend(bound, caughtUp);
    } catch (err) {
      this.#self.warning(`stream ${stream} consumer ${name}: ${toError(err).message}`);
    } finally {
      bound.pumping = false;
    }
  }

  /** A client is sent deliveries once a quarter of its window is free (so they go in batches). */
  #hasRoom(a: Attachment<ConsumerClient>): boolean {
    const room = a.window - a.count;
    return room > 0 && (a.count === 0 || room >= Math.ceil(a.window / 4));
  }

  /** Sends `batch` to `a`, unless it is no longer attached (then false). */
  #deliver(bound: Bound, a: Attachment<ConsumerClient>, batch: RecordBatch): boolean {
    if (this.#bound.get(`${bound.stream}\n${bound.name}`) !== bound) return false;
    if (!bound.clients.attachments.includes(a)) return false;
    const at = batch.positions;
    for (let i = 0; i + 1 < at.length; i += 2) {
      bound.clients.sent(a, at[i] as number, at[i + 1] as number);
    }
    this.#self.send(
      new StreamDeliveryPack({
        stream: bound.stream,
        consumer: bound.name,
        count: batch.count,
        deliveries: batch.bytes,
      }),
      a.client.address,
    );
    return true;
  }

  /** What was pulled for a client that went: it goes out again at once. */
  async #giveBack(bound: Bound, batch: RecordBatch): Promise<void> {
    const at = batch.positions;
    for (let i = 0; i + 1 < at.length; i += 2) {
      await this.#store.nak(bound.stream, bound.name, at[i] as number, at[i + 1] as number, 0);
    }
  }

  /**
   * Has the store pull for `a` in the write of the next append, so that
   * its delivery is stored with the message (one write, not two) and sent
   * once that write is durable. Stores that cannot do that are pumped after
   * the append as before.
   */
  #waitForAppend(bound: Bound, a: Attachment<ConsumerClient>): void {
    this.#stopWaiting(bound);
    if (!this.#store.pullOnAppend || !this.#hasRoom(a)) return;
    const { stream, name } = bound;
    const max = a.window - a.count;
    const cancel = this.#store.pullOnAppend(
      stream,
      name,
      { max, metadataOnly: a.metadataOnly },
      (batch) => {
        if (bound.waiting === cancel) bound.waiting = undefined;
        if (this.#deliver(bound, a, batch)) {
          bound.fed = true;
          // Full: there may be more; else it waits for the next append again.
          if (batch.count === max || batch.bytes.byteLength >= MAX_BATCH_BYTES) {
            void this.pump(stream, name, true);
          } else this.#waitForAppend(bound, a);
          return;
        }
        this.#giveBack(bound, batch).then(
          () => this.pump(stream, name),
          (err: unknown) =>
            this.#self.warning(`stream ${stream} consumer ${name}: ${toError(err).message}`),
        );
      },
    );
    bound.waiting = cancel;
  }

  #stopWaiting(bound: Bound): void {
    bound.waiting?.();
    bound.waiting = undefined;
  }

  /** Pumps every consumer of `stream` (something was appended). */
  pumpStream(stream: string): void {
    for (const b of this.#bound.values()) {
      if (b.stream !== stream) continue;
      if (b.fed) b.fed = false;
      else void this.pump(b.stream, b.name, true);
    }
  }

  /** Pumps every bound consumer (a tick: deliveries due again). */
  pumpAll(): void {
    for (const b of this.#bound.values()) void this.pump(b.stream, b.name);
  }

  async settle(m: ConsumerSettle, client: ConsumerClient, pump = true): Promise<void> {
    const key = `${m.stream}\n${m.consumer}`;
    const bound = client.consumers.has(key) ? this.#bound.get(key) : undefined;
    const answer = (settled: boolean) => {
      if (m.confirm !== undefined) {
        this.#self.send(new ConsumerSettled({ id: m.confirm, settled }), client.address);
      }
    };
    if (!bound) {
      if (m.confirm !== undefined) {
        this.#self.send(
          new StreamRefused({
            id: m.confirm,
            code: 'ERR_UNKNOWN_CONSUMER',
            reason: `not attached to ${m.consumer}`,
          }),
          client.address,
        );
      }
      return;
    }
    bound.clients.settled(m.partition, m.sequence);
    try {
      const { stream, name } = bound;
      const settled =
        m.kind === 'ack'
          ? await this.#store.ack(stream, name, m.partition, m.sequence)
          : m.kind === 'term'
            ? await this.#store.term(stream, name, m.partition, m.sequence)
            : await this.#store.nak(stream, name, m.partition, m.sequence, m.delayMs ?? 0);
      answer(settled);
    } catch (err) {
      if (m.confirm !== undefined) {
        this.#self.send(
          new StreamRefused({
            id: m.confirm,
            code: codeOf(err, 'ERR_INVALID_CONSUMER'),
            reason: toError(err).message,
          }),
          client.address,
        );
      }
    }
    if (pump) void this.pump(bound.stream, bound.name);
  }

  /** Acknowledgements as ranges and other settlements, from one client (no answer). */
  async settlePack(m: ConsumerSettlePack, client: ConsumerClient): Promise<void> {
    const key = `${m.stream}\n${m.consumer}`;
    const bound = client.consumers.has(key) ? this.#bound.get(key) : undefined;
    if (!bound) return;
    const { stream, name } = bound;
    const acks: Promise<number>[] = [];
    try {
      forEachAckRange(
        m.acks,
        (partition, from, to) => {
          bound.clients.settledRange(partition, from, to);
          acks.push(this.#store.ackRange(stream, name, partition, from, to));
        },
        MAX_ACK_RANGES,
      );
    } catch (err) {
      this.#self.warning(`stream ${stream} consumer ${name}: ${toError(err).message}`);
    }
    const others = m.others
      .slice(0, MAX_ACK_RANGES)
      .map((item) =>
        this.settle(
          { stream, consumer: name, ...item } as unknown as ConsumerSettle,
          client,
          false,
        ),
      );
    await Promise.allSettled([...acks, ...others]);
    void this.pump(stream, name);
  }

  /** Detaches a client from one consumer, or from all of them. */
  async detach(client: ConsumerClient, only?: { stream: string; consumer: string }): Promise<void> {
    for (const key of [...client.consumers]) {
      if (only !== undefined && key !== `${only.stream}\n${only.consumer}`) continue;
      client.consumers.delete(key);
      const bound = this.#bound.get(key);
      if (!bound) continue;
      const { promoted, orphaned } = bound.clients.detach(client);
      if (promoted) {
        this.#self.send(
          new ConsumerActive({ stream: bound.stream, consumer: bound.name, active: true }),
          promoted.client.address,
        );
      }
      for (let i = 0; i + 1 < orphaned.length; i += 2) {
        const [p, s] = [orphaned[i] as number, orphaned[i + 1] as number];
        await this.#store.nak(bound.stream, bound.name, p, s, 0).catch(() => false);
      }
      if (bound.clients.size === 0) {
        this.#stopWaiting(bound);
        this.#bound.delete(key);
      } else void this.pump(bound.stream, bound.name);
    }
  }

  /** Forgets every consumer of a deleted stream (their clients get Dropped with the listing). */
  forgetStream(stream: string): void {
    for (const [key, b] of this.#bound) {
      if (b.stream !== stream) continue;
      this.#stopWaiting(b);
      this.#bound.delete(key);
    }
  }

  /** What is attached, for reports. */
  report(): {
    stream: string;
    consumer: string;
    mode: string;
    clients: number;
    inFlight: number;
  }[] {
    return [...this.#bound.values()].map((b) => ({
      stream: b.stream,
      consumer: b.name,
      mode: b.clients.mode,
      clients: b.clients.size,
      inFlight: b.clients.attachments.reduce((n, a: Attachment<ConsumerClient>) => n + a.count, 0),
    }));
  }
}
