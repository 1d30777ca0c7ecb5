/**
 * Who may manage a stream host's streams. Reading (list, info, consumers)
 * is open to every node of the realm that reaches the host; creating,
 * changing, purging and deleting streams, and deleting consumers, only to
 * an admin: an actor of the host's own node, or a node whose key the
 * host's settings list (`callsign stream serve` lists the key of the
 * command line of its home). Everyone else is refused with
 * `ERR_NOT_STREAM_ADMIN`.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { ActorAddress } from '../runtime/address.ts';
import { Connection } from '../transport/connection.ts';
import type { STREAM_ACTIONS } from './protocol.ts';

/** The management actions only an admin may ask for. */
export const ADMIN_ACTIONS: ReadonlySet<(typeof STREAM_ACTIONS)[number]> = new Set([
  'create',
  'update',
  'purge',
  'delete',
  'consumer-delete',
]);

/** Who asks: an actor of this node, or a node known by its public key (base64). */
export type Asker = { readonly local: true } | { readonly local: false; readonly key: string };

/** Who sent from `address` (a remote address's connection knows its peer's key). */
export function askerOf(address: ActorAddress): Asker {
  const channel = address.channel;
  if (!channel) return { local: true };
  return { local: false, key: channel instanceof Connection ? channel.peerKey : '' };
}

/**
 * Refuses `action` for `asker` unless it is an admin: local, or its key is
 * among `admins`.
 *
 * @throws CallsignError `ERR_NOT_STREAM_ADMIN`
 */
export function checkAdmin(
  action: (typeof STREAM_ACTIONS)[number],
  asker: Asker,
  admins: ReadonlySet<string>,
): void {
  if (!ADMIN_ACTIONS.has(action) || asker.local || (asker.key !== '' && admins.has(asker.key))) {
    return;
  }
  throw new CallsignError(
    'ERR_NOT_STREAM_ADMIN',
    `only an admin of this stream host may ${action.replace('-', ' ')}: the node ${asker.key.slice(0, 12)}… is not one`,
  );
}
