import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { configureTransport, generateNodeKeys, Node, type Realm } from '../../../src/index.ts';
import { directoryService } from '../../../src/internal.ts';
import { tempDir } from '../../helpers/processes.ts';
import { type DirectorySetup, describeDirectory } from './describe-directory.ts';

/**
 * A directory service of `level` in its own node, at an endpoint that
 * survives restarts: a unix socket for group and host, TCP on loopback for
 * the LAN (whose listings' wildcard endpoints it rewrites to the address each
 * node connected from, so sessions go over TCP).
 */
function inProcessDirectory(level: 'group' | 'host' | 'lan'): () => DirectorySetup {
  return () => {
    let node: Node | undefined;
    let endpoint: string | undefined;
    return {
      scope: level,
      async start(realm: Realm) {
        endpoint ??= level === 'lan' ? '127.0.0.1:0' : `unix:${join(tempDir(), `${level}.sock`)}`;
        const n = new Node({ name: `${level}-directory` });
        configureTransport(n, { realm, keys: generateNodeKeys() });
        node = n;
        onTestFinished(() => n.stop());
        const actual = await new Promise<string>((resolve) => {
          n.spawn(directoryService, { level, endpoint: endpoint as string, onListening: resolve });
        });
        // Restart on the same port.
        endpoint = actual;
        return actual;
      },
      async stop() {
        await node?.stop();
      },
    };
  };
}

describeDirectory('group scope', inProcessDirectory('group'));
describeDirectory('host scope', inProcessDirectory('host'));
describeDirectory('lan scope, on loopback', inProcessDirectory('lan'));
