import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CallsignError } from '../errors.ts';
import { formatEndpoint, parseEndpoint, wsUrl } from './endpoint.ts';
import type { DialInit, Link, LinkTransport } from './link.ts';
import { HELLO_HEADER, HELLO_TAKEN, helloHeaderValue } from './ws-hello.ts';
import { guardSocket, wsLink } from './ws-link.ts';
import { wsListen } from './ws-server.ts';

/** Options of {@link wsTransport}. */
export interface WsTransportInit {
  /** Pass to the ws library: per-message compression. Default false (frames are sealed, so compression would not help). */
  readonly perMessageDeflate?: false;
}

/**
 * Links over the ws library: a unix domain socket on one host (`unix:/path`),
 * TCP across hosts (`host:port`). The listener is an HTTP server that only
 * upgrades; it enforces the limits of docs/transport.md before any byte
 * reaches the ws library, and every socket has its error handler from the
 * moment it exists.
 *
 * @example
 * ```ts
 * configureTransport(node, { transport: wsTransport() }); // the default
 * ```
 */
export function wsTransport(_init: WsTransportInit = {}): LinkTransport {
  return { name: 'ws', carriesHello: true, listen: wsListen, dial };
}

/**
 * The masking key of every frame this side sends: zero, so that ws sends the
 * sealed frame as it is instead of masking it into a new buffer. Masking
 * stops a script in a browser from making its WebSocket emit bytes that a
 * proxy could mistake for HTTP (RFC 6455 §10.3). Here the client is a node,
 * not a browser running strangers' scripts, and every payload after the
 * handshake is AEAD ciphertext, which no one without the keys can choose;
 * a zero key is allowed by the RFC and read like any other by the listener.
 * See docs/transport.md.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** Opens a WebSocket to `text` and gives its link once the upgrade is done. */
function dial(text: string, init: DialInit): Promise<Link> {
  const endpoint = parseEndpoint(text);
  const label = `link to ${formatEndpoint(endpoint)}`;
  return new Promise<Link>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(endpoint), {
      perMessageDeflate: false,
      maxPayload: init.maxFrameBytes,
      handshakeTimeout: init.timeoutMs,
      skipUTF8Validation: true,
      generateMask: zeroMask,
      // The handshake's M1 rides in the upgrade: the listener answers it right behind its 101.
      ...(init.hello ? { headers: { [HELLO_HEADER]: helloHeaderValue(init.hello) } } : {}),
    });
    let guard: ReturnType<typeof guardSocket> | undefined;
    let socket: Duplex | undefined;
    let helloTaken = false;
    const fail = (err: Error) =>
      reject(
        new CallsignError('ERR_CONNECT_FAILED', `cannot reach ${text}: ${err.message}`, {
          cause: err,
        }),
      );
    // Until the link owns it: a ws 'error' without a listener would end the process.
    ws.on('error', fail);
    ws.on('upgrade', (res: IncomingMessage) => {
      socket = res.socket;
      socket.on('error', () => {});
      helloTaken = res.headers[HELLO_HEADER] === HELLO_TAKEN;
    });
    ws.once('open', () => {
      ws.off('error', fail);
      const raw = socket as Socket;
      // Before the ws library reads it: the listener's first message must be a handshake one.
      guard = guardSocket(raw, init.context, label);
      raw.setNoDelay(true);
      // A listener of an earlier version ignored the header: M1 goes as the first frame.
      if (init.hello && !helloTaken) ws.send(init.hello);
      resolve(
        wsLink(ws, { context: init.context, socket: raw, remote: undefined, guard, masked: true }),
      );
    });
    ws.once('close', () => fail(new Error('closed before the upgrade completed')));
  });
}
