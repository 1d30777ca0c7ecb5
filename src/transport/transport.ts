import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
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
import {
  HandshakeError,
  type HandshakeInit,
  type HandshakeResult,
  type HandshakeStep,
  InitiatorHandshake,
  ResponderHandshake,
} from '../wire/handshake.ts';
import { generateNodeKeys, loadOrCreateNodeKeys, type NodeKeys, nodeId } from '../wire/keys.ts';
import { loadOrCreateRealm, type Realm, resolveRealmPath } from '../wire/realm.ts';
import { DEFAULT_MAX_FRAME_SIZE } from '../wire/seal.ts';
import { Connection, type ConnectionOptions, type Ending } from './connection.ts';
import { type Endpoint, formatEndpoint, parseEndpoint, wsUrl } from './endpoint.ts';

/** How a node's connections are secured and tuned; see {@link configureTransport}. */
export interface TransportInit extends Partial<ConnectionOptions> {
  /** The realm this node belongs to. Default: the realm file (see docs/security.md). */
  realm?: Realm;
  /** This node's long-term keys. Default: `CALLSIGN_NODE_KEYS` file if set, else new keys per process. */
  keys?: NodeKeys;
  /** Accept only peers whose long-term public key this approves. Default: any peer of the realm. */
  trust?: (peerPublicKey: Uint8Array) => boolean;
  /** How long a handshake may take, in ms. Default 5000. */
  handshakeMs?: number;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Give up after this many seconds: NotConnected with ERR_CONNECT_FAILED. Default 5. */
  seconds?: number;
  /** The long-term public key the listener must prove it holds (ERR_PEER_KEY_MISMATCH otherwise). */
  expectedPeerKey?: Uint8Array;
}

const TRANSPORT = Symbol('callsign.transport');
const WS_OVERHEAD = 8 + 16 + 64;

interface ListenerEntry {
  endpoint: string;
  owner: ActorAddress;
  server: Server;
  wss: WebSocketServer;
  unixPath: string | undefined;
  connections: Set<Connection>;
}

/** The transport's state in one node: identity, listeners and connections. */
class Transport {
  readonly #node: Node;
  #init: TransportInit = {};
  #realm: Realm | undefined;
  #keys: NodeKeys | undefined;
  readonly listeners = new Map<string, ListenerEntry>();
  readonly connections = new Set<Connection>();
  readonly #pending = new Set<WebSocket>();

  constructor(node: Node) {
    this.#node = node;
    node.onStop(() => this.stop());
  }

  configure(init: TransportInit): void {
    this.#init = { ...this.#init, ...init };
    if (init.realm) this.#realm = init.realm;
    if (init.keys) this.#keys = init.keys;
  }

