/**
 * The relay's listener: an HTTP (or HTTPS, with a certificate) server that
 * only upgrades to WebSocket, on any path (so that it can sit behind a
 * reverse proxy), facing the internet. The limits of docs/transport.md hold
 * from the TCP accept on: at most `maxConnections` sockets, at most
 * `maxPending` not yet admitted, one deadline from accept to admission, and
 * nothing larger than a handshake message before it. Bytes that are not a
 * WebSocket upgrade end only their own socket. The first message of every
 * WebSocket must be a HELLO; what follows is the caller's.
 *
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CallsignError, type ErrorCode } from '../../src/errors.ts';
import { formatEndpoint, parseEndpoint } from '../../src/index.ts';
import {
  AcceptGate,
  decodeHello,
  guardSocket,
  type Hello,
  type LinkContext,
  type SocketGuard,
  upgradeServer,
} from '../../src/internal.ts';

const MAX_HEADER_BYTES = 8 * 1024;
/** ws close code for a close with one of our error codes as its reason. */
export const CLOSE_WITH_CODE = 4000;

/** Limits of the relay's listener. */
export interface RelayListenerLimits {
  maxConnections: number;
  maxPending: number;
  /** From TCP accept to admission (a site's handshake, a session's WELCOME), in ms. */
  handshakeMs: number;
  /** The largest WebSocket message after admission. */
  maxFrameBytes: number;
}

/** What the listener hands on: a WebSocket whose HELLO has arrived. */
export interface Arrival {
  readonly hello: Hello;
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly remote: string | undefined;
  /** The guard of the handshake phase, still reading the socket until admission. */
  readonly guard: SocketGuard;
  /** Admitted: lift the stranger's limits (pending count, deadline, frame size). */
  admitted(): void;
  /** Refuses the link with a code the peer is told. */
  refuse(code: ErrorCode, reason: string): void;
}

/** Options of {@link relayListen}. */
export interface RelayListenInit {
  readonly limits: RelayListenerLimits;
  readonly context: LinkContext;
  /** TLS: the certificate chain and key, PEM. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /**
   * Told a copy of every chunk read from any socket (the `--record` audit). A
   * copy, because the chunk itself is the socket's buffer: frames of the
   * links that end here (a site's link to its tenant's directory) are opened
   * in place inside it, so by the time a file write gets to it, it would
   * hold their plaintext rather than what came over the wire.
   */
  readonly record?: (chunk: Buffer) => void;
  onArrival(arrival: Arrival): void;
}

/** A running relay listener. */
export interface RelayListener {
  readonly endpoint: string;
  readonly counts: { readonly sockets: number; readonly pending: number };
  close(): Promise<void>;
}

