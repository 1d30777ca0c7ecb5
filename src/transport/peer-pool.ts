/**
 * A pool of connections to other nodes, one per node endpoint: asked for
 * the actor at the far end of one of a node's endpoints, it answers the one
 * it has or connects and answers later. Built only on the transport's public
 * functions (`connect` and its messages), for an actor that owns the pool
 * and passes it the transport messages it receives.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import type { ErrorCode, WireErrorCode } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { Abandoned, Closed, Connected, NotConnected } from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import { formatEndpoint, parseEndpoint } from './endpoint.ts';
import { isRelayEndpoint } from './relay/pass.ts';
import { connect } from './transport.ts';

/** Options of {@link PeerPool}. */
export interface PeerPoolInit {
  /** How long a connection may take, in seconds. Default 5. */
  connectSeconds?: number;
}

/** What {@link PeerPool.get} answers. */
export type PeerAnswer =
  | { kind: 'ready'; peer: ActorAddress }
  | { kind: 'waiting'; endpoint: string }
  | { kind: 'failed'; code: ErrorCode; reason: string };

/** What a transport message meant for the pool. */
export type PeerEvent =
  /** Connected: the requests that waited for `endpoint` can go on with `peer`. */
  | { kind: 'ready'; endpoint: string; peer: ActorAddress; waiting: string[] }
  /** The connection could not be made; the requests that waited for it fail. */
  | { kind: 'failed'; endpoint: string; code: WireErrorCode; reason: string; waiting: string[] }
  /** A pooled connection ended. */
  | { kind: 'lost'; endpoint: string; peer: ActorAddress };

interface Entry {
  peer: ActorAddress | undefined;
  waiting: Set<string>;
}

/**
 * One connection per node endpoint, made on first use and reused while it
 * lasts. Requests are named by a token of the owner's (a session id, say):
 * a request that waits is answered by the {@link PeerEvent} of its endpoint.
 *
 * @example
 * ```ts
 * const pool = new PeerPool(self);
 * const a = pool.get(listing.endpoints, true, sessionId); // 'ready' | 'waiting' | 'failed'
 * // later, for every message: const event = pool.handle(m, self.returnAddress);
 * ```
 */
export class PeerPool {
  readonly #owner: ActorBase;
  readonly #seconds: number;
  readonly #entries = new Map<string, Entry>();

  constructor(owner: ActorBase, init: PeerPoolInit = {}) {
    this.#owner = owner;
    this.#seconds = init.connectSeconds ?? 5;
  }

  /**
   * The actor at one of `endpoints`. `local` (the same host) takes a unix
   * socket that exists here; otherwise a network address that is not a
   * wildcard (a socket path could name something else on another host), or
   * a relay endpoint. A new connection gives up after `seconds` (default:
   * the pool's).
   */
  get(endpoints: readonly string[], local: boolean, token: string, seconds?: number): PeerAnswer {
    const endpoint = usableEndpoint(endpoints, local);
    if (endpoint === undefined) {
      return {
        kind: 'failed',
        code: 'ERR_NOT_AVAILABLE',
        reason: `no reachable endpoint among ${endpoints.join(', ') || 'none'}`,
      };
    }
    let entry = this.#entries.get(endpoint);
    if (entry?.peer && !entry.peer.channel?.closed) return { kind: 'ready', peer: entry.peer };
    if (!entry || entry.peer) {
      entry = { peer: undefined, waiting: new Set() };
      this.#entries.set(endpoint, entry);
      connect(this.#owner, endpoint, { seconds: seconds ?? this.#seconds });
    }
    entry.waiting.add(token);
    return { kind: 'waiting', endpoint };
  }

  /** A request that waits no more (its session ended). */
  forget(token: string): void {
    for (const entry of this.#entries.values()) entry.waiting.delete(token);
  }

  /** What `m` (from `from`) means for the pool, or undefined when it is not about the pool. */
  handle(m: Message, from: ActorAddress | undefined): PeerEvent | undefined {
    if (m instanceof Connected) {
      const entry = this.#entries.get(m.endpoint);
      if (!entry || entry.peer || !from) return undefined;
      entry.peer = from;
      const waiting = [...entry.waiting];
      entry.waiting.clear();
      return { kind: 'ready', endpoint: m.endpoint, peer: from, waiting };
    }
    if (m instanceof NotConnected) {
      const entry = this.#entries.get(m.endpoint);
      if (!entry || entry.peer) return undefined;
      this.#entries.delete(m.endpoint);
      return {
        kind: 'failed',
        endpoint: m.endpoint,
        code: m.code,
        reason: m.reason,
        waiting: [...entry.waiting],
      };
    }
    if ((m instanceof Abandoned || m instanceof Closed) && from) {
      for (const [endpoint, entry] of this.#entries) {
        if (entry.peer?.equals(from)) {
          this.#entries.delete(endpoint);
          return { kind: 'lost', endpoint, peer: from };
        }
      }
    }
    return undefined;
  }

  /** How many connections the pool holds or is making. */
  get size(): number {
    return this.#entries.size;
  }
}

/** The endpoint of `endpoints` to connect to, normalised; undefined when none will do. */
export function usableEndpoint(endpoints: readonly string[], local: boolean): string | undefined {
  for (const text of endpoints) {
    if (isRelayEndpoint(text)) {
      if (!local) return text;
      continue;
    }
    let p: ReturnType<typeof parseEndpoint>;
    try {
      p = parseEndpoint(text);
    } catch {
      continue;
    }
    if (p.kind === 'unix' ? local && existsSync(p.path) : !local && !isWildcard(p.host)) {
      return formatEndpoint(p);
    }
  }
  return undefined;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
