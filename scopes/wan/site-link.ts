/**
 * A site's link to the WAN directory of its tenant, as a transport for
 * `wan:<access file>` endpoints: the directory at the top of a site (its LAN
 * directory, or a host directory when there is none) takes such an endpoint
 * as its parent. Dialling reads the access file, connects out to the first
 * relay that answers, says which tenant in a HELLO, and hands over a link
 * whose handshake uses the tenant's relay secret and the site's keys, and
 * expects the relay's key: the site's realm secret never reaches the relay.
 * Only outbound connections: nothing listens at the site for this.
 * docs/wan.md.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { CallsignError } from '../../src/errors.ts';
import type { Link, LinkListener, LinkTransport, Node } from '../../src/index.ts';
import {
  addLinkScheme,
  type DialInit,
  encodeHello,
  guardSocket,
  wsLink,
} from '../../src/internal.ts';
import { readAccess, type SiteAccess, tenantRealm } from './access.ts';

/** The scheme of a site's parent endpoint: `wan:<access file>`. */
export const WAN_PARENT_SCHEME = 'wan';

/** The parent endpoint of a site that joined with the access file at `path`. */
export function wanParentEndpoint(path: string): string {
  return `${WAN_PARENT_SCHEME}:${path}`;
}

/** The transport of `wan:` endpoints: see the module. */
export class SiteLinks implements LinkTransport {
  readonly name = WAN_PARENT_SCHEME;
  /** The relay tried next, so that a relay that failed is not the first tried again. */
  #next = 0;

  async listen(endpoint: string): Promise<LinkListener> {
    throw new CallsignError(
      'ERR_LISTEN_FAILED',
      `a site does not listen for its relay (${endpoint})`,
    );
  }

  async dial(endpoint: string, init: DialInit): Promise<Link> {
    const path = endpoint.slice(WAN_PARENT_SCHEME.length + 1);
    let access: SiteAccess;
    try {
      access = await readAccess(path);
    } catch (err) {
      // A refusal (the node says it and keeps trying), not a silence.
      throw err instanceof CallsignError
        ? err
        : new CallsignError('ERR_WAN_INVALID_ACCESS', String(err));
    }
    const urls = access.relays;
    let last: Error | undefined;
    for (let i = 0; i < urls.length; i++) {
      const url = urls[(this.#next + i) % urls.length] as string;
      try {
        const link = await dialRelay(url, access, init);
        this.#next = (this.#next + i) % urls.length;
        return link;
      } catch (err) {
        last = err as Error;
      }
    }
    this.#next = (this.#next + 1) % urls.length;
    throw new CallsignError(
      'ERR_CONNECT_FAILED',
      `no relay of tenant ${access.tenant} answered (${urls.join(', ')}): ${last?.message ?? ''}`,
    );
  }
}

/** Opens a WebSocket to the relay at `url` and gives the site's link once HELLO is sent. */
function dialRelay(url: string, access: SiteAccess, init: DialInit): Promise<Link> {
  return new Promise<Link>((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: init.maxFrameBytes,
      handshakeTimeout: init.timeoutMs,
      skipUTF8Validation: true,
    });
    let socket: Socket | undefined;
    let guard: ReturnType<typeof guardSocket> | undefined;
    const fail = (err: Error) =>
      reject(new CallsignError('ERR_CONNECT_FAILED', `${url}: ${err.message}`, { cause: err }));
    ws.on('error', fail);
    ws.on('upgrade', (res: IncomingMessage) => {
      socket = res.socket as Socket;
      socket.on('error', () => {});
      guard = guardSocket(socket, init.context, `link to the relay at ${url}`);
    });
    ws.once('open', () => {
      ws.off('error', fail);
      const raw = socket as Socket;
      raw.setNoDelay(true);
      ws.send(encodeHello({ kind: 'site', tenant: access.tenant }));
      resolve(
        wsLink(ws, {
          context: init.context,
          socket: raw,
          remote: undefined,
          guard,
          handshake: {
            realm: tenantRealm(access.tenant, access.secret),
            keys: access.siteKeys,
            expectedPeerKey: access.relayKey,
          },
        }),
      );
    });
    ws.once('close', () => fail(new Error('closed before the upgrade completed')));
  });
}

/** Makes `node` reach `wan:` parents (see the module). Safe to call twice. */
export function reachWanParents(node: Node): void {
  addLinkScheme(node, WAN_PARENT_SCHEME, new SiteLinks());
}
