/**
 * The host directory daemon: the directory of every process of this user on
 * this host, on a well-known endpoint (`CALLSIGN_HOST`, or a unix socket in
 * the user's temporary folder). Nodes and group directories find it there by
 * themselves. Started by `callsign host start`.
 *
 * Above it is the LAN directory of its realm, found on the LAN over mDNS
 * (scopes/lan/finder.ts, docs/lan.md); `CALLSIGN_LAN=<host:port>` names one
 * instead (networks without multicast, tests), `CALLSIGN_NO_LAN=1` keeps it
 * off the LAN.
 *
 *   node --import tsx scopes/host/directory.ts
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createNode, parseEndpoint } from '../../src/index.ts';
import {
  type DirectoryServiceSettings,
  directoryService,
  hostEndpoint,
} from '../../src/internal.ts';
import { loadOrCreateRealm, realmFingerprint, resolveRealmPath } from '../../src/wire/realm.ts';
import { type LanDirectoryFinder, lanDirectoryFinder } from '../lan/finder.ts';

const factorySettings = { endpoint: '' };

createNode(
  async (self, settings: typeof factorySettings) => {
    const endpoint = settings.endpoint || hostEndpoint(process.env);
    const parsed = parseEndpoint(endpoint);
    if (parsed.kind === 'unix') mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
    const service: DirectoryServiceSettings = { level: 'host', endpoint };
    let finder: LanDirectoryFinder | undefined;
    const fixed = process.env.CALLSIGN_LAN;
    if (process.env.CALLSIGN_NO_LAN === '1') {
      self.console('not on the LAN (CALLSIGN_NO_LAN=1)');
    } else if (fixed) {
      service.parent = fixed;
    } else {
      const fingerprint = realmFingerprint(await loadOrCreateRealm(resolveRealmPath()));
      const lan = lanDirectoryFinder({
        fingerprint,
        onError: (err) => self.warning(`mDNS: ${err.message} (a multicast route? docs/lan.md)`),
      });
      finder = lan;
      let said: string | undefined;
      service.findParent = async (signal) => {
        const found = await lan.find(signal);
        if (found !== said) {
          said = found;
          self.console(
            found ? `LAN directory found at ${found}` : 'no LAN directory of this realm found yet',
          );
        }
        return found;
      };
      service.parentFailed = (lost) => lan.failed(lost);
    }
    try {
      return await directoryService(self, service);
    } finally {
      await finder?.close();
    }
  },
  { factorySettings, name: 'host-directory' },
);
