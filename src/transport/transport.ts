import { codeOf, type ErrorCode, toError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import { Listening, NotConnected, NotListening } from '../messages/standard.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import type { Node } from '../runtime/node.ts';
import { nodeId } from '../wire/keys.ts';
import { Connection } from './connection.ts';
import type { LinkTransport } from './link.ts';
import { type ConnectOptions, NodeTransport, type TransportInit } from './node-transport.ts';
import { checkOverflow } from './options.ts';
import type { Overflow, OverflowPolicy } from './overflow.ts';

export type { ConnectOptions, TransportInit } from './node-transport.ts';
export { socketAnswers } from './unix-socket.ts';

const TRANSPORT = Symbol('callsign.transport');

function transportOf(node: Node): NodeTransport {
  return node.extension(TRANSPORT, () => new NodeTransport(node));
}

/**
 * Sets how this node's connections are secured and tuned. Call before the
 * first listen or connect; later calls change what later connections use.
 *
 * @throws CallsignError ERR_INVALID_SETTINGS for an option out of range.
 */
export function configureTransport(node: Node, init: TransportInit): void {
  transportOf(node).configure(init);
}

/**
 * Makes this node's identity ready (its realm and keys read, its handshake
 * warmed once in memory) so that its first connection costs what later ones
 * do. `createNode` awaits it before main runs. Does nothing while the realm
 * file does not exist (it is created at first use, as before); never throws:
 * a bad realm or key file is reported by the first listen or connect.
 * Resolves true when the identity is ready (the realm and keys were read).
 */
export function prepareTransport(node: Node): Promise<boolean> {
  return transportOf(node).prepare();
}

/**
 * Makes `transport` carry this node's links to and from endpoints that start
 * with `scheme:` (`relay:` for the WAN relay), whatever carries the others.
 */
export function addLinkScheme(node: Node, scheme: string, transport: LinkTransport): void {
  transportOf(node).schemes.set(scheme, transport);
}

/**
 * Listens on `endpoint` for connections from nodes of the same realm. The
 * actor receives Listening (with the real endpoint: port 0 becomes the port
 * the system chose) or NotListening; then Accepted for each connection, with
 * `returnAddress` set to the connecting actor, and Closed or Abandoned when a
 * connection ends.
 *
 * @example
 * ```ts
 * listen(self, '127.0.0.1:0');
 * const m = await self.select(Listening, NotListening);
 * ```
 */
export function listen(self: ActorBase, endpoint: string): void {
  const transport = transportOf(self.node);
  transport.listen(self.address, endpoint).then(
    (actual) => self.node.send(new Listening({ endpoint: actual }), self.address),
    (err: unknown) =>
      self.node.send(
        new NotListening({
          endpoint,
          code: codeOf(err, 'ERR_LISTEN_FAILED'),
          reason: toError(err).message,
        }),
        self.address,
      ),
  );
}

/**
 * Connects to a node listening on `endpoint`. The actor receives Connected,
 * with `returnAddress` set to the listening actor, or NotConnected with a
 * code; later Closed (ended here) or Abandoned (ended by the peer or lost).
 */
export function connect(self: ActorBase, endpoint: string, options: ConnectOptions = {}): void {
  const transport = transportOf(self.node);
  transport.connect(self.address, endpoint, options).catch((err: unknown) => {
    const code: ErrorCode = codeOf(err, 'ERR_CONNECT_FAILED');
    self.node.send(
      new NotConnected({ endpoint, code, reason: toError(err).message }),
      self.address,
    );
  });
}

/**
 * Ends the connection that reaches `remote` (an address received over it):
 * what was sent is delivered, this side's owner gets Closed and the peer's
 * Abandoned. Returns false when `remote` is not a remote address.
 */
export function close(self: ActorBase, remote: Address, reason = 'closed'): boolean {
  return transportOf(self.node).close(remote, reason);
}

/**
 * Flow control for a fast sender: sends what is pending and resolves once
 * nothing of this actor waits for `remote`'s window and less than 1 MiB is
 * buffered on its connection. Resolves at once for a local address or a
 * closed connection. A sender that awaits it between bursts never holds more
 * than a window's worth, however slow the receiver.
 *
 * @example
 * ```ts
 * for (let i = 0; i < count; i++) {
 *   self.send(new Sample({ i }), server);
 *   if (i % 1000 === 999) await drain(self, server);
 * }
 * ```
 */
export function drain(self: ActorBase, remote: Address): Promise<void> {
  const channel = remote instanceof ActorAddress ? remote.channel : undefined;
  if (!(channel instanceof Connection) || !(remote instanceof ActorAddress)) {
    return Promise.resolve();
  }
  return channel.drained(self.address.id, remote.id);
}

/**
 * Chooses what happens to messages from `self` to `remote` that must wait
 * because `remote` is slower than `self`: `'block'` (they wait in order; the
 * default, nothing is lost), `'drop-oldest'` (past `limit` waiting, the oldest
 * is dropped) or `'refuse'` (past `limit` waiting, new ones are refused).
 * Every message dropped or refused gives `self` an `Undelivered` with reason
 * `overflow` and code `ERR_OVERFLOW_DROPPED` or `ERR_OVERFLOW_REFUSED`.
 * Returns false when `remote` is not a remote address (local delivery never
 * waits).
 *
 * @example
 * ```ts
 * setOverflow(self, subscriber, 'drop-oldest', { limit: 100 }); // live data: newest wins
 * ```
 */
export function setOverflow(
  self: Pick<ActorBase, 'node' | 'address'>,
  remote: Address,
  policy: OverflowPolicy,
  options: { limit?: number } = {},
): boolean {
  const channel = remote instanceof ActorAddress ? remote.channel : undefined;
  if (!(channel instanceof Connection) || !(remote instanceof ActorAddress)) return false;
  const base = transportOf(self.node).options.overflow;
  const overflow: Overflow = checkOverflow({ policy, limit: options.limit ?? base.limit });
  channel.setOverflow(self.address.id, remote.id, overflow);
  return true;
}

/** Stops listening on `endpoint` and closes the connections it accepted. */
export function stopListening(self: ActorBase, endpoint: string): Promise<boolean> {
  return transportOf(self.node).stopListening(endpoint);
}

/** This node's long-term identity: its public key (base64) and short id. */
export async function localIdentity(node: Node): Promise<{ publicKey: string; nodeId: string }> {
  const init = await transportOf(node).handshakeInit();
  return {
    publicKey: Buffer.from(init.keys.publicKey).toString('base64'),
    nodeId: nodeId(init.keys.publicKey),
  };
}

/** How many connections the node has open (for status displays and tests). */
export function connectionCount(node: Node): number {
  return transportOf(node).registry.size;
}

/** What a node's transport holds now, for status displays (`callsign network`) and tests. */
export interface TransportStatus {
  /** Open connections, and to how many distinct peer nodes. */
  connections: number;
  peers: number;
  /** Messages waiting for a slow receiver's window, over all connections. */
  waiting: number;
  /** Per listener: its endpoint, links held, and how many are still in their handshake. */
  listeners: { endpoint: string; links: number; pending: number }[];
}

/** The node's transport status; see {@link TransportStatus}. Undelivered counts are in `node.counters`. */
export function transportStatus(node: Node): TransportStatus {
  const t = transportOf(node);
  let waiting = 0;
  for (const c of t.registry.all()) waiting += c.waiting;
  return {
    connections: t.registry.size,
    peers: t.registry.peers,
    waiting,
    listeners: [...t.listeners.values()].map((entry) => ({
      endpoint: entry.endpoint,
      ...entry.listener.counts,
    })),
  };
}
