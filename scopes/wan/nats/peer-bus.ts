/**
 * How relays of one cluster pass circuit frames to each other. An OPEN is
 * addressed to a peer of a tenant and asked of whichever relays hold a
 * session of that peer now; every other frame is addressed to the peer *at
 * one relay* (its member id), the one that answered, so that a peer with
 * sessions at two relays never gets a frame meant for the other one's
 * circuit. {@link NatsPeerBus} carries them on NATS subjects;
 * {@link MemoryPeerNetwork} joins relays of one process (tests, and the
 * shape of the contract). Frames are the relay's own circuit frames (OPEN,
 * DATA, CLOSE, OPENED, PING, PONG): a DATA frame's payload is the nodes'
 * sealed bytes, never opened here. docs/wan.md.
 *
 * @module
 */
import { encodeBare, RELAY_FRAME } from '../../../src/internal.ts';

/**
 * What a relay does with a frame for one of its peers: `from` is the member
 * that sent it, `reply` answers an OPEN or a PING.
 */
export type PeerFrameHandler = (
  frame: Uint8Array,
  from: string,
  reply?: (answer: Uint8Array) => void,
) => void;

/** An answer to an OPEN, and the relay that gave it. */
export interface PeerAnswer {
  readonly frame: Uint8Array;
  readonly from: string;
}

/** The frames between the relays of a cluster: see the module. */
export interface PeerBus {
  /** This relay's id among the members. */
  readonly member: string;
  /** Whether frames can reach other relays now (the NATS connection is up). */
  readonly connected: boolean;
  /** `listener` is told when {@link connected} changes. */
  onConnected(listener: (connected: boolean) => void): void;
  /** Frames for `peer` of `tenant` come to `handler` until the returned function is called. */
  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void;
  /** Sends `frame` to `peer` of `tenant` at relay `member` (not there: it is lost, as on a cut link). */
  send(tenant: string, peer: string, member: string, frame: Uint8Array): void;
  /**
   * Sends an OPEN to the relays holding `peer` and gives the first answer;
   * undefined when no relay holds the peer, or none answered within
   * `timeoutMs`. Answers after the first, within `timeoutMs`, go to `late`
   * (the peer had sessions at two relays: each opened a circuit).
   */
  ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
    late: (answer: PeerAnswer) => void,
  ): Promise<PeerAnswer | undefined>;
  /**
   * Whether relay `member` still holds `peer` of `tenant`: it answers a PING
   * with a PONG within `timeoutMs`. False at once when no relay by that id
   * holds the peer (the relay died, or the peer left it). With `circuit`
   * (that relay's token of a circuit), whether it also still holds that
   * circuit's end.
   */
  holds(
    tenant: string,
    peer: string,
    member: string,
    timeoutMs: number,
    circuit?: number,
  ): Promise<boolean>;
}

/** Relays of one process joined without NATS (tests): {@link join} gives each its bus. */
export class MemoryPeerNetwork {
  /** `tenant\0peer` → member → handlers. */
  readonly #handlers = new Map<string, Map<string, Set<PeerFrameHandler>>>();
  readonly #buses = new Map<string, MemoryPeerBus>();

  /** The bus of relay `member`. */
  join(member: string): MemoryPeerBus {
    const bus = new MemoryPeerBus(this, member);
    this.#buses.set(member, bus);
    return bus;
  }

  /** Relay `member` is gone at once, as a relay killed is (nothing it held is reachable). */
  leave(member: string): void {
    this.#buses.delete(member);
  }

  /** Relay `member` is cut off (`false`) or back (`true`). */
  setConnected(member: string, connected: boolean): void {
    this.#buses.get(member)?.setConnected(connected);
  }

  /** @internal */
  handlers(tenant: string, peer: string): Map<string, Set<PeerFrameHandler>> {
    const key = `${tenant}\0${peer}`;
    let byMember = this.#handlers.get(key);
    if (!byMember) {
      byMember = new Map();
      this.#handlers.set(key, byMember);
    }
    return byMember;
  }

  /** @internal Whether `member` can be reached. */
  reachable(member: string): boolean {
    return this.#buses.get(member)?.connected ?? false;
  }
}

/** One relay's bus on a {@link MemoryPeerNetwork}. */
export class MemoryPeerBus implements PeerBus {
  readonly member: string;
  readonly #net: MemoryPeerNetwork;
  readonly #listeners: ((connected: boolean) => void)[] = [];
  #connected = true;

  constructor(net: MemoryPeerNetwork, member: string) {
    this.#net = net;
    this.member = member;
  }

  get connected(): boolean {
    return this.#connected;
  }

  onConnected(listener: (connected: boolean) => void): void {
    this.#listeners.push(listener);
  }

  /** @internal */
  setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    for (const l of this.#listeners) l(connected);
  }

  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void {
    const byMember = this.#net.handlers(tenant, peer);
    const set = byMember.get(this.member) ?? new Set();
    set.add(handler);
    byMember.set(this.member, set);
    return () => {
      set.delete(handler);
      if (set.size === 0 && byMember.get(this.member) === set) byMember.delete(this.member);
    };
  }

  send(tenant: string, peer: string, member: string, frame: Uint8Array): void {
    if (!this.#connected || !this.#net.reachable(member)) return;
    for (const h of this.#net.handlers(tenant, peer).get(member) ?? []) {
      const copy = Uint8Array.prototype.slice.call(frame);
      queueMicrotask(() => h(copy, this.member));
    }
  }

  ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
    late: (answer: PeerAnswer) => void,
  ): Promise<PeerAnswer | undefined> {
    const targets = this.#connected
      ? [...this.#net.handlers(tenant, peer)].filter(([m]) => this.#net.reachable(m))
      : [];
    if (targets.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let first = true;
      let open = true;
      let answers = 0;
      // After `timeoutMs` answers are lost, as NATS drops them once its request is over.
      const timer = setTimeout(() => {
        first = false;
        open = false;
        resolve(undefined);
      }, timeoutMs);
      for (const [from, handlers] of targets) {
        const h = [...handlers][0];
        const copy = Uint8Array.prototype.slice.call(frame);
        queueMicrotask(() =>
          h?.(copy, this.member, (answer) => {
            if (!open) return;
            if (++answers === targets.length) clearTimeout(timer);
            if (!first) return late({ frame: answer, from });
            first = false;
            resolve({ frame: answer, from });
          }),
        );
      }
    });
  }

  holds(
    tenant: string,
    peer: string,
    member: string,
    timeoutMs: number,
    circuit?: number,
  ): Promise<boolean> {
    const there = this.#net.handlers(tenant, peer).get(member);
    const h = there && [...there][0];
    if (!this.#connected || !this.#net.reachable(member) || !h) return Promise.resolve(false);
    if (circuit === undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      queueMicrotask(() =>
        h(encodeBare('ping', circuit), this.member, (answer) => {
          clearTimeout(timer);
          resolve(answer[0] === RELAY_FRAME.pong);
        }),
      );
    });
  }
}
