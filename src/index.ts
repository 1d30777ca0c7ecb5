/**
 * callsign: an actor runtime for Node.js in which processes find each other
 * by name. This is the public API, alphabetised; what only the scopes and the
 * orchestrator need comes from `callsign/internal`.
 */

export { SCOPES, type Scope } from './directory/scope.ts';
export {
  isValidSubject,
  isValidSubjectPattern,
  subjectMatches,
} from './directory/subject-pattern.ts';
export {
  CallsignError,
  ERROR_CODES,
  type ErrorCode,
  isCallsignError,
  isErrorCode,
  type UnknownErrorCode,
  type WireErrorCode,
} from './errors.ts';
export * from './messages/index.ts';
export {
  clear,
  configureDirectory,
  type NodeDirectoryInit,
  type PublishOptions,
  publish,
  retract,
  type Search,
  type SessionOverflow,
  type SubscribeOptions,
  startDirectory,
  subscribe,
} from './pubsub/api.ts';
export {
  Available,
  Cleared,
  Delivered,
  Dropped,
  Interested,
  NotAvailable,
  NotInterested,
  NotPublished,
  NotSubscribed,
  Published,
  Retracted,
  Subscribed,
} from './pubsub/messages.ts';
export { ActorAddress, type Channel } from './runtime/address.ts';
export { type Clock, type ManualClock, manualClock, systemClock } from './runtime/clock.ts';
export {
  ActorBase,
  ActorContext,
  type InstanceOf,
  type SelectOptions,
  type SelectResult,
  type TimerOptions,
} from './runtime/context.ts';
export {
  type CreateNodeOptions,
  createNode,
  directoryFromEnvironment,
  type NodeProcess,
  runNode,
  transportFromEnvironment,
} from './runtime/create-node.ts';
export { LOG_LEVELS, Logger, type LogLevel, memorySink, streamSink } from './runtime/log.ts';
export {
  defineMachine,
  type MachineBuilder,
  MachineContext,
  type MachineDefinition,
  type MachineHandler,
} from './runtime/machine.ts';
export {
  type ActorFunction,
  type ActorKind,
  Node,
  type NodeInit,
  type SpawnOptions,
} from './runtime/node.ts';
export { EXIT_CODES } from './runtime/output.ts';
export {
  type BackoffInit,
  backoffDelays,
  RetrySchedule,
  type RetryScheduleInit,
  retry,
  sleep,
} from './runtime/repeating-task.ts';
export { parseSettings, type Settings } from './runtime/settings.ts';
export {
  type DiscardPolicy,
  type Durability,
  parseDuration,
  type RetentionKind,
  type StreamConfig,
  type StreamStorage,
} from './streams/config.ts';
export { Consumer, type ConsumerOptions, openConsumer } from './streams/consumer.ts';
export type { ConsumerConfig, ConsumerMode, StartPosition } from './streams/consumer-config.ts';
export {
  defaultStreamPath,
  type OpenStreamStoreInit,
  openStreamStore,
  STREAM_DRIVERS,
} from './streams/drivers.ts';
export { type StreamHostSettings, type StreamHostSummary, streamHost } from './streams/host.ts';
export {
  type MirrorOptions,
  type MirrorProgress,
  type MirrorSource,
  mirrorStream,
  storeSource,
} from './streams/mirror.ts';
export { MIRROR_SEQUENCE } from './streams/mirror-plan.ts';
export {
  type AppendInit,
  openProducer,
  Producer,
  type ProducerOptions,
} from './streams/producer.ts';
export { ConsumerActive, StreamDelivery } from './streams/protocol.ts';
export {
  openReader,
  type ReaderOptions,
  type ReadPage,
  StreamReader,
} from './streams/reader.ts';
export { RecordPage, type RecordView } from './streams/record-page.ts';
export {
  newStreamKey,
  SEALED_TYPE,
  type StreamKeyInput,
  StreamSeal,
} from './streams/sealed-payload.ts';
export type {
  AppendItem,
  AppendOptions,
  AppendOutcome,
  AppendResult,
  ConsumerInfo,
  Delivery,
  RecordBatch,
  RecordInput,
  StoredRecord,
  StreamInfo,
  StreamStore,
} from './streams/store.ts';
export { type Endpoint, formatEndpoint, parseEndpoint } from './transport/endpoint.ts';
export type {
  Link,
  LinkEnding,
  LinkEvents,
  LinkListener,
  LinkTransport,
} from './transport/link.ts';
export { type MemoryLink, memoryLinkPair, memoryTransport } from './transport/memory-transport.ts';
export type { OverflowPolicy } from './transport/overflow.ts';
export {
  type ConnectOptions,
  close,
  configureTransport,
  connect,
  connectionCount,
  drain,
  listen,
  prepareTransport,
  setOverflow,
  stopListening,
  type TransportInit,
  type TransportStatus,
  transportStatus,
} from './transport/transport.ts';
export { wsTransport } from './transport/ws-transport.ts';
export { useNodeCryptoForFrames } from './wire/frame-aead.ts';
export { generateNodeKeys, type NodeKeys } from './wire/keys.ts';
export { createRealm, type Realm } from './wire/realm.ts';
