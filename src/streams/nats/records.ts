/**
 * A callsign record on JetStream: the data as the message's payload, the
 * subject and key in the NATS subject, the rest in headers (only those it
 * has, so a plain append carries none). Pure.
 *
 * @module
 */
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { Delivery, RecordInput, StoredRecord } from '../store.ts';
import { fromNatsSubject } from './mapping.ts';

const KEY = 'Cs-Key';
const PROPERTIES = 'Cs-Properties';
const EVENT_TIME = 'Cs-Event-Time';
const PRODUCER = 'Cs-Producer';
const TYPE = 'Cs-Type';
const MESSAGE_ID = 'Nats-Msg-Id';

/** The headers of a record, or undefined when it needs none (a keyed stream has keys in subjects). */
export function recordHeaders(record: RecordInput, keyed: boolean): MsgHdrs | undefined {
  const { properties, eventTime, producer, type } = record;
  const key = keyed ? undefined : record.key;
  if (
    key === undefined &&
    properties === undefined &&
    eventTime === undefined &&
    !producer &&
    !type
  )
    return undefined;
  const h = natsHeaders();
  if (key !== undefined) h.set(KEY, key);
  if (properties !== undefined) h.set(PROPERTIES, JSON.stringify(properties));
  if (eventTime !== undefined) h.set(EVENT_TIME, String(eventTime));
  if (producer) h.set(PRODUCER, producer);
  if (type) h.set(TYPE, type);
  return h;
}

/** Where a stored message is and what it was stored as. */
export interface NatsPlace {
  readonly stream: string;
  readonly partition: number;
  readonly root: string;
  readonly keyed: boolean;
}

/** What a JetStream message says of itself. */
export interface NatsStored {
  readonly subject: string;
  readonly sequence: number;
  readonly publishTime: number;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
}

/** The callsign record of a stored JetStream message. */
export function storedRecord(place: NatsPlace, m: NatsStored, metadataOnly = false): StoredRecord {
  const { subject, key } = fromNatsSubject(place.root, m.subject, place.keyed);
  const h = m.headers;
  const record: {
    -readonly [K in keyof StoredRecord]: StoredRecord[K];
  } = {
    stream: place.stream,
    partition: place.partition,
    sequence: m.sequence,
    publishTime: m.publishTime,
    subject,
    // A view as a Buffer, as the other drivers and the packed form give data.
    data: metadataOnly
      ? Buffer.alloc(0)
      : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    size: m.data.byteLength,
  };
  if (key !== undefined) record.key = key;
  if (h) {
    if (h.has(KEY)) record.key = h.get(KEY);
    const props = h.get(PROPERTIES);
    if (props) {
      try {
        record.properties = JSON.parse(props) as Record<string, string>;
      } catch {}
    }
    const eventTime = h.get(EVENT_TIME);
    if (eventTime) record.eventTime = Number(eventTime);
    const producer = h.get(PRODUCER);
    if (producer) record.producer = producer;
    const type = h.get(TYPE);
    if (type) record.type = type;
    const id = h.get(MESSAGE_ID);
    if (id) record.messageId = id;
  }
  return record;
}

/** The same record or delivery without its data (`size` still says how much there is). */
export function leaveOutData<T extends StoredRecord>(r: T): T {
  return { ...r, data: Buffer.alloc(0) };
}

/** A delivery of a stored record to a consumer. */
export function delivery(record: StoredRecord, consumer: string, deliveryCount: number): Delivery {
  return { ...record, consumer, deliveryCount };
}

/** Milliseconds since the epoch of a JetStream timestamp in nanoseconds (text). */
export function millisOfNanos(nanos: string): number {
  return nanos.length > 6 ? Number(nanos.slice(0, -6)) : 0;
}
