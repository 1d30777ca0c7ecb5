/**
 * How relays of one cluster pass circuit frames to each other: a frame is
 * addressed to a peer of a tenant, and reaches whichever relay holds a
 * session of that peer now. {@link NatsPeerBus} carries them on NATS
 * subjects; {@link MemoryPeerBus} joins relays of one process (tests, and
 * the shape of the contract). Frames are the relay's own circuit frames
 * (OPEN, DATA, CLOSE, OPENED): a DATA frame's payload is the nodes' sealed
 * bytes, never opened here. docs/wan.md.
 *
 * @module
 */

/** What a relay does with a frame for one of its peers; `reply` answers an OPEN. */
export type PeerFrameHandler = (frame: Uint8Array, reply?: (answer: Uint8Array) => void) => void;

/** The frames between the relays of a cluster: see the module. */
export interface PeerBus {
  /** Frames for `peer` of `tenant` come to `handler` until the returned function is called. */
  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void;
  /** Sends `frame` to the relay holding `peer` of `tenant` (none: it is lost, as on a cut link). */
  send(tenant: string, peer: string, frame: Uint8Array): void;
  /**
   * Sends an OPEN to the relay holding `peer` and gives its answer; undefined
   * when no relay holds the peer, or none answered within `timeoutMs`.
   */
  ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array | undefined>;
}

/** Relays of one process joined without NATS (tests). */
export class MemoryPeerBus implements PeerBus {
  readonly #handlers = new Map<string, Set<PeerFrameHandler>>();

  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void {
    const key = `${tenant}\0${peer}`;
    const set = this.#handlers.get(key) ?? new Set();
    set.add(handler);
    this.#handlers.set(key, set);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(key) === set) this.#handlers.delete(key);
    };
  }

  send(tenant: string, peer: string, frame: Uint8Array): void {
    for (const h of this.#handlers.get(`${tenant}\0${peer}`) ?? []) {
      const copy = Uint8Array.prototype.slice.call(frame);
      queueMicrotask(() => h(copy));
    }
  }

  ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array | undefined> {
    const first = [...(this.#handlers.get(`${tenant}\0${peer}`) ?? [])][0];
    if (!first) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const copy = Uint8Array.prototype.slice.call(frame);
      queueMicrotask(() =>
        first(copy, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        }),
      );
    });
  }
}
