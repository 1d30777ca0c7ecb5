import type { Connection } from './connection.ts';

/**
 * The connections of one node, indexed by the peer's long-term key and by
 * the listener that accepted them, with the counts that status displays and
 * limits need. It holds no policy: the transport decides, the registry keeps.
 */
export class ConnectionRegistry {
  readonly #all = new Set<Connection>();
  readonly #byPeer = new Map<string, Set<Connection>>();
  readonly #byListener = new Map<string, Set<Connection>>();
  readonly #listenerOf = new Map<Connection, string>();

  /** How many connections are open. */
  get size(): number {
    return this.#all.size;
  }

  /** Every open connection. */
  all(): IterableIterator<Connection> {
    return this.#all.values();
  }

  /** Records a connection; `listener` is the endpoint that accepted it, if any. */
  add(connection: Connection, listener?: string): void {
    this.#all.add(connection);
    let peers = this.#byPeer.get(connection.peerKey);
    if (!peers) {
      peers = new Set();
      this.#byPeer.set(connection.peerKey, peers);
    }
    peers.add(connection);
    if (listener !== undefined) {
      let accepted = this.#byListener.get(listener);
      if (!accepted) {
        accepted = new Set();
        this.#byListener.set(listener, accepted);
      }
      accepted.add(connection);
      this.#listenerOf.set(connection, listener);
    }
  }

  /** Forgets a connection that ended. */
  remove(connection: Connection): void {
    this.#all.delete(connection);
    const peers = this.#byPeer.get(connection.peerKey);
    peers?.delete(connection);
    if (peers?.size === 0) this.#byPeer.delete(connection.peerKey);
    const listener = this.#listenerOf.get(connection);
    if (listener !== undefined) {
      this.#listenerOf.delete(connection);
      const accepted = this.#byListener.get(listener);
      accepted?.delete(connection);
      if (accepted?.size === 0) this.#byListener.delete(listener);
    }
  }

  /** The open connections to the node whose public key (base64) is `peerKey`. */
  toPeer(peerKey: string): Connection[] {
    return [...(this.#byPeer.get(peerKey) ?? [])];
  }

  /** The open connections accepted by the listener at `endpoint`. */
  acceptedBy(endpoint: string): Connection[] {
    return [...(this.#byListener.get(endpoint) ?? [])];
  }

  /** How many distinct peer nodes this node is connected to. */
  get peers(): number {
    return this.#byPeer.size;
  }
}
