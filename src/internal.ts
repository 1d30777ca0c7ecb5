/**
 * What the scopes and the orchestrator need beyond the public API. Not for
 * applications: it may change without notice.
 */

export {
  DirectoryEnquiry,
  DirectoryReport,
  ListingInfo,
  PublisherInfo,
  PutListing,
} from './directory/protocol.ts';
export { type DirectoryServiceSettings, directoryService } from './directory/service.ts';
export { toError } from './errors.ts';
export { remoteDirectoryOf } from './pubsub/api.ts';
export { NodeDirectory } from './pubsub/node-directory.ts';
export { hostEndpoint, parentEndpoint } from './pubsub/well-known.ts';
export { Cell, type Envelope } from './runtime/cell.ts';
export { manageStreams } from './streams/host-manage.ts';
export { StreamLink } from './streams/link.ts';
export {
  STREAM_ACTIONS,
  type StreamAnswer,
  StreamManage,
  StreamRead,
  type StreamRecords,
} from './streams/protocol.ts';
export { Connection } from './transport/connection.ts';
export { loadOrCreateNodeKeys } from './wire/keys.ts';
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