  get options(): ConnectionOptions {
    return {
      maxFrameSize: this.#init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      maxMessageSize: this.#init.maxMessageSize ?? 64 * 1024 * 1024,
      keepaliveMs: this.#init.keepaliveMs ?? 1000,
      deadAfterMs: this.#init.deadAfterMs ?? 2500,
    };
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
      maxFrameSize: this.options.maxFrameSize,
    };
  }

  async listen(owner: ActorAddress, text: string): Promise<string> {
    const endpoint = parseEndpoint(text);
    const init = await this.handshakeInit();
    const options = this.options;
    const server = createServer((_req, res) => {
      res.writeHead(426).end();
    });
    const wss = new WebSocketServer({
      server,
      maxPayload: options.maxFrameSize + WS_OVERHEAD,
      perMessageDeflate: false,
      clientTracking: false,
    });
    let unixPath: string | undefined;
    if (endpoint.kind === 'unix') {
      unixPath = endpoint.path;
      await removeStaleSocket(endpoint.path);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (endpoint.kind === 'unix') server.listen(endpoint.path, done);
      else server.listen(endpoint.port, endpoint.host, done);
    });
    const bound = server.address();
    const actual =
      endpoint.kind === 'tcp' && bound && typeof bound === 'object'
        ? formatEndpoint({ kind: 'tcp', host: endpoint.host, port: bound.port })
        : formatEndpoint(endpoint);
    const entry: ListenerEntry = {
      endpoint: actual,
      owner,
      server,
      wss,
      unixPath,
      connections: new Set(),
    };
    this.listeners.set(actual, entry);
    server.on('error', (err) => this.#node.log('WARNING', `listener ${actual}: ${err.message}`));
    wss.on('connection', (ws, req) => {
      const remote = req.socket.remoteAddress
        ? formatEndpoint({
            kind: 'tcp',
            host: req.socket.remoteAddress,
            port: req.socket.remotePort ?? 0,
          })
        : undefined;
      this.#accept(entry, ws, init, remote);
    });
    return actual;
  }

  #accept(
    entry: ListenerEntry,
    ws: WebSocket,
    init: HandshakeInit,
    remote: string | undefined,
  ): void {
    const from = remote ?? entry.endpoint;
    this.#pending.add(ws);
    this.#handshake(ws, new ResponderHandshake(init), {
      done: (result) => {
        this.#pending.delete(ws);
        const connection = this.#connection(ws, result, entry.endpoint, entry.owner, {
          onOpen: (c) =>
            this.#node.send(
              new Accepted({ endpoint: entry.endpoint, peerKey: c.peerKey, remote }),
              c.owner,
              c.remoteOwner,
            ),
          onEnd: (c, ending) => {
            entry.connections.delete(c);
            this.#ended(c, ending);
          },
        });
        entry.connections.add(connection);
      },
      failed: (err) => {
        this.#pending.delete(ws);
        const code = codeOf(err, 'ERR_HANDSHAKE_FAILED');
        this.#node.log(
          'WARNING',
          `connection from ${from} to ${entry.endpoint} refused: ${toError(err).message} (${code})`,
        );
        // A refusal the initiator can understand (wrong realm, version) goes back before the close.
        if (err instanceof HandshakeError && err.reply && ws.readyState === WebSocket.OPEN) {
          ws.send(err.reply, () => ws.close(1008));
          setTimeout(() => ws.terminate(), 1000).unref();
        } else {
          ws.terminate();
        }
      },
    });
  }

  async connect(owner: ActorAddress, text: string, options: ConnectOptions): Promise<void> {
    const endpoint = parseEndpoint(text);
    const init = await this.handshakeInit(options.expectedPeerKey);
    const connectionOptions = this.options;
    const ws = new WebSocket(wsUrl(endpoint), {
      perMessageDeflate: false,
      maxPayload: connectionOptions.maxFrameSize + WS_OVERHEAD,
      handshakeTimeout: (options.seconds ?? 5) * 1000,
    });
    this.#pending.add(ws);
    const handshake = new InitiatorHandshake(init);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('error', (err) =>
          reject(
            new CallsignError('ERR_CONNECT_FAILED', `cannot reach ${text}: ${err.message}`, {
              cause: err,
            }),
          ),
        );
        ws.once('open', () => {
          this.#handshake(ws, handshake, {
            // Synchronous: frames that follow the handshake in the same read must find the connection.
            done: (result) =>
              this.#connection(ws, result, formatEndpoint(endpoint), owner, {
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
              }),
            failed: (err) => {
              ws.terminate();
              reject(err);
            },
          });
          ws.send(handshake.start());
        });
      });
    } finally {
      this.#pending.delete(ws);
    }
  }

  #connection(
    ws: WebSocket,
    result: HandshakeResult,
    endpoint: string,
    owner: ActorAddress,
    events: { onOpen: (c: Connection) => void; onEnd: (c: Connection, ending: Ending) => void },
  ): Connection {
    const connection = new Connection({
      node: this.#node,
      ws,
      sealer: result.sealer,
      opener: result.opener,
      endpoint,
      peerId: result.peerId,
      peerKey: Buffer.from(result.peerKey).toString('base64'),
      owner,
      options: this.options,
      onOpen: events.onOpen,
      onEnd: (c, ending) => {
        this.connections.delete(c);
        events.onEnd(c, ending);
      },
    });
    this.connections.add(connection);
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

  /**
   * Runs a handshake over `ws` within the deadline. `done` is called
   * synchronously from the message that completes it, so the connection is
   * in place before the next frame is read.
   */
  #handshake(
    ws: WebSocket,
    handshake: InitiatorHandshake | ResponderHandshake,
    on: { done: (result: HandshakeResult) => void; failed: (err: unknown) => void },
  ): void {
    const ms = this.#init.handshakeMs ?? 5000;
    const fail = (err: unknown) => {
      cleanup();
      on.failed(err);
    };
    const timer = setTimeout(
      () => fail(new CallsignError('ERR_HANDSHAKE_FAILED', `no handshake within ${ms} ms`)),
      ms,
    );
    const onClose = () =>
      fail(
        new CallsignError(
          'ERR_HANDSHAKE_FAILED',
          'the peer closed the connection during the handshake',
        ),
      );
    const onMessage = (data: Buffer) => {
      let step: HandshakeStep;
      try {
        step = handshake.receive(data);
      } catch (err) {
        fail(err);
        return;
      }
      if (step.send) ws.send(step.send);
      if (step.result) {
        cleanup();
        on.done(step.result);
      }
    };
    const cleanup = () => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
  }

  close(remote: Address, reason: string): boolean {
    const target = remote instanceof ActorAddress ? remote.channel : undefined;
    if (!(target instanceof Connection)) return false;
    target.close(reason);
    return true;
  }

  async stopListening(endpoint: string): Promise<boolean> {
    const entry =
      this.listeners.get(endpoint) ?? this.listeners.get(formatEndpoint(parseEndpoint(endpoint)));
    if (!entry) return false;
    this.listeners.delete(entry.endpoint);
    for (const c of entry.connections) c.close('listener stopped');
    await closeServer(entry);
    return true;
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.close('node stopping');
    for (const ws of this.#pending) ws.terminate();
    await Promise.all([...this.listeners.values()].map((entry) => closeServer(entry)));
    this.listeners.clear();
  }
}

