import { CallsignError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import type { Node } from '../runtime/node.ts';
import {
  NodeDirectory,
  type NodeDirectoryInit,
  type PublishOptions,
  type SubscribeOptions,
} from './node-directory.ts';

/**
 * Chooses the directory above `node` before its first publish or subscribe
 * (by default it comes from the environment: `CALLSIGN_GROUP`, else the host
 * directory). Mostly for tests and embedding several nodes in one process.
 */
export function configureDirectory(node: Node, init: NodeDirectoryInit): void {
  NodeDirectory.of(node, init);
}

/**
 * Publishes `name` for this actor. The actor receives Published (or
 * NotPublished with a code, e.g. ERR_DUPLICATE_LISTING), then Delivered for
 * each subscriber session, with `returnAddress` set to the subscriber.
 *
 * @example
 * ```ts
 * publish(self, 'hello-welcome');
 * const p = await self.select(Published, NotPublished);
 * ```
 */
export function publish(self: ActorBase, name: string, options: PublishOptions = {}): void {
  void NodeDirectory.of(self.node).publish(self.address, name, options);
}

/**
 * Subscribes this actor to a name (exact) or a regular expression (matching
 * whole names). The actor receives Subscribed at once, then Available for
 * each matching listing, with `returnAddress` set to the publisher.
 */
export function subscribe(
  self: ActorBase,
  search: string | RegExp,
  options: SubscribeOptions = {},
): void {
  void NodeDirectory.of(self.node).subscribe(self.address, search, options);
}

/**
 * Ends this actor's session with `other` (the `returnAddress` of its
 * Available or Delivered): Cleared here, Dropped there. Returns false when
 * there is no such session.
 */
export function clear(self: ActorBase, other: Address): boolean {
  if (!(other instanceof ActorAddress))
    throw new CallsignError('ERR_NO_SUCH_ACTOR', `not an actor address: ${String(other)}`);
  return NodeDirectory.of(self.node).clear(self.address, other);
}

/** Withdraws everything this actor published and subscribed; it receives Retracted. */
export function retract(self: ActorBase): void {
  NodeDirectory.of(self.node).retract(self.address);
}

export type { NodeDirectoryInit, PublishOptions, SubscribeOptions };
