import { CallsignError, codeOf, type ErrorCode, toError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import {
  Abandoned,
  Accepted,
  Closed,
  Connected,
  Listening,
  NotConnected,
  NotListening,
} from '../messages/standard.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import type { Node } from '../runtime/node.ts';
import type { HandshakeInit, HandshakeResult } from '../wire/handshake.ts';
import { generateNodeKeys, loadOrCreateNodeKeys, type NodeKeys, nodeId } from '../wire/keys.ts';
import { loadOrCreateRealm, type Realm, resolveRealmPath } from '../wire/realm.ts';
import { Connection, type Ending } from './connection.ts';
import { formatEndpoint, parseEndpoint } from './endpoint.ts';
import { runHandshake } from './handshake-driver.ts';
import type { Link, LinkContext, LinkListener, LinkTransport } from './link.ts';
import {
  checkOverflow,
  listenerLimits,
  maxFrameBytes,
  resolveOptions,
  type TransportOptions,
} from './options.ts';
import type { Overflow, OverflowPolicy } from './overflow.ts';
import { ConnectionRegistry } from './registry.ts';
import { wsTransport } from './ws-transport.ts';

export { socketAnswers } from './unix-socket.ts';

/** How a node's connections are secured and tuned; see {@link configureTransport}. */
export interface TransportInit extends Partial<TransportOptions> {
  /** The realm this node belongs to. Default: the realm file (see docs/security.md). */
  realm?: Realm;
  /** This node's long-term keys. Default: `CALLSIGN_NODE_KEYS` file if set, else new keys per process. */
  keys?: NodeKeys;
  /** Accept only peers whose long-term public key this approves. Default: any peer of the realm. */
  trust?: (peerPublicKey: Uint8Array) => boolean;
  /** What carries the frames. Default: {@link wsTransport} (unix sockets and TCP). */
  transport?: LinkTransport;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Give up after this many seconds: NotConnected with ERR_CONNECT_FAILED. Default 5. */
  seconds?: number;
  /** The long-term public key the listener must prove it holds (ERR_PEER_KEY_MISMATCH otherwise). */
  expectedPeerKey?: Uint8Array;
}

const TRANSPORT = Symbol('callsign.transport');

interface ListenerEntry {
  readonly endpoint: string;
  readonly owner: ActorAddress;
  readonly listener: LinkListener;
}

/** The transport's state in one node: identity, listeners and connections. */
class NodeTransport {
  readonly #node: Node;
  #init: TransportInit = {};
  #given: Partial<TransportOptions> = {};
  #options: TransportOptions = resolveOptions({});
  #realm: Realm | undefined;
  #keys: NodeKeys | undefined;
  #links: LinkTransport = wsTransport();
  readonly listeners = new Map<string, ListenerEntry>();
  readonly registry = new ConnectionRegistry();
  /** Links in their handshake, cut when the node stops. */
  readonly #pending = new Set<Link>();
  readonly #context: LinkContext;

  constructor(node: Node) {
    this.#node = node;
    this.#context = { clock: node.clock, log: (level, text) => node.log(level, text) };
    node.onStop(() => this.stop());
  }

  configure(init: TransportInit): void {
    const { realm, keys, trust, transport, ...options } = init;
    this.#options = resolveOptions({ ...this.#given, ...options });
    this.#given = { ...this.#given, ...options };
    this.#init = { ...this.#init, ...init };
    if (realm) this.#realm = realm;
    if (keys) this.#keys = keys;
    if (transport) this.#links = transport;
    if (trust !== undefined) this.#init.trust = trust;
  }

  get options(): TransportOptions {
    return this.#options;
  }

  async handshakeInit(expectedPeerKey?: Uint8Array): Promise<HandshakeInit> {
    this.#realm ??= await loadOrCreateRealm(resolveRealmPath(process.env));
    const keysPath = process.env.CALLSIGN_NODE_KEYS;
    this.#keys ??= keysPath ? await loadOrCreateNodeKeys(keysPath) : generateNodeKeys();
    return {
      realm: this.#realm,
      keys: this.#keys,
      trust: this.#init.trust,
      expectedPeerKey,
      maxFrameSize: this.#options.maxFrameSize,
    };
  }

  async listen(owner: ActorAddress, text: string): Promise<string> {
    const init = await this.handshakeInit();
    let entry: ListenerEntry | undefined;
    const listener = await this.#links.listen(text, {
      limits: listenerLimits(this.#options),
      context: this.#context,
      onLink: (link) => {
        if (entry) this.#accept(entry, link, init);
        else link.close(new CallsignError('ERR_CLOSED', 'listener not ready'));
      },
    });
    entry = { endpoint: listener.endpoint, owner, listener };
    this.listeners.set(listener.endpoint, entry);
    return listener.endpoint;
  }

  #accept(entry: ListenerEntry, link: Link, init: HandshakeInit): void {
    const from = link.remote ?? entry.endpoint;
    this.#pending.add(link);
    runHandshake({
      link,
      role: 'responder',
      handshake: init,
      clock: this.#node.clock,
      deadlineMs: this.#options.handshakeMs,
      done: (result) => {
        this.#pending.delete(link);
        this.#connection(link, result, entry.endpoint, entry.owner, entry.endpoint, {
          onOpen: (c) =>
            this.#node.send(
              new Accepted({ endpoint: entry.endpoint, peerKey: c.peerKey, remote: link.remote }),
              c.owner,
              c.remoteOwner,
            ),
          onEnd: (c, ending) => this.#ended(c, ending),
        });
      },
      failed: (err) => {
        this.#pending.delete(link);
        this.#node.log(
          'WARNING',
          `connection from ${from} to ${entry.endpoint} refused: ${err.message} (${err.code})`,
        );
      },
    });
  }

  async connect(owner: ActorAddress, text: string, options: ConnectOptions): Promise<void> {
    const endpoint = formatEndpointText(text);
    const init = await this.handshakeInit(options.expectedPeerKey);
    const timeoutMs = (options.seconds ?? 5) * 1000;
    const link = await this.#links.dial(text, {
      context: this.#context,
      timeoutMs,
      maxFrameBytes: maxFrameBytes(this.#options),
    });
    this.#pending.add(link);
    await new Promise<void>((resolve, reject) => {
      runHandshake({
        link,
        role: 'initiator',
        handshake: init,
        clock: this.#node.clock,
        deadlineMs: Math.min(timeoutMs, this.#options.handshakeMs),
        // Synchronous: frames that follow the handshake in the same read must find the connection.
        done: (result) => {
          this.#pending.delete(link);
          this.#connection(link, result, endpoint, owner, undefined, {
            onOpen: (c) => {
              resolve();
              this.#node.send(
                new Connected({ endpoint: c.endpoint, peerKey: c.peerKey }),
                c.owner,
                c.remoteOwner,
              );
            },
            onEnd: (c, ending) => {
              // Ended before the listener named its actor: the connect failed.
              if (!c.remoteOwner)
                reject(new CallsignError(ending.code ?? 'ERR_CONNECT_FAILED', ending.reason));
              this.#ended(c, ending);
            },
          });
        },
        failed: (err) => {
          this.#pending.delete(link);
          reject(err);
        },
      });
    });
  }

  #connection(
    link: Link,
    result: HandshakeResult,
    endpoint: string,
    owner: ActorAddress,
    listener: string | undefined,
    events: { onOpen: (c: Connection) => void; onEnd: (c: Connection, ending: Ending) => void },
  ): Connection {
    const connection = new Connection({
      node: this.#node,
      link,
      sealer: result.sealer,
      opener: result.opener,
      endpoint,
      peerId: result.peerId,
      peerKey: Buffer.from(result.peerKey).toString('base64'),
      owner,
      options: this.#options,
      onOpen: events.onOpen,
      onEnd: (c, ending) => {
        this.registry.remove(c);
        events.onEnd(c, ending);
      },
    });
    if (!connection.closed) this.registry.add(connection, listener);
    return connection;
  }

  /** Tells the owner how a connection ended (only if the peer's OPEN had named its actor). */
  #ended(c: Connection, ending: Ending): void {
    if (!c.remoteOwner) return;
    const message = ending.here
      ? new Closed({ endpoint: c.endpoint, code: ending.code, reason: ending.reason })
      : new Abandoned({
          endpoint: c.endpoint,
          code: ending.code ?? 'ERR_CONNECTION_LOST',
          reason: ending.reason,
        });
    this.#node.send(message, c.owner, c.remoteOwner);
  }

  close(remote: Address, reason: string): boolean {
    const target = remote instanceof ActorAddress ? remote.channel : undefined;
    if (!(target instanceof Connection)) return false;
    target.close(reason);
    return true;
  }

  async stopListening(endpoint: string): Promise<boolean> {
    const entry = this.listeners.get(endpoint) ?? this.listeners.get(formatEndpointText(endpoint));
    if (!entry) return false;
    this.listeners.delete(entry.endpoint);
    for (const c of this.registry.acceptedBy(entry.endpoint)) c.close('listener stopped');
    await entry.listener.close();
    return true;
  }

  async stop(): Promise<void> {
    for (const c of [...this.registry.all()]) c.close('node stopping');
    for (const link of this.#pending) link.close(new CallsignError('ERR_CLOSED', 'node stopping'));
    await Promise.all([...this.listeners.values()].map((entry) => entry.listener.close()));
    this.listeners.clear();
  }
}

/** The canonical text of an endpoint when it parses; the text itself otherwise (other transports). */
function formatEndpointText(text: string): string {
  try {
    return formatEndpoint(parseEndpoint(text));
  } catch {
    return text;
  }
}

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
  self: ActorBase,
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
