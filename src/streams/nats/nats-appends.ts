/**
 * The `nats` driver's appends: an append checked (subject bound, size,
 * partition chosen) and published to its partition's JetStream stream,
 * with its message id and expected last sequence as JetStream headers;
 * batches published in order and answered together.
 *
 * @module
 */
import { headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { subjectTokens } from '../../directory/subject-pattern.ts';
import { CallsignError } from '../../errors.ts';
import { choosePartition } from '../partitions.ts';
import type {
  AppendItem,
  AppendOptions,
  AppendOutcome,
  AppendResult,
  RecordInput,
  StoreEvent,
} from '../store.ts';
import { type KnownStream, type NatsContext, natsFailure } from './connection.ts';
import { natsSubject } from './mapping.ts';
import { recordHeaders } from './records.ts';

const unique = () => nuid.next();

/** Appends of one store; `emit` hears each one stored. */
export class NatsAppends {
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: NatsContext,
    private readonly emit: (event: StoreEvent) => void,
  ) {}

  append(stream: string, record: RecordInput, options: AppendOptions = {}): Promise<AppendResult> {
    const p = this.#append(stream, record, options);
    this.#inFlight.add(p);
    const done = () => this.#inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  async appendBatch(stream: string, items: readonly AppendItem[]): Promise<AppendOutcome[]> {
    await this.ctx.require(stream);
    // Published in order, answered together; each refused on its own.
    return Promise.all(
      items.map((item) =>
        this.append(stream, item.record, item.options).catch((error: unknown) =>
          natsFailure(error, `append to ${stream}`),
        ),
      ),
    );
  }

  async #append(
    stream: string,
    record: RecordInput,
    options: AppendOptions,
  ): Promise<AppendResult> {
    const found = this.ctx.find(stream);
    const s = found instanceof Promise ? await found : found;
    if (!s) throw new CallsignError('ERR_UNKNOWN_STREAM', `no stream ${stream}`);
    const { subject, partition } = this.#place(s, record, options);
    let h = recordHeaders(record, s.keyed);
    if (options.messageId !== undefined || options.expectedLastSequence !== undefined) {
      h ??= natsHeaders();
      if (options.messageId !== undefined) h.set('Nats-Msg-Id', options.messageId);
      if (options.expectedLastSequence !== undefined)
        h.set('Nats-Expected-Last-Sequence', String(options.expectedLastSequence));
    }
    const root = s.roots[partition] as string;
    try {
      const ack = await this.ctx.publisher.publish(
        natsSubject(root, subject, s.keyed, record.key, unique),
        record.data,
        h,
      );
      if (ack.duplicate) {
        // The first one's place and time.
        const first = await this.ctx.jsm.streams.getMessage(s.names[partition] as string, {
          seq: ack.seq,
        });
        const publishTime = first?.time.getTime() ?? Date.now();
        return { stream, partition, sequence: ack.seq, publishTime, duplicate: true };
      }
      this.emit({ kind: 'appended', stream, partition, sequence: ack.seq });
      return { stream, partition, sequence: ack.seq, publishTime: Date.now(), duplicate: false };
    } catch (error) {
      const failure = natsFailure(error, `append to ${stream}`);
      if (failure.code !== 'ERR_UNKNOWN_STREAM') throw failure;
      // No answer: the stream is gone, or JetStream is not answering now (a server restarting).
      this.ctx.forget(stream);
      const still = await Promise.resolve(this.ctx.find(stream)).catch(
        () => 'unreachable' as const,
      );
      if (still === undefined) throw failure;
      throw new CallsignError(
        'ERR_STORAGE_FAILED',
        `append to ${stream}: JetStream did not answer (is a server restarting?); it was not acknowledged`,
        { cause: error },
      );
    }
  }

  /** Checks an append and chooses its subject and partition. */
  #place(
    s: KnownStream,
    record: RecordInput,
    options: AppendOptions,
  ): { subject: string; partition: number } {
    if (!(record?.data instanceof Uint8Array)) {
      throw new CallsignError('ERR_INVALID_MESSAGE', 'an appended message has data as bytes');
    }
    const config = s.config;
    const subject = record.subject ?? config.name;
    subjectTokens(subject);
    if (!s.bindings.some((matches) => matches(subject))) {
      throw new CallsignError(
        'ERR_SUBJECT_NOT_BOUND',
        `subject ${subject} is not one of stream ${config.name}'s: ${config.subjects.join(' ')}`,
      );
    }
    const size = record.data.byteLength;
    const most =
      config.maxBytes > 0
        ? Math.min(config.maxBytes, config.maxMessageSize)
        : config.maxMessageSize;
    if (size > most) {
      throw new CallsignError(
        'ERR_MESSAGE_TOO_LARGE',
        `a message of ${size} bytes is above stream ${config.name}'s limit of ${most}`,
      );
    }
    const partition = choosePartition(config.partitions, options.partition, record.key, s.turn);
    if (options.partition === undefined && record.key === undefined) s.turn++;
    return { subject, partition };
  }

  /** Resolves once every append in flight is answered. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }
}
