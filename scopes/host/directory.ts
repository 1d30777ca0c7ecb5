/**
 * The host directory daemon: the directory of every process of this user on
 * this host, on a well-known endpoint (`CALLSIGN_HOST`, or a unix socket in
 * the user's temporary folder). Nodes and group directories find it there by
 * themselves. Started by `callsign host start`.
 *
 * Above it is the LAN directory of its realm, found on the LAN over mDNS
 * (scopes/lan/finder.ts, docs/lan.md); `CALLSIGN_LAN=<host:port>` names one
 * instead (networks without multicast, tests), `CALLSIGN_NO_LAN=1` keeps it
 * off the LAN. `CALLSIGN_WAN=<access file>` puts the WAN directory of a
 * relay above it instead, for a site with no LAN directory (docs/wan.md);
 * its nodes are then offered to other sites at this host's public address
 * too, if it has one (`CALLSIGN_PUBLIC_ADDRESS=<ip>` or `none` decides).
 *
 *   node --import tsx scopes/host/directory.ts
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createNode, parseEndpoint } from '../../src/index.ts';
import {
  type DirectoryServiceSettings,
  directoryService,
  loadOrCreateRealm,
  realmFingerprint,
  resolveRealmPath,
} from '../../src/internal.ts';
import { type LanDirectoryFinder, lanDirectoryFinder } from '../lan/finder.ts';
import { publicHostAddress } from '../wan/route-endpoints.ts';
import { reachWanParents, wanParentEndpoint } from '../wan/site-link.ts';
import { hostEndpoint } from './well-known.ts';

const factorySettings = { endpoint: '' };

createNode(
  async (self, settings: typeof factorySettings) => {
    const endpoint = settings.endpoint || hostEndpoint(process.env);
    const parsed = parseEndpoint(endpoint);
    if (parsed.kind === 'unix') mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
    const realmFile = resolveRealmPath(process.env);
    const realm = await loadOrCreateRealm(realmFile);
    const fingerprint = realmFingerprint(realm);
    // Which realm: only nodes of this realm file can use this directory.
    self.console(`realm ${realm.name} (fingerprint ${fingerprint}) from ${realmFile}`);
    const service: DirectoryServiceSettings = { level: 'host', endpoint };
    let finder: LanDirectoryFinder | undefined;
    const fixed = process.env.CALLSIGN_LAN;
    const wan = process.env.CALLSIGN_WAN;
    if (wan) {
      reachWanParents(self.node);
      service.parent = wanParentEndpoint(wan);
      // CALLSIGN_PUBLIC_ADDRESS names it (or `none`); else the first public one of this host's.
      const given = process.env.CALLSIGN_PUBLIC_ADDRESS;
      const publicAddress = given ? (given === 'none' ? undefined : given) : publicHostAddress();
      if (publicAddress) service.localHost = publicAddress;
      self.console(
        `the WAN directory above: through the relay of ${wan}${publicAddress ? `; other sites may connect directly to ${publicAddress}` : ''}`,
      );
    } else if (process.env.CALLSIGN_NO_LAN === '1') {
      self.console('not on the LAN (CALLSIGN_NO_LAN=1)');
    } else if (fixed) {
      service.parent = fixed;
    } else {
      const lan = lanDirectoryFinder({
        fingerprint,
        onError: (err) => self.warning(`mDNS: ${err.message} (a multicast route? docs/lan.md)`),
      });
      finder = lan;
      let said: string | undefined;
      const others = new Set<string>();
      service.findParent = async (signal) => {
        const found = await lan.find(signal);
        for (const c of lan.candidates()) {
          if (c.sameRealm || c.realm === fingerprint || others.has(c.name) || others.size >= 64)
            continue;
          others.add(c.name);
          self.console(
            `LAN directory ${c.name} at ${c.endpoint ?? 'no IPv4 address'} is of another realm (fingerprint ${c.realm || 'none'}): ignored`,
          );
        }
        if (found !== said) {
          said = found;
          self.console(
            found ? `LAN directory found at ${found}` : 'no LAN directory of this realm found yet',
          );
        }
        return found;
      };
      service.parentFailed = (lost, code) => lan.failed(lost, code);
      service.parentConnected = (at) => lan.succeeded(at);
    }
    try {
      return await directoryService(self, service);
    } finally {
      await finder?.close();
    }
  },
  { factorySettings, name: 'host-directory', connectAtStart: false },
);
