/**
 * The view's HTTP and websocket server, on 127.0.0.1 only: the page and its
 * assets (held in memory, served from a fixed list), the state as JSON,
 * Prometheus text on `/metrics`, probes on `/alive` and `/ready`, and the
 * state pushed over a websocket on `/live` as it changes. Read-only. Every
 * request is first put to the policy (http-policy.ts); limits bound what a
 * stranger can make it hold: header size, request time, connections,
 * websocket clients and what waits for a slow one.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { decide, isRefusal, type Refusal, type Route } from './http-policy.ts';

/** The limits of the server; see docs/view.md. */
export const VIEW_LIMITS = {
  /** Bytes of request line and headers. */
  maxHeaderBytes: 8192,
  /** Time for a whole request to arrive, ms. */
  requestTimeoutMs: 10_000,
  /** How often requests are checked against that time, ms. */
  timeoutCheckMs: 1000,
  /** Open connections at once (HTTP and websocket). */
  maxConnections: 64,
  /** Websocket clients at once. */
  maxClients: 16,
  /** Bytes that may wait for a websocket client before it is closed as too slow. */
  maxBufferedBytes: 4 * 1024 * 1024,
  /** The largest message taken from a websocket client (the page sends none). */
  maxClientMessage: 1024,
  /** How long a websocket client that broke the rules has to answer the close, ms. */
  closeWaitMs: 1000,
} as const;

/** The answers to requests that never became one, by Node's error code. */
const CLIENT_ERRORS: Partial<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/** A file the server serves, held in memory. */
export interface Asset {
  type: string;
  body: Buffer;
}

/** What the server serves. */
export interface ViewServerInit {
  /** 0 for an ephemeral port. */
  port: number;
  token: string;
  /** The page, with `{{token}}` where the token goes. */
  page: string;
  /** By name, under `/assets/`. */
  assets: ReadonlyMap<string, Asset>;
  /** The state as JSON text, once there is one. */
  state(): string | undefined;
  /** The Prometheus text. */
  metrics(): string;
  /** True while some directory answered lately. */
  ready(): boolean;
}

/** A running view server. */
export interface ViewServer {
  port: number;
  /** The page's URL with the token. */
  url: string;
  /** Sends the new state to every websocket client. */
  push(state: string): void;
  /** How many websocket clients are connected. */
  readonly clients: number;
  /** When the state or the metrics were last asked for over HTTP (Date.now()), or 0. */
  readonly lastAsked: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** Starts the server on 127.0.0.1. */
export async function startViewServer(init: ViewServerInit): Promise<ViewServer> {
  let port = init.port;
  const assets = new Set(init.assets.keys());
  const policy = () => ({ port, token: init.token, assets });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: VIEW_LIMITS.maxClientMessage,
    perMessageDeflate: false,
  });
  const clients = new Set<WebSocket>();
  let lastAsked = 0;

  const server = createServer(
    {
      maxHeaderSize: VIEW_LIMITS.maxHeaderBytes,
      requestTimeout: VIEW_LIMITS.requestTimeoutMs,
      headersTimeout: VIEW_LIMITS.requestTimeoutMs,
      // Node checks those timeouts only this often (30 s by default, which
      // let a slow request live for up to 40 s).
      connectionsCheckingInterval: VIEW_LIMITS.timeoutCheckMs,
    },
    (req, res) => serve(req, res),
  );
  server.maxConnections = VIEW_LIMITS.maxConnections;
  server.keepAliveTimeout = 5000;
  // Bytes that are not HTTP, too much of it, or too slow: 400, 431 or 408 to
  // that socket alone, which is then closed (even if it never reads the answer).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, text] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () =>
      socket.destroy(),
    );
  });

  function send(
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra = {},
  ) {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  function refuse(res: ServerResponse, r: Refusal) {
    send(res, r.status, 'text/plain; charset=utf-8', r.text, { ...r.headers, connection: 'close' });
  }

  function serve(req: IncomingMessage, res: ServerResponse) {
    const route = decide(
      { method: req.method, target: req.url, headers: req.headers, upgrade: false },
      policy(),
    );
    if (isRefusal(route)) return refuse(res, route);
    if (route.kind === 'state' || route.kind === 'metrics') lastAsked = Date.now();
    respond(route, res);
  }

  function respond(route: Route, res: ServerResponse) {
    switch (route.kind) {
      case 'alive':
        return send(res, 200, 'text/plain; charset=utf-8', 'alive\n');
      case 'ready':
        return init.ready()
          ? send(res, 200, 'text/plain; charset=utf-8', 'ready\n')
          : send(res, 503, 'text/plain; charset=utf-8', 'not ready\n');
      case 'page':
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          init.page.replaceAll('{{token}}', encodeURIComponent(init.token)),
        );
      case 'asset': {
        const a = init.assets.get(route.name) as Asset;
        return send(res, 200, a.type, a.body);
      }
      case 'state': {
        const state = init.state();
        return state === undefined
          ? send(res, 503, 'text/plain; charset=utf-8', 'not ready\n')
          : send(res, 200, 'application/json', state);
      }
      case 'metrics':
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', init.metrics());
      default:
        return refuse(res, { status: 404, text: '404 not found\n' });
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const route = decide(
      { method: req.method, target: req.url, headers: req.headers, upgrade: true },
      policy(),
    );
    const full = clients.size >= VIEW_LIMITS.maxClients;
    if (isRefusal(route) || full) {
      const r = isRefusal(route) ? route : { status: 503, text: '503 too many clients\n' };
      socket.end(
        `HTTP/1.1 ${r.status} ${r.text.trim().replace(/^\d+ /, '')}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(r.text)}\r\n\r\n${r.text}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => ws.terminate());
      // Read-only: anything the page sends is a mistake or an attack.
      // It is told why, and not waited for beyond a second (ws would wait 30 s for its close).
      ws.on('message', () => {
        ws.close(1008, 'the view is read-only');
        setTimeout(() => ws.terminate(), VIEW_LIMITS.closeWaitMs).unref();
      });
      const state = init.state();
      if (state !== undefined) ws.send(state);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(init.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : init.port;

  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(init.token)}`,
    get clients() {
      return clients.size;
    },
    get lastAsked() {
      return lastAsked;
    },
    push(state: string) {
      for (const ws of clients) {
        if (ws.readyState !== ws.OPEN) continue;
        // A client that does not read is closed, not waited for.
        if (ws.bufferedAmount > VIEW_LIMITS.maxBufferedBytes) ws.terminate();
        else ws.send(state);
      }
    },
    async close() {
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
