/**
 * The group directory: the directory of one group of processes started by
 * `callsign run` or `callsign start`, which hands its endpoint to every role
 * in `CALLSIGN_GROUP`. It connects above to the host directory when one runs.
 *
 *   node --import tsx scopes/group/directory.ts --endpoint=unix:.callsign/run/group.sock
 */
import { createNode } from '../../src/index.ts';
import { directoryService } from '../../src/internal.ts';
import { hostEndpoint } from '../host/well-known.ts';

const factorySettings = { endpoint: '', host: '' };

createNode(
  (self, settings: typeof factorySettings) => {
    if (!settings.endpoint) throw new Error('--endpoint is required');
    return directoryService(self, {
      level: 'group',
      endpoint: settings.endpoint,
      parent:
        settings.host ||
        (process.env.CALLSIGN_NO_HOST === '1' ? undefined : hostEndpoint(process.env)),
    });
  },
  { factorySettings, name: 'group-directory', connectAtStart: false },
);
