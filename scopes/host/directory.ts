/**
 * The host directory daemon: the directory of every process of this user on
 * this host, on a well-known endpoint (`CALLSIGN_HOST`, or a unix socket in
 * the user's temporary folder). Nodes and group directories find it there by
 * themselves. Started by `callsign host start`.
 *
 *   node --import tsx scopes/host/directory.ts
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createNode, parseEndpoint } from '../../src/index.ts';
import { directoryService, hostEndpoint } from '../../src/internal.ts';

const factorySettings = { endpoint: '' };

createNode(
  (self, settings: typeof factorySettings) => {
    const endpoint = settings.endpoint || hostEndpoint();
    const parsed = parseEndpoint(endpoint);
    if (parsed.kind === 'unix') mkdirSync(dirname(parsed.path), { recursive: true, mode: 0o700 });
    return directoryService(self, { level: 'host', endpoint });
  },
  { factorySettings, name: 'host-directory' },
);
