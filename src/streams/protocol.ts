/**
 * What producers, consumers and the command line say to a stream host over
 * their session (found by the stream's name), and what it answers. Requests
 * carry an `id` the answer repeats; a refusal is {@link StreamRefused} with
 * a code. The codec checks the shapes; the host checks the rest.
 *
 * @module
 */
import { defineMessage, t } from '../messages/index.ts';

const record = {
  data: t.bytes,
  subject: t.optional(t.string),
  key: t.optional(t.string),
  properties: t.optional(t.record(t.string)),
  eventTime: t.optional(t.float),
  producer: t.optional(t.string),
  type: t.optional(t.string),
};

// ---------------------------------------------------------------------------
// Producing

/** producer → host: append one message (answered by StreamAppended or StreamRefused). */
export class StreamAppend extends defineMessage('callsign.stream.Append', {
  id: t.uint,
  stream: t.string,
  ...record,
  messageId: t.optional(t.string),
  expectedLastSequence: t.optional(t.uint),
  partition: t.optional(t.uint),
}) {}

/** One message of a {@link StreamAppendBatch}. */
export class StreamAppendItem extends defineMessage('callsign.stream.AppendItem', {
  ...record,
  messageId: t.optional(t.string),
  expectedLastSequence: t.optional(t.uint),
  partition: t.optional(t.uint),
}) {}

/** producer → host: append these messages, in order (answered by StreamAppendedBatch or StreamRefused). */
export class StreamAppendBatch extends defineMessage('callsign.stream.AppendBatch', {
  id: t.uint,
  stream: t.string,
  items: t.array(t.message(StreamAppendItem)),
}) {}

/** Where one message of a batch went, or (`code`) why it was refused. */
export class StreamAppendOutcome extends defineMessage('callsign.stream.AppendOutcome', {
  partition: t.uint,
  sequence: t.uint,
  publishTime: t.float,
  duplicate: t.bool,
  code: t.optional(t.string),
  reason: t.optional(t.string),
}) {}

/** host → producer: the outcome of each message of a batch, in its order. */
export class StreamAppendedBatch extends defineMessage('callsign.stream.AppendedBatch', {
  id: t.uint,
  outcomes: t.array(t.message(StreamAppendOutcome)),
}) {}

/** host → producer: where the message went. */
export class StreamAppended extends defineMessage('callsign.stream.Appended', {
  id: t.uint,
  partition: t.uint,
  sequence: t.uint,
  publishTime: t.float,
  duplicate: t.bool,
}) {}

/** host → anyone: a request was refused; nothing of it was stored. */
export class StreamRefused extends defineMessage('callsign.stream.Refused', {
  id: t.uint,
  code: t.string,
  reason: t.string,
}) {}

/** producer → host: answer once every earlier append of this session is stored (synced when `sync`). */
export class StreamFlush extends defineMessage('callsign.stream.Flush', {
  id: t.uint,
  sync: t.bool,
}) {}

/** host → producer: every earlier append is stored. */
export class StreamFlushed extends defineMessage('callsign.stream.Flushed', { id: t.uint }) {}

// ---------------------------------------------------------------------------
// Consuming

/** consumer → host: attach to a named consumer (made when missing), with a window of deliveries in flight. */
export class ConsumerAttach extends defineMessage('callsign.stream.ConsumerAttach', {
  id: t.uint,
  stream: t.string,
  /** The consumer's configuration (name, start, filter, ackWait, maxDeliveries, maxAckPending, mode). */
  config: t.record(t.any),
  /** Deliveries without data: fetch it with ConsumerFetch. */
  metadataOnly: t.bool,
  /** Most deliveries to this consumer not yet acknowledged. */
  window: t.uint,
}) {}

/** host → consumer: attached; `active` false for a failover standby (ConsumerActive comes when it takes over). */
export class ConsumerAttached extends defineMessage('callsign.stream.ConsumerAttached', {
  id: t.uint,
  consumer: t.string,
  mode: t.string,
  active: t.bool,
}) {}

/** host → consumer: a failover standby is now the active one (or no longer). */
export class ConsumerActive extends defineMessage('callsign.stream.ConsumerActive', {
  stream: t.string,
  consumer: t.string,
  active: t.bool,
}) {}

