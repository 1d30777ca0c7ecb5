/**
 * What the view's HTTP server does with a request, decided from the
 * request's line and headers alone (pure, so that every refusal is
 * unit-tested): every request needs the token, the probes too; only GET
 * and HEAD, no bodies, only the view's own Host (a page of another site
 * that points its name at 127.0.0.1 is refused), only known paths.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { sameToken, tokenOf } from './token.ts';

/** The longest request target taken, in bytes. */
export const MAX_TARGET_LENGTH = 2048;

/** What the server serves. */
export type Route =
  | { kind: 'page' }
  | { kind: 'asset'; name: string }
  | { kind: 'state' }
  | { kind: 'metrics' }
  | { kind: 'alive' }
  | { kind: 'ready' }
  | { kind: 'live' };

/** A refusal: its status and a short body that says nothing of the view. */
export interface Refusal {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

/** A request as the policy sees it. */
export interface RequestLine {
  method: string | undefined;
  target: string | undefined;
  headers: IncomingHttpHeaders;
  /** True when the request is a websocket upgrade. */
  upgrade: boolean;
}

/** What the policy needs of the server. */
export interface PolicyInit {
  port: number;
  token: string;
  /** The names under `/assets/`. */
  assets: ReadonlySet<string>;
}

/** The Host values the view answers to, on `port`. */
export function viewHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

const refuse = (status: number, text: string, headers?: Record<string, string>): Refusal => ({
  status,
  text: `${status} ${text}\n`,
  ...(headers ? { headers } : {}),
});

/** Decides what to do with `request`: a route, or a refusal. */
export function decide(request: RequestLine, init: PolicyInit): Route | Refusal {
  const { method, target, headers } = request;
  if (target === undefined || target.length > MAX_TARGET_LENGTH || !target.startsWith('/')) {
    return refuse(target && target.length > MAX_TARGET_LENGTH ? 414 : 400, 'bad request');
  }
  const hosts = viewHosts(init.port);
  if (!hosts.has(String(headers.host ?? '').toLowerCase())) return refuse(403, 'forbidden');
  if (method !== 'GET' && method !== 'HEAD') {
    return refuse(405, 'method not allowed', { allow: 'GET, HEAD' });
  }
  const length = headers['content-length'];
  if ((length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined) {
    return refuse(413, 'no body is taken');
  }
  let url: URL;
  try {
    url = new URL(target, 'http://view');
  } catch {
    return refuse(400, 'bad request');
  }
  const path = url.pathname;
  const token = tokenOf(url, headers);
  if (token === undefined) {
    return refuse(401, 'unauthorized', { 'www-authenticate': 'Bearer realm="callsign view"' });
  }
  if (!sameToken(token, init.token)) return refuse(403, 'forbidden');
  if (request.upgrade) {
    if (path !== '/live') return refuse(404, 'not found');
    const origin = headers.origin;
    // A browser always sends Origin on a websocket: only the view's own page may connect.
    if (origin !== undefined && ![...hosts].some((h) => origin === `http://${h}`)) {
      return refuse(403, 'forbidden');
    }
    return { kind: 'live' };
  }
  if (path === '/') return { kind: 'page' };
  if (path === '/alive') return { kind: 'alive' };
  if (path === '/ready') return { kind: 'ready' };
  if (path === '/api/state') return { kind: 'state' };
  if (path === '/metrics') return { kind: 'metrics' };
  const asset = /^\/assets\/([a-z0-9.-]+)$/.exec(path)?.[1];
  if (asset !== undefined && init.assets.has(asset)) return { kind: 'asset', name: asset };
  return refuse(404, 'not found');
}

/** True when `x` is a refusal. */
export function isRefusal(x: Route | Refusal): x is Refusal {
  return 'status' in x;
}
