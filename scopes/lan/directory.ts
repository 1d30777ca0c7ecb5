/**
 * The LAN directory: the directory of the host directories of one realm on a
 * LAN. It listens on TCP (all interfaces, an ephemeral port unless told) and
 * announces itself with DNS-SD over mDNS, so that host directories find it
 * with no address configured (docs/lan.md). Started by `callsign lan start`.
 *
 *   node --import tsx scopes/lan/directory.ts [--endpoint=0.0.0.0:0] [--id=...] [--ready-file=...]
 *
 * Its realm is the one its transport uses: the file `CALLSIGN_REALM`, else
 * the user's default. It announces the realm's fingerprint, never its secret.
 */
import { rename, writeFile } from 'node:fs/promises';
import { CallsignError, createNode, parseEndpoint } from '../../src/index.ts';
import { directoryService } from '../../src/internal.ts';
import { loadOrCreateRealm, realmFingerprint, resolveRealmPath } from '../../src/wire/realm.ts';
import { announceLanDirectory, type LanAnnouncement, newLanDirectoryId } from './announce.ts';
import { LAN_ID_PATTERN } from './choice.ts';

const factorySettings = {
  /** Where to listen: all interfaces, any free port by default. */
  endpoint: '',
  /** The id it announces (the lowest id of a realm is the one hosts use); fresh by default. */
  id: '',
  /** Once listening and announced, `{ endpoint, port, id, name, fingerprint, pid }` is written here. */
  readyFile: '',
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
    const fingerprint = realmFingerprint(await loadOrCreateRealm(resolveRealmPath()));
    let announcement: LanAnnouncement | undefined;
    let ready: Promise<void> = Promise.resolve();
    try {
      return await directoryService(self, {
        level: 'lan',
        endpoint: settings.endpoint || '0.0.0.0:0',
        onListening(endpoint) {
          const parsed = parseEndpoint(endpoint);
          if (parsed.kind !== 'tcp') {
            self.warning(`listening on ${endpoint}, not TCP: not announced on the LAN`);
            return;
          }
          announcement = announceLanDirectory({
            port: parsed.port,
            fingerprint,
            id,
            onError: (err) => self.warning(`mDNS: ${err.message} (a multicast route? docs/lan.md)`),
          });
          self.console(
            `announced ${announcement.name} on port ${parsed.port} (realm fingerprint ${fingerprint})`,
          );
          if (settings.readyFile) {
            const record = {
              endpoint,
              port: parsed.port,
              id,
              name: announcement.name,
              fingerprint,
              pid: process.pid,
            };
            ready = writeAtomically(settings.readyFile, record).catch((err: unknown) =>
              self.warning(`cannot write ${settings.readyFile}: ${String(err)}`),
            );
          }
        },
      });
    } finally {
      await ready;
      // A goodbye on the LAN first, so that hosts choose again at once when
      // their connections close.
      await announcement?.stop();
    }
  },
  { factorySettings, name: 'lan-directory' },
);

async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
