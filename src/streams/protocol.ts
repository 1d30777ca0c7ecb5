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

/**
 * producer → host: append these messages, in order, packed (append-pack.ts);
 * answered by StreamAppendedPack or StreamRefused. `producer` is stored with each.
 */
export class StreamAppendPack extends defineMessage('callsign.stream.AppendPack', {
  id: t.uint,
  stream: t.string,
  producer: t.optional(t.string),
  count: t.uint,
  appends: t.bytes,
}) {}

/** Why one append of a pack was refused, by its place in the pack. */
export class StreamAppendRefusal extends defineMessage('callsign.stream.AppendRefusal', {
  index: t.uint,
  code: t.string,
  reason: t.string,
}) {}

/** host → producer: where each message of a pack went (append-pack.ts), and which were refused. */
export class StreamAppendedPack extends defineMessage('callsign.stream.AppendedPack', {
  id: t.uint,
  outcomes: t.bytes,
  refusals: t.array(t.message(StreamAppendRefusal)),
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

/**
 * One message delivered to a consumer, with its metadata: what the
 * consumer's owner receives in `select` (the host sends them packed, in a
 * StreamDeliveryPack).
 */
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
  /** The code of why a sealed payload could not be opened (then `data` is empty). */
  sealedError: t.optional(t.string),
}) {}

/** host → consumer: deliveries, in order per partition, packed (record-batch.ts). */
export class StreamDeliveryPack extends defineMessage('callsign.stream.DeliveryPack', {
  stream: t.string,
  consumer: t.string,
  count: t.uint,
  deliveries: t.bytes,
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

/**
 * consumer → host: acknowledge `acks` (ranges, packed: partition, first
 * sequence and count as varuints, repeated) and settle `others` (no answer).
 */
export class ConsumerSettlePack extends defineMessage('callsign.stream.ConsumerSettlePack', {
  stream: t.string,
  consumer: t.string,
  acks: t.bytes,
  others: t.array(t.message(ConsumerSettleItem)),
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

/**
 * anyone → host: stored messages in order, `max` per page, `pages` pages
 * one after the other (default 1, at most 8: a reader keeps the host busy
 * while it reads); with `waitMs`, wait that long for one when there are none.
 */
export class StreamRead extends defineMessage('callsign.stream.Read', {
  id: t.uint,
  stream: t.string,
  partition: t.uint,
  from: t.uint,
  max: t.uint,
  filter: t.optional(t.string),
  metadataOnly: t.bool,
  waitMs: t.uint,
  pages: t.optional(t.uint),
}) {}

/**
 * host → reader: one page of messages read, packed (record-batch.ts; none
 * when the wait ended first); `next` is where to read on, `last` the
 * partition's last sequence; `more` when another page of the read follows.
 */
export class StreamRecordsPack extends defineMessage('callsign.stream.RecordsPack', {
  id: t.uint,
  count: t.uint,
  records: t.bytes,
  next: t.uint,
  last: t.uint,
  more: t.bool,
}) {}
