import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CallsignError, type ErrorCode } from '../errors.ts';
import { AcceptGate } from './accept-gate.ts';
import { formatEndpoint, parseEndpoint } from './endpoint.ts';
import type { Link, LinkListener, ListenInit } from './link.ts';
import { removeStaleSocket, unlinkSocket } from './unix-socket.ts';
import { HELLO_HEADER, HELLO_TAKEN, readHelloHeader } from './ws-hello.ts';
import { guardSocket, wsLink } from './ws-link.ts';

/** The most header bytes an upgrade request may have (Node's default is 16 KiB). */
const MAX_HEADER_BYTES = 8 * 1024;
/** Links still open this long after the listener closed are cut, in ms. */
const CLOSE_DEADLINE_MS = 1500;

/**
 * Listens for ws links at `text`. Limits hold from the TCP accept on: at most
 * `maxConnections` sockets, at most `maxPending` of them before their
 * handshake completes, and one deadline from accept to completed handshake;
 * the excess is cut at accept with a logged code. Bytes that are not a
 * WebSocket upgrade (garbage, a TLS ClientHello, a plain HTTP request) end
 * only their own socket. An upgrade request may carry the dialler's first
 * handshake message (`ws-hello.ts`): the link gives it as its first frame.
 */
export async function wsListen(text: string, init: ListenInit): Promise<LinkListener> {
  const endpoint = parseEndpoint(text);
  const { limits, context } = init;
  let label = formatEndpoint(endpoint);

  const refuse = (socket: Duplex, code: ErrorCode, reason: string) => {
    context.log('WARNING', `listener ${label}: connection refused: ${reason} (${code})`);
    socket.destroy();
  };
  // Once upgraded, a socket's link tells the peer why it is cut.
  const gate = new AcceptGate<Link>({
    limits,
    context,
    refuse,
    expired: (link, reason) => {
      context.log(
        'WARNING',
        `listener ${label}: connection refused: ${reason} (ERR_HANDSHAKE_TIMEOUT)`,
      );
      link.close(new CallsignError('ERR_HANDSHAKE_TIMEOUT', reason));
    },
  });

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    context.log(
      'WARNING',
      `listener ${label}: ${req.method} ${req.url?.slice(0, 64)} is not an upgrade (ERR_BAD_UPGRADE)`,
    );
    res.writeHead(426, { connection: 'close' }).end();
  });
  // No keep-alive between requests: one upgrade per socket.
  server.keepAliveTimeout = 1;
  server.on('connection', (socket: Socket) => gate.accept(socket));
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    refuse(socket, 'ERR_BAD_UPGRADE', `not HTTP (${err.code ?? err.message})`);
  });

  const wss = upgradeServer(
    limits.maxFrameBytes,
    (text) => context.log('WARNING', `listener ${label}: ${text}`),
    (socket, reason) => refuse(socket, 'ERR_BAD_UPGRADE', reason),
  );

  // Upgrades whose hello the link takes: their 101 says so, or the dialler would send M1 again.
  const carried = new WeakSet<IncomingMessage>();
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    if (carried.has(req)) headers.push(`${HELLO_HEADER}: ${HELLO_TAKEN}`);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const entry = gate.entry(socket as Socket);
    if (!entry) {
      socket.destroy();
      return;
    }
    const remote = remoteOf(socket as Socket);
    const hello = readHelloHeader(req.headers[HELLO_HEADER]);
    if (hello.kind === 'refused') {
      refuse(socket, hello.code, hello.reason);
      return;
    }
    if (hello.kind === 'hello') carried.add(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Before the ws library reads anything: nothing large may come before the handshake ends.
      const guard = guardSocket(socket, context, `connection from ${remote ?? 'a local peer'}`);
      const link = wsLink(ws, {
        context,
        socket,
        remote,
        guard,
        onAuthenticated: () => gate.settle(entry),
        ...(hello.kind === 'hello' ? { hello: hello.bytes } : {}),
      });
      entry.upgraded = link;
      init.onLink(link);
    });
  });

  if (endpoint.kind === 'unix') await removeStaleSocket(endpoint.path);
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) =>
      reject(new CallsignError('ERR_LISTEN_FAILED', `cannot listen on ${label}: ${err.message}`));
    server.once('error', failed);
    const done = () => {
      server.off('error', failed);
      resolve();
    };
    if (endpoint.kind === 'unix') server.listen(endpoint.path, done);
    else server.listen(endpoint.port, endpoint.host, done);
  });
  server.on('error', (err) => context.log('WARNING', `listener ${label}: ${err.message}`));
  const bound = server.address();
  if (endpoint.kind === 'tcp' && bound && typeof bound === 'object') {
    label = formatEndpoint({ kind: 'tcp', host: endpoint.host, port: bound.port });
  }

  let closing: Promise<void> | undefined;
  return {
    endpoint: label,
    get counts() {
      return { links: gate.size, pending: gate.pending };
    },
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        // Strangers still in their handshake go at once; links are closed by their owners,
        // and whatever is left after the close deadline is cut.
        for (const entry of [...gate.entries()]) if (entry.pending) entry.socket.destroy();
        wss.close();
        const cut = context.clock.after(CLOSE_DEADLINE_MS, () => {
          for (const entry of [...gate.entries()]) entry.socket.destroy();
        });
        await done;
        context.clock.clear(cut);
        if (endpoint.kind === 'unix') unlinkSocket(endpoint.path);
      })();
      return closing;
    },
  };
}

/**
 * The WebSocket side of a listener that faces strangers: no compression, no
 * UTF-8 checks, no client list, frames up to `maxFrameBytes`; a bad upgrade
 * is refused on its own socket and the server's errors are logged.
 */
export function upgradeServer(
  maxFrameBytes: number,
  log: (text: string) => void,
  refuse: (socket: Duplex, reason: string) => void,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    skipUTF8Validation: true,
  });
  wss.on('error', (err) => log(err.message));
  wss.on('wsClientError', (err, socket) => refuse(socket, err.message));
  return wss;
}

function remoteOf(socket: Socket): string | undefined {
  if (!socket.remoteAddress) return undefined;
  return formatEndpoint({ kind: 'tcp', host: socket.remoteAddress, port: socket.remotePort ?? 0 });
}
