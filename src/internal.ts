/**
 * What the scopes and the orchestrator need beyond the public API. Not for
 * applications: it may change without notice.
 */

export { listingEntry, listingInfo, searchEntry, searchInfo } from './directory/convert.ts';
export type { LinkId, ListingEntry, SearchEntry } from './directory/entries.ts';
export { reachedOnlyFromHere } from './directory/network-gatherer.ts';
export {
  GatheredDirectory,
  GatheredNode,
  NetworkEnquiry,
  NetworkReport,
  NodeReport,
  SessionReport,
  SilentLink,
  WanSiteReport,
  WanTenantReport,
} from './directory/network-report.ts';
export {
  DeleteListing,
  DeleteSearch,
  DirectoryEnquiry,
  DirectoryReport,
  ListingAccepted,
  ListingInfo,
  ListingRefused,
  PublisherInfo,
  PutListing,
  PutSearch,
  RouteAdded,
  RouteRemoved,
  SearchInfo,
  SearchRefused,
  Sync,
  SyncComplete,
} from './directory/protocol.ts';
export { type DirectoryServiceSettings, directoryService } from './directory/service.ts';
export { DirectoryTable, type RouteChange } from './directory/table.ts';
export { toError } from './errors.ts';
export { remoteDirectoryOf } from './pubsub/api.ts';
export { NodeDirectory } from './pubsub/node-directory.ts';
export { Cell, type Envelope } from './runtime/cell.ts';
export { streamOptionFields } from './streams/config.ts';
export { manageStreams } from './streams/host-manage.ts';
export { StreamLink } from './streams/link.ts';
export { natsConnectOptions } from './streams/nats/connection.ts';
export { type NatsSettings, natsSettings, natsSettingsPath } from './streams/nats/settings.ts';
export {
  STREAM_ACTIONS,
  type StreamAnswer,
  StreamManage,
  StreamRead,
  type StreamRecordsPack,
} from './streams/protocol.ts';
export { storedRecordsOf } from './streams/record-batch.ts';
export { AcceptGate, type GateEntry } from './transport/accept-gate.ts';
export { Connection } from './transport/connection.ts';
export { KeepAlive } from './transport/keepalive.ts';
export type {
  DialInit,
  LinkContext,
  LinkHandshake,
  ListenerLimits,
  ListenInit,
} from './transport/link.ts';
export { RelayCircuit } from './transport/relay/circuit.ts';
export { RelayClient, type RelayClientStatus, relayClientOf } from './transport/relay/client.ts';
export {
  circuitOf,
  decodeAdmission,
  decodeCircuitFrame,
  decodeHello,
  encodeBare,
  encodeChallenge,
  encodeClose,
  encodeData,
  encodeHello,
  encodeMac,
  encodeOpen,
  encodeRefused,
  type Hello,
  RELAY_FRAME,
  RELAY_NAME,
  RELAY_NONCE_LENGTH,
  RELAY_PEER,
  setCircuit,
} from './transport/relay/frames.ts';
export {
  admissionProof,
  isRelayEndpoint,
  RELAY_SCHEME,
  RelayPass,
  relayEndpoint,
  relayPeerOf,
  relayTicket,
  sameMac,
  welcomeProof,
} from './transport/relay/pass.ts';
export { addLinkScheme } from './transport/transport.ts';
export { guardSocket, type SocketGuard, wsLink } from './transport/ws-link.ts';
export { upgradeServer } from './transport/ws-server.ts';
export { decodeNodeKeys, encodeNodeKeys, loadOrCreateNodeKeys } from './wire/keys.ts';
export {
  loadOrCreateRealm,
  MAX_REALM_NAME_LENGTH,
  parseRealm,
  REALM_ENV,
  realmFingerprint,
  resolveRealmPath,
  serializeRealm,
} from './wire/realm.ts';
export { FramePacker, FrameUnpacker } from './wire/records.ts';
