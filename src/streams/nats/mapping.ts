/**
 * How a callsign stream lives on JetStream: names, subjects, the stream and
 * consumer configurations, and what nats-server 2.9 cannot do of the
 * contract. Pure: the `nats` driver asks, this module answers.
 *
 * A stream `orders` of N partitions is N JetStream streams
 * `<prefix>_orders_p<i>`, partition `i` bound to the stream's subject
 * patterns under `<prefix>.orders.<i>.`. A stream with keyed limits
 * (`compact`, `maxPerKey`) adds the key as a last subject token, so that
 * JetStream's per-subject limit keeps the last messages per key; a message
 * without a key gets a token of its own (it is always kept).
 *
 * @module
 */
import type { CallsignError } from '../../errors.ts';
import { type StreamConfig, streamConfig } from '../config.ts';
import { type ConsumerConfig, consumerConfig, type StartPosition } from '../consumer-config.ts';

/** Where a driver's streams are on the servers. */
export interface NatsLayout {
  /** The first token of every subject and the start of every JetStream stream name. */
  readonly prefix: string;
  /** JetStream storage for new streams. */
  readonly storage: 'file' | 'memory';
  /** Servers that keep each partition (1, 3 or 5: JetStream's R1, R3, R5). */
  readonly replicas: number;
}

/** The JetStream stream that holds one partition. */
export function partitionStreamName(layout: NatsLayout, stream: string, partition: number): string {
  return `${layout.prefix}_${stream}_p${partition}`;
}

/** The subject prefix of one partition (without the trailing dot). */
export function partitionRoot(layout: NatsLayout, stream: string, partition: number): string {
  return `${layout.prefix}.${stream}.${partition}`;
}

/** True when the stream keeps a limit per key, so keys travel in the subject. */
export function isKeyed(config: StreamConfig): boolean {
  return config.compact || config.maxPerKey > 0;
}

/** The subject token of a key (`k` + base64url of its UTF-8), or of a message without one. */
export function keyToken(key: string | undefined, unique: () => string): string {
  return key === undefined ? `n${unique()}` : `k${Buffer.from(key, 'utf8').toString('base64url')}`;
}

/** The NATS subject an append is published to. */
export function natsSubject(
  root: string,
  subject: string,
  keyed: boolean,
  key: string | undefined,
  unique: () => string,
): string {
  return keyed ? `${root}.${subject}.${keyToken(key, unique)}` : `${root}.${subject}`;
}

/** A callsign subject pattern under a partition's root. */
export function natsPattern(root: string, pattern: string, keyed: boolean): string {
  return keyed && !pattern.endsWith('>') ? `${root}.${pattern}.*` : `${root}.${pattern}`;
}

/** The callsign subject and key of a stored NATS subject. */
export function fromNatsSubject(
  root: string,
  subject: string,
  keyed: boolean,
): { subject: string; key?: string } {
  const rest = subject.startsWith(`${root}.`) ? subject.slice(root.length + 1) : subject;
  if (!keyed) return { subject: rest };
  const dot = rest.lastIndexOf('.');
  const token = rest.slice(dot + 1);
  const plain = rest.slice(0, Math.max(dot, 0));
  return token.startsWith('k')
    ? { subject: plain, key: Buffer.from(token.slice(1), 'base64url').toString('utf8') }
    : { subject: plain };
}

/** Why a configuration cannot live on nats-server 2.9, or undefined when it can. */
export function unsupportedStream(config: StreamConfig): string | undefined {
  if (config.durability === 'flush') {
    return 'durability flush: nats-server 2.9 syncs its files on its own schedule (every 2 minutes), not per message; replicas (R3) are its way to survive a machine';
  }
  if (isKeyed(config) && config.maxPerSubject > 0) {
    return 'maxPerSubject together with keyed limits (compact, maxPerKey): both are JetStream per-subject limits';
  }
  if (config.maxPerSubject > 0 && config.discard === 'new') {
    return "maxPerSubject with discard 'new': nats-server 2.9 always discards the oldest of a subject (discard_new_per_subject came in 2.10)";
  }
  return undefined;
}

/** What the driver keeps in a JetStream stream's description. */
export interface StreamDescription {
  readonly callsign: 1;
  readonly config: StreamConfig;
  readonly created: number;
  readonly partition: number;
}

/**
 * A description the driver wrote, parsed and checked (anyone with access to
 * the servers may write one): undefined for anything else.
 */
function parseDescription<T extends { readonly config: unknown }>(
  text: string | undefined,
  check: (config: Record<string, unknown>) => T['config'],
): T | undefined {
  if (!text) return undefined;
  try {
    const d = JSON.parse(text) as Record<string, unknown>;
    if (d?.callsign !== 1 || !Number.isSafeInteger(d.created)) return undefined;
    return { ...d, config: check(d.config as Record<string, unknown>) } as unknown as T;
  } catch {
    return undefined;
  }
}

/** The description of a JetStream partition stream, parsed; undefined when callsign did not write it. */
export function parseStreamDescription(text: string | undefined): StreamDescription | undefined {
  const d = parseDescription<StreamDescription>(text, streamConfig);
  return d && Number.isSafeInteger(d.partition) ? d : undefined;
}

