import { CallsignError } from '../errors.ts';

/** Where a node listens or connects: a unix domain socket on one host, or TCP across hosts. */
export type Endpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/**
 * Reads an endpoint from its text form:
 * - `unix:/run/app.sock`, `/run/app.sock` or `./app.sock`: a unix domain socket;
 * - `host:port`, `[::1]:port` or `tcp://host:port`: TCP (port 0 to listen on any free port).
 * Anything else throws ERR_INVALID_ENDPOINT.
 */
export function parseEndpoint(text: string): Endpoint {
  if (typeof text !== 'string' || text.length === 0) {
    throw new CallsignError('ERR_INVALID_ENDPOINT', 'an endpoint must be a non-empty string');
  }
  if (text.startsWith('unix:')) return unixEndpoint(text.slice(5));
  if (text.startsWith('/') || text.startsWith('./') || text.startsWith('../'))
    return unixEndpoint(text);
  const rest = text.startsWith('tcp://') ? text.slice(6) : text;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]+)):(\d{1,5})$/.exec(rest);
  if (!match) {
    throw new CallsignError(
      'ERR_INVALID_ENDPOINT',
      `not an endpoint: ${JSON.stringify(text)} (want host:port or a socket path)`,
    );
  }
  const host = (match[1] ?? match[2]) as string;
  const port = Number(match[3]);
  if (port > 65535) throw new CallsignError('ERR_INVALID_ENDPOINT', `port out of range in ${text}`);
  return { kind: 'tcp', host, port };
}

function unixEndpoint(path: string): Endpoint {
  if (path.length === 0)
    throw new CallsignError('ERR_INVALID_ENDPOINT', 'a unix endpoint needs a path');
  // sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
  if (Buffer.byteLength(path) > 107) {
    throw new CallsignError('ERR_INVALID_ENDPOINT', `socket path longer than 107 bytes: ${path}`);
  }
  return { kind: 'unix', path };
}

/** The text form of an endpoint, as {@link parseEndpoint} reads it. */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 'unix') return `unix:${endpoint.path}`;
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

/** The ws URL that reaches an endpoint. */
export function wsUrl(endpoint: Endpoint): string {
  if (endpoint.kind === 'unix') return `ws+unix:${endpoint.path}:/`;
  return `ws://${formatEndpoint(endpoint)}/`;
}
