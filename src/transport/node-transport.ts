import { existsSync } from 'node:fs';
import { CallsignError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import { Abandoned, Accepted, Closed, Connected } from '../messages/standard.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { Node } from '../runtime/node.ts';
import {
  type HandshakeInit,
  type HandshakeResult,
  InitiatorHandshake,
  warmHandshake,
} from '../wire/handshake.ts';
import { generateNodeKeys, loadOrCreateNodeKeys, type NodeKeys } from '../wire/keys.ts';
import { loadOrCreateRealm, type Realm, resolveRealmPath } from '../wire/realm.ts';
import { Connection, type Ending } from './connection.ts';
import { formatEndpoint, parseEndpoint } from './endpoint.ts';
import { runHandshake } from './handshake-driver.ts';
import type { Link, LinkContext, LinkListener, LinkTransport } from './link.ts';
import { listenerLimits, maxFrameBytes, resolveOptions, type TransportOptions } from './options.ts';
import { ConnectionRegistry } from './registry.ts';
import { wsTransport } from './ws-transport.ts';

/** How a node's connections are secured and tuned; see {@link configureTransport}. */
export interface TransportInit extends Partial<TransportOptions> {
  /** The realm this node belongs to. Default: read from {@link TransportInit.realmFile}. */
  realm?: Realm;
  /**
   * The realm file to read (created if missing) when `realm` is not given.
   * Default: `~/.config/callsign/realm.json`. `createNode` sets it from the
   * environment (`CALLSIGN_REALM`, `XDG_CONFIG_HOME`; see docs/security.md).
   */
  realmFile?: string;
  /** This node's long-term keys. Default: read from `keysFile` if given, else new keys per process. */
  keys?: NodeKeys;
  /** The file of this node's long-term keys (created if missing). `createNode` sets it from `CALLSIGN_NODE_KEYS`. */
  keysFile?: string;
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

interface ListenerEntry {
  readonly endpoint: string;
  readonly owner: ActorAddress;
  readonly listener: LinkListener;
}

/** The transport's state in one node: identity, listeners and connections. */
export class NodeTransport {
  readonly #node: Node;
  #init: TransportInit = {};
  #given: Partial<TransportOptions> = {};
  #options: TransportOptions = resolveOptions({});
  #realm: Realm | undefined;
  #keys: NodeKeys | undefined;
  #links: LinkTransport = wsTransport();
  readonly listeners = new Map<string, ListenerEntry>();
  readonly registry = new ConnectionRegistry();
  /** Transports of endpoints with a scheme of their own (`relay:`), by scheme. */
  readonly schemes = new Map<string, LinkTransport>();
  /** Links in their handshake, cut when the node stops. */
  readonly #pending = new Set<Link>();
  readonly #context: LinkContext;

  constructor(node: Node) {
    this.#node = node;
    this.#context = { clock: node.clock, log: (level, text) => node.log(level, text) };
    node.onStop(() => this.stop());
  }

  configure(init: TransportInit): void {
    const { realm, keys, trust, transport, realmFile, keysFile, ...options } = init;
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
    this.#realm ??= await loadOrCreateRealm(this.#init.realmFile ?? resolveRealmPath({}));
    const keysFile = this.#init.keysFile;
    this.#keys ??= keysFile ? await loadOrCreateNodeKeys(keysFile) : generateNodeKeys();
    return {
      realm: this.#realm,
      keys: this.#keys,
      trust: this.#init.trust,
      expectedPeerKey,
      maxFrameSize: this.#options.maxFrameSize,
    };
  }

  /** See {@link prepareTransport}. */
  async prepare(): Promise<boolean> {
    if (!this.#realm && !existsSync(this.#init.realmFile ?? resolveRealmPath({}))) return false;
    try {
      warmHandshake(await this.handshakeInit());
      return true;
    } catch {
      // A bad realm or key file: the first listen or connect reports it with its code.
      return false;
    }
  }

  async listen(owner: ActorAddress, text: string): Promise<string> {
    const init = await this.handshakeInit();
    let entry: ListenerEntry | undefined;
    const listener = await this.#linksFor(text).listen(text, {
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

  /** The transport of `text`: the one of its scheme, if registered, else the node's. */
  #linksFor(text: string): LinkTransport {
    const scheme = /^([a-z][a-z0-9+.-]*):/.exec(text)?.[1];
    return (scheme !== undefined && this.schemes.get(scheme)) || this.#links;
  }

  #accept(entry: ListenerEntry, link: Link, init: HandshakeInit): void {
    const from = link.remote ?? entry.endpoint;
    this.#pending.add(link);
    runHandshake({
      link,
      role: 'responder',
      handshake: overLink(init, link),
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
    const transport = this.#linksFor(text);
    // Where the carrier can, M1 goes with the link's opening: one round trip less.
    const started = transport.carriesHello ? new InitiatorHandshake(init) : undefined;
    const link = await transport.dial(text, {
      context: this.#context,
      timeoutMs,
      maxFrameBytes: maxFrameBytes(this.#options),
      ...(started ? { hello: started.start() } : {}),
    });
    if (started && link.handshake) {
      const err = new CallsignError(
        'ERR_INTERNAL',
        `${transport.name}: a link that carried the node's hello asks for other credentials`,
      );
      link.close(err);
      throw err;
    }
    this.#pending.add(link);
    await new Promise<void>((resolve, reject) => {
      runHandshake({
        link,
        role: 'initiator',
        handshake: overLink(init, link),
        ...(started ? { started } : {}),
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

/** The handshake of `init`, with what `link` asks instead (see {@link Link.handshake}). */
function overLink(init: HandshakeInit, link: Link): HandshakeInit {
  const over = link.handshake;
  if (!over) return init;
  return {
    ...init,
    realm: over.realm ?? init.realm,
    keys: over.keys ?? init.keys,
    expectedPeerKey: over.expectedPeerKey ?? init.expectedPeerKey,
    trust: over.trust ?? init.trust,
  };
}

/** The canonical text of an endpoint when it parses; the text itself otherwise (other transports). */
function formatEndpointText(text: string): string {
  try {
    return formatEndpoint(parseEndpoint(text));
  } catch {
    return text;
  }
}
