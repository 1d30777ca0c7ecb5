/**
 * A relay's membership of a NATS cluster (`callsign wan serve --nats`): one
 * connection to the listed servers, which carries both the WAN directory's
 * state (JetStream KV, {@link KvDirectoryStore}) and the circuit frames
 * between relays ({@link NatsPeerBus}). Relays that share a relay folder
 * (the same tenants, sites and keys) and a cluster are interchangeable:
 * none holds state the others lack. docs/wan.md.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CallsignError } from '../../../src/errors.ts';
import type { DirectoryStore } from '../state/directory-store.ts';
import { KvDirectoryStore } from '../state/kv-store.ts';
import { NatsPeerBus } from './nats-bus.ts';
import type { PeerBus } from './peer-bus.ts';

/** How long a directory entry lives without its relay writing it again, ms. */
export const DEFAULT_STATE_TTL_MS = 6000;

/** What relays of a cluster share. */
export interface RelayCluster {
  /** This relay's id among the members. */
  readonly member: string;
  readonly store: DirectoryStore;
  readonly bus: PeerBus;
  close(): Promise<void>;
}

/** Options of {@link joinNatsCluster}. */
export interface NatsClusterInit {
  /** `nats://host:port` URLs; one answering is enough. */
  readonly servers: readonly string[];
  /** Default {@link DEFAULT_STATE_TTL_MS}. */
  readonly ttlMs?: number;
  /** Replicas of the tenants' buckets; default 3 when three servers or more are listed, else 1. */
  readonly replicas?: number;
  warn(text: string): void;
}

/** Checks `--nats` servers: `nats://host:port` (or `tls://`), at least one. */
export function checkNatsServers(servers: readonly string[]): string[] {
  const out = servers
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (out.length === 0)
    throw new CallsignError('ERR_USAGE', '--nats needs at least one nats://host:port');
  for (const s of out) {
    let u: URL | undefined;
    try {
      u = new URL(s);
    } catch {}
    if (!u || !['nats:', 'tls:'].includes(u.protocol) || !u.host)
      throw new CallsignError('ERR_USAGE', `--nats takes nats://host:port URLs, not ${s}`);
  }
  return out;
}

/**
 * Connects to the cluster.
 *
 * @throws CallsignError `ERR_WAN_NATS` when no server answers.
 */
export async function joinNatsCluster(init: NatsClusterInit): Promise<RelayCluster> {
  const servers = checkNatsServers(init.servers);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: 'callsign wan relay',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (err) {
    throw new CallsignError(
      'ERR_WAN_NATS',
      `no nats server answered (${servers.join(', ')}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const store = new KvDirectoryStore({
    nc,
    ttlMs: init.ttlMs ?? DEFAULT_STATE_TTL_MS,
    replicas: init.replicas ?? (servers.length >= 3 ? 3 : 1),
  });
  const member = randomBytes(8).toString('hex');
  return {
    member,
    store,
    bus: new NatsPeerBus(nc, member, init.warn),
    async close() {
      await store.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}
