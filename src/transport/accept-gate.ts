/**
 * The limits every listener that faces strangers applies from the TCP
 * accept on (docs/transport.md): at most `maxConnections` sockets, at most
 * `maxPending` of them not yet through their handshake, and one deadline
 * from accept to the end of the handshake. The excess is cut at accept with
 * a logged code. Shared by the transport's ws listener (ws-server.ts) and
 * the WAN relay's listener, which differ only in what a handshake is.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors.ts';
import type { LinkContext, ListenerLimits } from './link.ts';

/** One accepted socket, from TCP accept until it closes. */
export interface GateEntry<T> {
  readonly socket: Socket;
  /** Still in its handshake (counted against `maxPending`, under the deadline). */
  pending: boolean;
  /** What the listener made of the socket once upgraded (a link, a WebSocket). */
  upgraded: T | undefined;
}

/** Options of {@link AcceptGate}. */
export interface AcceptGateInit<T> {
  readonly limits: Pick<ListenerLimits, 'maxConnections' | 'maxPending' | 'handshakeMs'>;
  readonly context: LinkContext;
  /** Cuts a socket that is refused (logs, destroys). */
  refuse(socket: Socket, code: ErrorCode, reason: string): void;
  /** The deadline passed for an upgraded socket: tell the peer `ERR_HANDSHAKE_TIMEOUT` and cut it. */
  expired(upgraded: T, reason: string): void;
}

/** The accept-time limits of one listener: see the module. */
export class AcceptGate<T> {
  readonly #init: AcceptGateInit<T>;
  readonly #entries = new Map<Socket, GateEntry<T> & { deadline: unknown }>();
  #pending = 0;

  constructor(init: AcceptGateInit<T>) {
    this.#init = init;
  }

  /** Sockets held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Sockets still in their handshake. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * A socket just accepted: refused (cut, `undefined`) beyond the limits,
   * else held until it closes, pending until {@link AcceptGate.settle}.
   */
  accept(socket: Socket): GateEntry<T> | undefined {
    const { limits, context, refuse } = this.#init;
    socket.on('error', () => {});
    if (this.#entries.size >= limits.maxConnections) {
      refuse(socket, 'ERR_TOO_MANY_CONNECTIONS', `${this.#entries.size} connections held`);
      return undefined;
    }
    if (this.#pending >= limits.maxPending) {
      refuse(socket, 'ERR_TOO_MANY_PENDING', `${this.#pending} connections in their handshake`);
      return undefined;
    }
    const entry: GateEntry<T> & { deadline: unknown } = {
      socket,
      pending: true,
      upgraded: undefined,
      deadline: undefined,
    };
    this.#pending++;
    this.#entries.set(socket, entry);
    entry.deadline = context.clock.after(limits.handshakeMs, () => {
      if (!entry.pending) return;
      const reason = `no handshake within ${limits.handshakeMs} ms`;
      if (entry.upgraded === undefined) refuse(socket, 'ERR_HANDSHAKE_TIMEOUT', reason);
      else this.#init.expired(entry.upgraded, reason);
    });
    socket.once('close', () => {
      this.settle(entry);
      this.#entries.delete(socket);
    });
    return entry;
  }

  /** The entry of an accepted socket still held. */
  entry(socket: Socket): GateEntry<T> | undefined {
    return this.#entries.get(socket);
  }

  /** The handshake of `entry` is done: it no longer counts as pending, and its deadline goes. */
  settle(entry: GateEntry<T>): void {
    const e = this.#entries.get(entry.socket);
    if (!e?.pending) return;
    e.pending = false;
    this.#pending--;
    this.#init.context.clock.clear(e.deadline);
  }

  /** Every socket held now. */
  entries(): IterableIterator<GateEntry<T>> {
    return this.#entries.values();
  }
}
