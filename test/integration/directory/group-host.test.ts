import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { configureTransport, generateNodeKeys, Node, type Realm } from '../../../src/index.ts';
import { directoryService } from '../../../src/internal.ts';
import { tempDir } from '../../helpers/processes.ts';
import { type DirectorySetup, describeDirectory } from './describe-directory.ts';

/** A directory service of `level` in its own node, on a unix socket that survives restarts. */
function inProcessDirectory(level: 'group' | 'host'): () => DirectorySetup {
  return () => {
    let node: Node | undefined;
    let path: string | undefined;
    return {
      scope: level,
      async start(realm: Realm) {
        path ??= join(tempDir(), `${level}.sock`);
        const n = new Node({ name: `${level}-directory` });
        configureTransport(n, { realm, keys: generateNodeKeys() });
        node = n;
        onTestFinished(() => n.stop());
        return new Promise<string>((resolve) => {
          n.spawn(directoryService, { level, endpoint: `unix:${path}`, onListening: resolve });
        });
      },
      async stop() {
        await node?.stop();
      },
    };
  };
}

describeDirectory('group scope', inProcessDirectory('group'));
describeDirectory('host scope', inProcessDirectory('host'));
