/**
 * A LAN directory that announces a realm's fingerprint without having its
 * secret: it runs in the realm of `CALLSIGN_REALM`, but announces
 * `--fingerprint` (another realm's) with a low `--id`, as someone on the LAN
 * could. Logs at CONSOLE `announced <name> on port <port>`.
 *
 *   node --import tsx test/lan/programs/impostor.ts --fingerprint=<fp> [--id=0000-impostor]
 */
import { announceLanDirectory, type LanAnnouncement } from '../../../scopes/lan/announce.ts';
import { createNode, parseEndpoint } from '../../../src/index.ts';
import { directoryService } from '../../../src/internal.ts';

const factorySettings = { fingerprint: '', id: '0000-impostor' };

createNode(
  async (self, settings: typeof factorySettings) => {
    let announcement: LanAnnouncement | undefined;
    try {
      return await directoryService(self, {
        level: 'lan',
        endpoint: '0.0.0.0:0',
        onListening(endpoint) {
          const { port } = parseEndpoint(endpoint) as { port: number };
          announcement = announceLanDirectory({
            port,
            fingerprint: settings.fingerprint,
            id: settings.id,
          });
          self.console(`announced ${announcement.name} on port ${port}`);
        },
      });
    } finally {
      await announcement?.stop();
    }
  },
  { factorySettings, name: 'impostor', connectAtStart: false },
);