async function closeServer(entry: ListenerEntry): Promise<void> {
  entry.wss.close();
  await new Promise<void>((resolve) => {
    entry.server.close(() => resolve());
    entry.server.closeAllConnections();
  });
  if (entry.unixPath && existsSync(entry.unixPath)) {
    try {
      unlinkSync(entry.unixPath);
    } catch {
      // already gone
    }
  }
}

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = netConnect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes a socket file nobody listens on any more; refuses if one does. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await socketAnswers(path);
  if (alive) throw new CallsignError('ERR_LISTEN_FAILED', `${path} is in use by another listener`);
  unlinkSync(path);
}

function transportOf(node: Node): Transport {
  return node.extension(TRANSPORT, () => new Transport(node));
}

/**
 * Sets how this node's connections are secured and tuned. Call before the
 * first listen or connect; later calls change what later connections use.
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
 * Flow control for a fast sender: sends what is pending to `remote` and
 * resolves once less than 1 MiB is waiting to be written on its connection.
 * Resolves at once for a local address or a closed connection.
 *
 * @example
 * ```ts
 * for (let i = 0; i < count; i++) {
 *   self.send(new Sample({ i }), server);
 *   if (i % 1000 === 999) await drain(self, server);
 * }
 * ```
 */
export function drain(_self: ActorBase, remote: Address): Promise<void> {
  const channel = remote instanceof ActorAddress ? remote.channel : undefined;
  return channel instanceof Connection ? channel.drained() : Promise.resolve();
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
  return transportOf(node).connections.size;
}

export type { Endpoint };
