/**
 * A node's pass to a WAN relay, and the MACs of admission. The WAN
 * directory (on the relay) mints a pass for each node whose listing or
 * search reaches the WAN and sends it down with the listing's acceptance or
 * the route; the node's relay client presents it (without ever sending the
 * ticket itself) to open a relay session. A ticket is an HMAC under the
 * site's ticket key, which only the relay holds: revoking the site ends
 * every pass of its nodes. docs/wan.md.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { defineMessage, t } from '../../messages/index.ts';

/** A node's pass to the relays of its tenant. */
export class RelayPass extends defineMessage('callsign.wan.RelayPass', {
  /** Where the relays are (`ws://host:port/path` or `wss://...`), tried in order. */
  relays: t.array(t.string),
  tenant: t.string,
  site: t.string,
  /** The node's public key, as the directories carry it: the session is registered under it. */
  peer: t.string,
  /** HMAC of tenant, site and peer under the site's ticket key; never sent to the relay. */
  ticket: t.bytes,
}) {}

/** The scheme of endpoints reached through a relay: `relay:<peer>`. */
export const RELAY_SCHEME = 'relay';

/** The endpoint at which `peer` is reached through its tenant's relay. */
export function relayEndpoint(peer: string): string {
  return `${RELAY_SCHEME}:${peer}`;
}

/** The peer of a relay endpoint, or undefined when `text` is not one. */
export function relayPeerOf(text: string): string | undefined {
  if (!text.startsWith(`${RELAY_SCHEME}:`)) return undefined;
  const peer = text.slice(RELAY_SCHEME.length + 1);
  return peer.length > 0 ? peer : undefined;
}

/** True when `text` is a relay endpoint. */
export function isRelayEndpoint(text: string): boolean {
  return relayPeerOf(text) !== undefined;
}

const ascii = (s: string) => Buffer.from(s, 'utf8');

/** The ticket of `peer` of `site` of `tenant`, under the site's ticket key. */
export function relayTicket(
  ticketKey: Uint8Array,
  tenant: string,
  site: string,
  peer: string,
): Uint8Array {
  return createHmac('sha256', ticketKey)
    .update(ascii(`callsign wan ticket v1\0${tenant}\0${site}\0${peer}`))
    .digest();
}

/** What the node proves with its ticket: that it holds it, for these two nonces. */
export function admissionProof(ticket: Uint8Array, client: Uint8Array, relay: Uint8Array): Buffer {
  return createHmac('sha256', ticket)
    .update(ascii('callsign wan proof v1'))
    .update(client)
    .update(relay)
    .digest();
}

/** What the relay answers, proving it holds the ticket too (it knows the site's key). */
export function welcomeProof(ticket: Uint8Array, client: Uint8Array, relay: Uint8Array): Buffer {
  return createHmac('sha256', ticket)
    .update(ascii('callsign wan welcome v1'))
    .update(relay)
    .update(client)
    .digest();
}

/** Compares two MACs in constant time. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
