/**
 * The wire layer: node keys, realms, the connection handshake and frame
 * sealing. Pure functions and classes on bytes; no sockets.
 */
export {
  FINISH_LENGTH,
  HANDSHAKE_PROTOCOL_VERSION,
  HandshakeError,
  type HandshakeInit,
  type HandshakeResult,
  type HandshakeStep,
  HELLO_LENGTH,
  InitiatorHandshake,
  REJECT_LENGTH,
  RESPONSE_LENGTH,
  ResponderHandshake,
  warmHandshake,
} from './handshake.ts';
export {
  assertNodeKeys,
  decodeNodeKeys,
  encodeNodeKeys,
  generateNodeKeys,
  type LoadOrCreateInit,
  loadOrCreateNodeKeys,
  NODE_PUBLIC_KEY_LENGTH,
  NODE_SECRET_KEY_LENGTH,
  type NodeKeys,
  nodeId,
} from './keys.ts';
export {
  assertRealm,
  createRealm,
  type LoadOrCreateRealmInit,
  loadOrCreateRealm,
  MAX_REALM_NAME_LENGTH,
  parseRealm,
  REALM_ENV,
  REALM_SECRET_LENGTH,
  type Realm,
  realmFingerprint,
  resolveRealmPath,
  serializeRealm,
} from './realm.ts';
export {
  checkMaxFrameSize,
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_KEY_LENGTH,
  FRAME_OVERHEAD,
  type FrameInit,
  FrameOpener,
  FrameSealer,
} from './seal.ts';