/** host → consumer: one message, with its metadata. */
export class StreamDelivery extends defineMessage('callsign.stream.Delivery', {
  stream: t.string,
  consumer: t.string,
  partition: t.uint,
  sequence: t.uint,
  publishTime: t.float,
  deliveryCount: t.uint,
  size: t.uint,
  ...record,
  subject: t.string,
  messageId: t.optional(t.string),
}) {}

/** host → consumer: deliveries, in order per partition. */
export class StreamDeliveries extends defineMessage('callsign.stream.Deliveries', {
  deliveries: t.array(t.message(StreamDelivery)),
}) {}

/** The ways a consumer settles a delivery. */
export const SETTLEMENTS = ['ack', 'nak', 'term'] as const;

/** consumer → host: ack, nak (with a delay) or term a delivery; with `confirm`, answered by ConsumerSettled. */
export class ConsumerSettle extends defineMessage('callsign.stream.ConsumerSettle', {
  stream: t.string,
  consumer: t.string,
  partition: t.uint,
  sequence: t.uint,
  kind: t.enumOf(SETTLEMENTS),
  delayMs: t.optional(t.uint),
  confirm: t.optional(t.uint),
}) {}

/** One settlement of a {@link ConsumerSettleBatch}. */
export class ConsumerSettleItem extends defineMessage('callsign.stream.ConsumerSettleItem', {
  partition: t.uint,
  sequence: t.uint,
  kind: t.enumOf(SETTLEMENTS),
  delayMs: t.optional(t.uint),
}) {}

/** consumer → host: settle these deliveries (no answer). */
export class ConsumerSettleBatch extends defineMessage('callsign.stream.ConsumerSettleBatch', {
  stream: t.string,
  consumer: t.string,
  items: t.array(t.message(ConsumerSettleItem)),
}) {}

/** host → consumer: the settlement is stored (`settled` false when it was not pending). */
export class ConsumerSettled extends defineMessage('callsign.stream.ConsumerSettled', {
  id: t.uint,
  settled: t.bool,
}) {}

/** consumer → host: the data of a stored message, or a byte range of it. */
export class StreamFetch extends defineMessage('callsign.stream.Fetch', {
  id: t.uint,
  stream: t.string,
  partition: t.uint,
  sequence: t.uint,
  offset: t.optional(t.uint),
  length: t.optional(t.uint),
}) {}

/** host → consumer: the data asked for. */
export class StreamData extends defineMessage('callsign.stream.Data', {
  id: t.uint,
  size: t.uint,
  data: t.bytes,
}) {}

/** consumer → host: leave a consumer (its pending deliveries go to the others, or wait). */
export class ConsumerDetach extends defineMessage('callsign.stream.ConsumerDetach', {
  stream: t.string,
  consumer: t.string,
}) {}

// ---------------------------------------------------------------------------
// Looking and managing (the command line)

/** What {@link StreamManage} asks for. */
export const STREAM_ACTIONS = [
  'create',
  'update',
  'list',
  'info',
  'purge',
  'delete',
  'consumers',
  'consumer-info',
  'consumer-delete',
] as const;

/** anyone → host: manage streams; `args` depend on the action (see docs/streams.md). */
export class StreamManage extends defineMessage('callsign.stream.Manage', {
  id: t.uint,
  action: t.enumOf(STREAM_ACTIONS),
  stream: t.optional(t.string),
  args: t.record(t.any),
}) {}

/** host → asker: the answer (a plain JSON-like value). */
export class StreamAnswer extends defineMessage('callsign.stream.Answer', {
  id: t.uint,
  value: t.any,
}) {}

/** anyone → host: stored messages in order; with `waitMs`, wait that long for one when there are none. */
export class StreamRead extends defineMessage('callsign.stream.Read', {
  id: t.uint,
  stream: t.string,
  partition: t.uint,
  from: t.uint,
  max: t.uint,
  filter: t.optional(t.string),
  metadataOnly: t.bool,
  waitMs: t.uint,
}) {}

/** host → reader: messages read (none when the wait ended first); `next` is where to read on. */
export class StreamRecords extends defineMessage('callsign.stream.Records', {
  id: t.uint,
  records: t.array(t.message(StreamDelivery)),
  next: t.uint,
  last: t.uint,
}) {}