/** Listens at `text` (`host:port`); see the module. */
export async function relayListen(text: string, init: RelayListenInit): Promise<RelayListener> {
  const endpoint = parseEndpoint(text);
  if (endpoint.kind !== 'tcp')
    throw new CallsignError('ERR_INVALID_ENDPOINT', `the relay listens on TCP, not ${text}`);
  const { limits, context } = init;
  let label = formatEndpoint(endpoint);

  const refuseSocket = (socket: Duplex, code: ErrorCode, reason: string) => {
    context.log('WARNING', `relay ${label}: connection refused: ${reason} (${code})`);
    socket.destroy();
  };
  const closeWith = (ws: WebSocket, code: ErrorCode) => {
    try {
      ws.close(CLOSE_WITH_CODE, code);
    } catch {}
    context.clock.after(1000, () => ws.terminate());
  };
  // Admission is the handshake here; once upgraded, the peer is told the code.
  const gate = new AcceptGate<WebSocket>({
    limits,
    context,
    refuse: refuseSocket,
    expired: (ws, reason) => {
      context.log(
        'WARNING',
        `relay ${label}: connection refused: ${reason} (ERR_HANDSHAKE_TIMEOUT)`,
      );
      closeWith(ws, 'ERR_HANDSHAKE_TIMEOUT');
    },
  });

  const onRequest = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    context.log(
      'WARNING',
      `relay ${label}: ${req.method} ${req.url?.slice(0, 64)} is not an upgrade (ERR_BAD_UPGRADE)`,
    );
    res.writeHead(426, { connection: 'close' }).end();
  };
  const server: Server = init.tls
    ? createHttpsServer(
        { ...init.tls, maxHeaderSize: MAX_HEADER_BYTES, handshakeTimeout: limits.handshakeMs },
        onRequest,
      )
    : createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES }, onRequest);
  server.keepAliveTimeout = 1;
  if (init.tls) server.maxConnections = limits.maxConnections;

  const accepted = (socket: Socket) => {
    const record = init.record;
    if (record) socket.on('data', (chunk: Buffer) => record(Buffer.from(chunk)));
    gate.accept(socket);
  };
  server.on(init.tls ? 'secureConnection' : 'connection', accepted);
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    refuseSocket(socket, 'ERR_BAD_UPGRADE', `not HTTP (${err.code ?? err.message})`);
  });
  if (init.tls) {
    server.on('tlsClientError', (err: Error, socket: Duplex) => {
      refuseSocket(socket, 'ERR_BAD_UPGRADE', `TLS: ${err.message}`);
    });
  }

  const wss = upgradeServer(
    limits.maxFrameBytes,
    (text) => context.log('WARNING', `relay ${label}: ${text}`),
    (socket, reason) => refuseSocket(socket, 'ERR_BAD_UPGRADE', reason),
  );

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const entry = gate.entry(socket as Socket);
    if (!entry) {
      socket.destroy();
      return;
    }
    const raw = socket as Socket;
    const remote = raw.remoteAddress
      ? formatEndpoint({ kind: 'tcp', host: raw.remoteAddress, port: raw.remotePort ?? 0 })
      : undefined;
    const guard = guardSocket(socket, context, `relay connection from ${remote ?? '?'}`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      entry.upgraded = ws;
      raw.setNoDelay(true);
      ws.on('error', () => {});
      const first = (data: Buffer, isBinary: boolean) => {
        ws.off('message', first);
        let hello: Hello;
        try {
          if (!isBinary) throw new CallsignError('ERR_WS_PROTOCOL', 'a text frame');
          hello = decodeHello(data);
        } catch (err) {
          const code = err instanceof CallsignError ? err.code : 'ERR_MALFORMED_FRAME';
          context.log(
            'WARNING',
            `relay ${label}: connection from ${remote ?? '?'} refused: ${(err as Error).message} (${code})`,
          );
          closeWith(ws, code);
          return;
        }
        init.onArrival({
          hello,
          ws,
          socket,
          remote,
          guard,
          admitted: () => {
            guard.remove();
            gate.settle(entry);
          },
          refuse: (code, reason) => {
            context.log(
              'WARNING',
              `relay ${label}: ${hello.kind} from ${remote ?? '?'} refused: ${reason} (${code})`,
            );
            closeWith(ws, code);
          },
        });
      };
      ws.on('message', first);
    });
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) =>
      reject(new CallsignError('ERR_LISTEN_FAILED', `cannot listen on ${label}: ${err.message}`));
    server.once('error', failed);
    server.listen(endpoint.port, endpoint.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err) => context.log('WARNING', `relay ${label}: ${err.message}`));
  const bound = server.address();
  if (bound && typeof bound === 'object') {
    label = formatEndpoint({ kind: 'tcp', host: endpoint.host, port: bound.port });
  }

  let closing: Promise<void> | undefined;
  return {
    endpoint: label,
    get counts() {
      return { sockets: gate.size, pending: gate.pending };
    },
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const entry of [...gate.entries()]) {
          if (entry.upgraded) entry.upgraded.terminate();
          else entry.socket.destroy();
        }
        wss.close();
        await done;
      })();
      return closing;
    },
  };
}
