/**
 * The links of one tenant's sites, as the transport of that tenant's node
 * in the relay: the relay's listener hands over every WebSocket whose HELLO
 * names the tenant, and the tenant's node runs the callsign handshake over
 * it with the tenant's relay secret and the relay's keys, trusting only the
 * keys of the tenant's sites. Nothing else reaches the tenant's node, so
 * one tenant's directory never sees another's links.
 *
 * @module
 */
import { CallsignError } from '../../src/errors.ts';
import type { Link, LinkListener, LinkTransport } from '../../src/index.ts';
import type { ListenInit } from '../../src/internal.ts';

/** The scheme of a tenant's listener: `wan-sites:<tenant>`. */
export const TENANT_SITES_SCHEME = 'wan-sites';

/** The links of a tenant's sites: see the module. */
export class TenantSites implements LinkTransport {
  readonly name = TENANT_SITES_SCHEME;
  #init: ListenInit | undefined;
  #links = 0;
  #pending = 0;

  async listen(endpoint: string, init: ListenInit): Promise<LinkListener> {
    if (this.#init)
      throw new CallsignError('ERR_LISTEN_FAILED', `${endpoint} is listened on already`);
    this.#init = init;
    const self = this;
    return {
      endpoint,
      get counts() {
        return { links: self.#links, pending: self.#pending };
      },
      async close() {
        self.#init = undefined;
      },
    };
  }

  async dial(endpoint: string): Promise<Link> {
    throw new CallsignError('ERR_CONNECT_FAILED', `a relay does not dial its sites (${endpoint})`);
  }

  /**
   * Hands `link` to the tenant's node; false when it is not listening or
   * holds as many links as it may (the caller refuses the link).
   */
  offer(link: Link): boolean {
    const init = this.#init;
    if (!init) return false;
    if (this.#links >= init.limits.maxConnections || this.#pending >= init.limits.maxPending)
      return false;
    this.#links++;
    this.#pending++;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.#pending--;
    };
    const authenticated = link.authenticated.bind(link);
    link.authenticated = () => {
      settle();
      authenticated();
    };
    void link.closed().then(() => {
      settle();
      this.#links--;
    });
    init.onLink(link);
    return true;
  }
}