const nanos = (ms: number) => ms * 1_000_000;
const limit = (n: number) => (n > 0 ? n : -1);

/** The JetStream configuration of one partition (the fields nats-server 2.9 knows). */
export function jetStreamConfig(
  layout: NatsLayout,
  config: StreamConfig,
  partition: number,
  created: number,
): Record<string, unknown> {
  const root = partitionRoot(layout, config.name, partition);
  const keyed = isKeyed(config);
  const description: StreamDescription = { callsign: 1, config, created, partition };
  // JetStream wants the duplicate window inside max_age.
  const window =
    config.maxAgeMs > 0
      ? Math.min(config.duplicateWindowMs, config.maxAgeMs)
      : config.duplicateWindowMs;
  return {
    name: partitionStreamName(layout, config.name, partition),
    description: JSON.stringify(description),
    // The driver checks an append's subject against the stream's patterns (which JetStream
    // would refuse when they overlap): the partition takes all under its root.
    subjects: [`${root}.>`],
    retention: config.retention,
    discard: config.discard,
    max_msgs: limit(config.maxMessages),
    max_bytes: limit(config.maxBytes),
    max_age: nanos(config.maxAgeMs),
    max_msgs_per_subject: keyed ? config.maxPerKey || 1 : limit(config.maxPerSubject),
    // Sizes are checked by the driver on data alone; headers and subject may add to it.
    max_msg_size: -1,
    duplicate_window: nanos(window),
    storage: layout.storage,
    num_replicas: layout.replicas,
  };
}

/** What the driver keeps in a JetStream consumer's description. */
export interface ConsumerDescription {
  readonly callsign: 1;
  readonly config: ConsumerConfig;
  readonly created: number;
}

/** The description of a JetStream consumer, parsed; undefined when callsign did not write it. */
export function parseConsumerDescription(
  text: string | undefined,
): ConsumerDescription | undefined {
  return parseDescription<ConsumerDescription>(text, consumerConfig);
}

function deliverPolicy(start: StartPosition, now: number): Record<string, unknown> {
  switch (start.kind) {
    case 'new':
      return { deliver_policy: 'new' };
    case 'earliest':
      return { deliver_policy: 'all' };
    case 'latest':
      return { deliver_policy: 'last' };
    case 'last-per-subject':
      return { deliver_policy: 'last_per_subject' };
    case 'sequence':
      return { deliver_policy: 'by_start_sequence', opt_start_seq: start.sequence };
    case 'time':
      return {
        deliver_policy: 'by_start_time',
        opt_start_time: new Date(start.time).toISOString(),
      };
    case 'delta':
      return {
        deliver_policy: 'by_start_time',
        opt_start_time: new Date(now - start.ms).toISOString(),
      };
  }
}

/** The durable pull consumer of one partition. */
export function jetStreamConsumer(
  layout: NatsLayout,
  stream: StreamConfig,
  config: ConsumerConfig,
  partition: number,
  created: number,
): Record<string, unknown> {
  const root = partitionRoot(layout, stream.name, partition);
  const description: ConsumerDescription = { callsign: 1, config, created };
  // JetStream 2.9 wants a filter for last-per-subject starts.
  const all = config.filter === '>' && config.start.kind !== 'last-per-subject';
  return {
    durable_name: config.name,
    description: JSON.stringify(description),
    ack_policy: 'explicit',
    ack_wait: nanos(config.ackWaitMs),
    max_deliver: config.maxDeliveries > 0 ? config.maxDeliveries : -1,
    max_ack_pending: config.maxAckPending,
    replay_policy: 'instant',
    ...(all ? {} : { filter_subject: natsPattern(root, config.filter, isKeyed(stream)) }),
    ...deliverPolicy(config.start, created),
    num_replicas: 0,
  };
}

/** The callsign code of an error of the JetStream API (its `err_code`, else its text). */
export function codeOfJetStreamError(
  errCode: number | undefined,
  description: string,
): CallsignError['code'] {
  const text = description.toLowerCase();
  if (errCode === 10071 || text.includes('wrong last sequence')) return 'ERR_WRONG_LAST_SEQUENCE';
  if (text.includes('maximum messages') || text.includes('maximum bytes')) return 'ERR_STREAM_FULL';
  if (text.includes('message size exceeds')) return 'ERR_MESSAGE_TOO_LARGE';
  if (errCode === 10059 || text.includes('stream not found')) return 'ERR_UNKNOWN_STREAM';
  if (errCode === 10014 || text.includes('consumer not found')) return 'ERR_UNKNOWN_CONSUMER';
  if (errCode === 10100 || text.includes('not unique on workqueue')) return 'ERR_INVALID_CONSUMER';
  if (text.includes('filter subject')) return 'ERR_INVALID_CONSUMER';
  if (errCode === 10037 || text.includes('no message found')) return 'ERR_NO_SUCH_RECORD';
  return 'ERR_STORAGE_FAILED';
}
