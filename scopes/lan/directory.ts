/**
 * The LAN directory: the directory of the host directories of one realm on a
 * LAN. It listens on TCP (all interfaces, an ephemeral port unless told) and
 * announces itself with DNS-SD over mDNS, so that host directories find it
 * with no address configured (docs/lan.md). Started by `callsign lan start`.
 *
 *   node --import tsx scopes/lan/directory.ts [--endpoint=0.0.0.0:0] [--id=...] [--ready-file=...] [--wan=<access file>]
 *
 * With `--wan`, the WAN directory of the relay named by that access file
 * (`callsign wan join`) is its parent: listings and searches of scope `wan`
 * pass up through the relay, connecting out only (docs/wan.md).
 *
 * Its realm is the one its transport uses: the file `CALLSIGN_REALM`, else
 * the user's default. It announces the realm's fingerprint, never its secret.
 * It also watches the LAN for the other LAN directories of its realm: when
 * one with a lower id is there (after a partition healed), it hands its host
 * directories over to it. On a loopback endpoint (tests) it is not announced.
 */
import { rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Bonjour } from 'bonjour-service';
import { CallsignError, createNode, parseEndpoint } from '../../src/index.ts';
import {
  directoryService,
  loadOrCreateRealm,
  realmFingerprint,
  resolveRealmPath,
} from '../../src/internal.ts';
import { reachWanParents, wanParentEndpoint } from '../wan/site-link.ts';
import {
  announceLanDirectory,
  distinctErrors,
  type LanAnnouncement,
  newLanDirectoryId,
  watchErrors,
} from './announce.ts';
import { compareIds, LAN_ID_PATTERN } from './choice.ts';
import { type LanDirectoryFinder, lanDirectoryFinder } from './finder.ts';

const factorySettings = {
  /** Where to listen: all interfaces, any free port by default. */
  endpoint: '',
  /** The id it announces (the lowest id of a realm is the one hosts use); fresh by default. */
  id: '',
  /** Once listening and announced, `{ endpoint, port, id, name, fingerprint, pid }` is written here. */
  readyFile: '',
  /** An access file (`callsign wan join`): the WAN directory above. */
  wan: '',
};

createNode(
  async (self, settings: typeof factorySettings) => {
    const id = settings.id || newLanDirectoryId();
    if (!LAN_ID_PATTERN.test(id)) {
      throw new CallsignError(
        'ERR_INVALID_SETTINGS',
        `--id must match ${LAN_ID_PATTERN}, not ${JSON.stringify(id)}`,
      );
    }
    const realmFile = resolveRealmPath(process.env);
    const fingerprint = realmFingerprint(await loadOrCreateRealm(realmFile));
    const endpoint = settings.endpoint || '0.0.0.0:0';
    const parsed = parseEndpoint(endpoint);
    const onLan = parsed.kind === 'tcp' && !isLoopback(parsed.host);
    const onError = distinctErrors((err) =>
      self.warning(`mDNS: ${err.message} (a multicast route? docs/lan.md)`),
    );
    const bonjour = onLan ? new Bonjour({}, onError) : undefined;
    if (bonjour) watchErrors(bonjour, onError);
    const finder: LanDirectoryFinder | undefined = bonjour
      ? lanDirectoryFinder({ fingerprint, bonjour, onError })
      : undefined;
    let announcement: LanAnnouncement | undefined;
    let ready: Promise<void> = Promise.resolve();
    const record = (listened: string, port: number, name: string) => {
      if (!settings.readyFile) return;
      const value = { endpoint: listened, port, id, name, fingerprint, pid: process.pid };
      ready = writeAtomically(settings.readyFile, value).catch((err: unknown) =>
        self.warning(`cannot write ${settings.readyFile}: ${String(err)}`),
      );
    };
    if (settings.wan) reachWanParents(self.node);
    try {
      return await directoryService(self, {
        level: 'lan',
        endpoint,
        ...(settings.wan ? { parent: wanParentEndpoint(settings.wan) } : {}),
        onListening(listened) {
          const at = parseEndpoint(listened);
          if (at.kind !== 'tcp') {
            self.warning(`listening on ${listened}, not TCP: not announced on the LAN`);
            return;
          }
          if (!bonjour) {
            self.console(`on loopback (${listened}): not announced on the LAN`);
            record(listened, at.port, `callsign-lan-${id}`);
            return;
          }
          announcement = announceLanDirectory({ port: at.port, fingerprint, id, bonjour });
          self.console(
            `announced ${announcement.name} on port ${at.port} (realm fingerprint ${fingerprint}, ${realmFile})`,
          );
          record(listened, at.port, announcement.name);
        },
        // A LAN directory of the realm with a lower id, seen (again) on the LAN.
        findPreferred: finder
          ? async () => {
              const chosen = finder.candidates().find((c) => c.chosen);
              return chosen && compareIds(chosen.id, id) < 0 ? chosen.endpoint : undefined;
            }
          : undefined,
        preferredFailed: (lost, code) => finder?.failed(lost, code),
      });
    } finally {
      await ready;
      // A goodbye on the LAN first, so that hosts choose again at once when
      // their connections close.
      await announcement?.stop();
      await finder?.close();
      if (bonjour) await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
    }
  },
  { factorySettings, name: 'lan-directory', connectAtStart: false },
);

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
