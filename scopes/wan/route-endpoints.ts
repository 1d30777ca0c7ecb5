/**
 * Which endpoints a subscriber at one site is given for a publisher at
 * another, pure. A private address (RFC 1918, CGNAT, link-local, loopback,
 * unique-local) is meaningful only inside its own site: behind another NAT
 * it names some other host, or nothing, so it is never given to another
 * site. A public address is given first (the direct route), and the relay
 * endpoint of the publisher's node last, as the fallback. docs/wan.md.
 *
 * @module
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseEndpoint } from '../../src/index.ts';
import { relayEndpoint } from '../../src/internal.ts';

/** True when `host` (an IP address or a name) can only be reached inside its own network. */
export function isPrivateHost(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (h === 'localhost' || h.endsWith('.local') || h.endsWith('.localhost')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (v === 6) {
    const x = h.toLowerCase();
    return x === '::1' || x === '::' || /^f[cd]/.test(x) || /^fe[89ab]/.test(x);
  }
  return false;
}

/**
 * The endpoints of a listing of `publisherKey` published at `endpoints`, as
 * a subscriber of another site (`sameSite` false) or the same one is given
 * them: reachable direct addresses, then the relay.
 */
export function routeEndpoints(
  endpoints: readonly string[],
  publisherKey: string,
  sameSite: boolean,
): string[] {
  const out: string[] = [];
  for (const text of endpoints) {
    let p: ReturnType<typeof parseEndpoint>;
    try {
      p = parseEndpoint(text);
    } catch {
      continue; // another relay's endpoint, or nothing usable
    }
    if (p.kind !== 'tcp') continue;
    if (p.host === '0.0.0.0' || p.host === '::') continue;
    if (sameSite || !isPrivateHost(p.host)) out.push(text);
  }
  out.push(relayEndpoint(publisherKey));
  return out;
}

/**
 * This host's first public IPv4 address, if one of its interfaces has one:
 * other sites can then connect to its nodes directly, not through the relay.
 * Behind a NAT there is none.
 */
export function publicHostAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal && !isPrivateHost(a.address)) return a.address;
    }
  }
  return undefined;
}
