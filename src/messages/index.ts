/**
 * The message layer: field types and schemas, the message registry, the
 * binary codec and the standard messages.
 *
 * @module
 */
export { type Address, type AddressCodec, isAddress } from './address.ts';
export { Reader, Writer } from './binary.ts';
export {
  type CodecContext,
  decodeMessage,
  encodeMessage,
  readMessage,
  writeMessage,
} from './codec.ts';
export {
  type DefinedMessageClass,
  defineMessage,
  isMessage,
  lookupMessage,
  Message,
  type MessageClass,
  type MessageFields,
  type MessageOf,
  messageClassOf,
  typeNameOf,
} from './registry.ts';
export {
  type FieldKind,
  type FieldType,
  type Infer,
  isFieldType,
  type OptionalFieldType,
  type RequiredKeys,
  type Schema,
  t,
  type ValueOf,
} from './schema.ts';
export {
  Abandoned,
  Aborted,
  Accepted,
  Ack,
  Closed,
  Completed,
  Connected,
  Enquiry,
  Faulted,
  Listening,
  Nak,
  NotConnected,
  NotListening,
  Ping,
  SelectTimer,
  Start,
  Stop,
  TimedOut,
  UNDELIVERED_REASONS,
  Undelivered,
} from './standard.ts';
