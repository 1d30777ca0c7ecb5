import type { ErrorCode } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import type { Message } from '../messages/registry.ts';

/**
 * Where messages for actors on another node go: one connection between two
 * nodes. The transport implements it; the runtime only posts to it.
 */
export interface Channel {
  /** A short printable name of the peer, for logs and `toString()`. */
  readonly label: string;
  /** True once the connection has ended (or is closing); posting then does nothing. */
  readonly closed: boolean;
  /** Why it ended, once it has: the code for the senders' `Undelivered`. */
  readonly closeCode?: ErrorCode | undefined;
  /**
   * Queues `message` for actor `to` on the peer node, from local actor
   * `from`. Returns false when the channel is closed (the node then reports
   * `Undelivered` to the sender); a message the channel refuses for another
   * reason is reported by the channel itself.
   */
  post(to: number, from: number, message: Message): boolean;
}

/**
 * The opaque handle of an actor. A local address names an actor of this node;
 * a remote one names an actor on the far side of a {@link Channel}. `send`
 * treats both alike.
 */
export class ActorAddress implements Address {
  readonly isAddress = true as const;
  /** The actor's id within its own node. */
  readonly id: number;
  /** The connection that reaches the actor, or undefined when it is local. */
  readonly channel: Channel | undefined;

  constructor(id: number, channel?: Channel) {
    this.id = id;
    this.channel = channel;
  }

  /** True when the actor lives in this node. */
  get isLocal(): boolean {
    return this.channel === undefined;
  }

  /** True when `other` names the same actor. */
  equals(other: Address | undefined): boolean {
    return other instanceof ActorAddress && other.id === this.id && other.channel === this.channel;
  }

  toString(): string {
    const id = this.id.toString(16).padStart(8, '0');
    return this.channel ? `<${id}@${this.channel.label}>` : `<${id}>`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** True when `x` is an {@link ActorAddress}. */
export function isActorAddress(x: unknown): x is ActorAddress {
  return x instanceof ActorAddress;
}
