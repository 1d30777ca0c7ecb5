import { CallsignError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import type { Node } from '../runtime/node.ts';
import { NodeDirectory } from './node-directory.ts';
import {
  type NodeDirectoryInit,
  overflowOf,
  type PublishOptions,
  type Search,
  type SessionOverflow,
  type SubscribeOptions,
  searchPattern,
  searchSpec,
} from './options.ts';
import { ClearRequest, PublishRequest, RetractRequest, SubscribeRequest } from './requests.ts';

/**
 * Starts `node`'s directory now rather than at its first publish or
 * subscribe: it listens for sessions on this host and connects to the
 * directory above, so that a first publish finds both ready. Never fails:
 * while no directory answers, it retries as it always does. Resolves once
 * the listener runs and the first attempt above has been answered (either
 * may have failed); it may take up to the connect timeout, so wait for it
 * only with a bound. `createNode` calls it once the node's identity is
 * ready and starts main when it resolves, or after `reachableMs`.
 */
export function startDirectory(node: Node): Promise<void> {
  return NodeDirectory.startEarly(node);
}

/**
 * Chooses the directory above `node` before its first publish or subscribe.
 * By default it is the host directory's well-known endpoint; `createNode`
 * sets it from the environment (`CALLSIGN_GROUP`, `CALLSIGN_HOST`,
 * `CALLSIGN_NO_HOST`). Mostly for tests and embedding several nodes in one
 * process.
 *
 * @throws CallsignError `ERR_INVALID_STATE` after the node's first publish,
 *   subscribe, clear or retract: the directory runs by then.
 */
export function configureDirectory(node: Node, init: NodeDirectoryInit): void {
  NodeDirectory.configure(node, init);
}

/**
 * Publishes `name` for this actor. The actor receives Published (or
 * NotPublished with a code, e.g. ERR_DUPLICATE_LISTING, or ERR_WRONG_REALM
 * when a directory within its scope refused this node), then Delivered for
 * each subscriber session, with `returnAddress` set to the subscriber.
 *
 * @example
 * ```ts
 * publish(self, 'hello-welcome');
 * const p = await self.select(Published, NotPublished);
 * ```
 */
export function publish(self: ActorBase, name: string, options: PublishOptions = {}): void {
  const request = new PublishRequest({
    name,
    scope: options.scope ?? 'host',
    multi: options.multi ?? false,
    interest: options.interest ?? false,
    ...overflowFields(options.overflow),
  });
  NodeDirectory.of(self.node).ask(request, self.address);
}

/**
 * Subscribes this actor to a name (exact), a regular expression (matching
 * whole names) or a subject pattern (`{ subject: 'lab.*.temperature' }`,
 * matching names that are dot-separated subjects; `*` is one token, `>` the
 * rest). The actor receives Subscribed at once (NotSubscribed with
 * ERR_INVALID_SEARCH for a bad pattern), then Available for each matching
 * listing, with `returnAddress` set to the publisher.
 *
 * @example
 * ```ts
 * subscribe(self, 'hello-welcome');
 * subscribe(self, /device-\d+/);
 * subscribe(self, { subject: 'lab.*.temperature' });
 * ```
 */
export function subscribe(self: ActorBase, search: Search, options: SubscribeOptions = {}): void {
  const spec = searchSpec(search);
  const request = new SubscribeRequest({
    kind: spec.kind,
    pattern: searchPattern(spec),
    flags: spec.kind === 'regex' ? spec.flags : undefined,
    scope: options.scope ?? 'host',
    ...overflowFields(options.overflow),
  });
  NodeDirectory.of(self.node).ask(request, self.address);
}

function overflowFields(o: SessionOverflow | undefined) {
  const chosen = overflowOf(o);
  return { overflow: chosen?.policy, overflowLimit: chosen?.limit };
}

/**
 * Ends this actor's session with `other` (the `returnAddress` of its
 * Available or Delivered): Cleared here, Dropped there. Returns false when
 * there is no such session now.
 */
export function clear(self: ActorBase, other: Address): boolean {
  if (!(other instanceof ActorAddress))
    throw new CallsignError('ERR_NO_SUCH_ACTOR', `not an actor address: ${String(other)}`);
  const directory = NodeDirectory.of(self.node);
  const open = directory.hasSession(self.address, other);
  directory.ask(new ClearRequest({ other }), self.address);
  return open;
}

/** Withdraws everything this actor published and subscribed; it receives Retracted. */
export function retract(self: ActorBase): void {
  NodeDirectory.of(self.node).ask(new RetractRequest(), self.address);
}

/**
 * The directory actor of the other node in the session between `self` and
 * `other` (undefined within one process, or without such a session): it
 * answers Enquiry with Ack, which is how `callsign ping` times round trips.
 */
export function remoteDirectoryOf(self: ActorBase, other: Address): ActorAddress | undefined {
  if (!(other instanceof ActorAddress)) return undefined;
  return NodeDirectory.peek(self.node)?.remoteDirectoryOf(self.address, other);
}

export type { NodeDirectoryInit, PublishOptions, Search, SessionOverflow, SubscribeOptions };
