import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Realm } from '../../../src/index.ts';
import { serializeRealm } from '../../../src/internal.ts';
import { nodeArguments, type Program, ROOT, watchProgram } from '../../helpers/processes.ts';
import { type DirectorySetup, describeDirectory } from './describe-directory.ts';

const PROGRAMS = {
  group: 'scopes/group/directory.ts',
  host: 'scopes/host/directory.ts',
  lan: 'scopes/lan/directory.ts',
} as const;

/**
 * The directory program of `level` (the one `callsign run`, `callsign host
 * start` and `callsign lan start` run), in a process of its own, at an
 * endpoint that survives restarts: a unix socket for group and host, TCP on
 * loopback for the LAN (where it is not announced, and whose listings'
 * wildcard endpoints it rewrites to the address each node connected from, so
 * sessions go over TCP). Nothing above it: no host directory, no LAN.
 */
function directoryProgram(level: keyof typeof PROGRAMS): () => DirectorySetup {
  return () => {
    let program: Program | undefined;
    let endpoint: string | undefined;
    let realmFile: string | undefined;
    let dir: string | undefined;
    return {
      scope: level,
      async start(realm: Realm) {
        if (!dir) {
          dir = mkdtempSync(join(tmpdir(), 'csd-'));
          realmFile = join(dir, 'realm.json');
          writeFileSync(realmFile, serializeRealm(realm), { mode: 0o600 });
          endpoint = level === 'lan' ? '127.0.0.1:0' : `unix:${join(dir, `${level}.sock`)}`;
        }
        // Started for the whole suite (stop() and dispose() end it), not per test.
        const args = [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'];
        const child = spawn(process.execPath, nodeArguments(PROGRAMS[level], args), {
          cwd: ROOT,
          env: {
            ...process.env,
            CALLSIGN_REALM: realmFile,
            CALLSIGN_NO_HOST: '1',
            CALLSIGN_NO_LAN: '1',
            CALLSIGN_GROUP: '',
            CALLSIGN_HOST: '',
            CALLSIGN_LAN: '',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const started = watchProgram(child, PROGRAMS[level]);
        program = started;
        const [, listening] = await started.waitFor(
          new RegExp(`${level} directory listening on (\\S+)`),
        );
        // Restarted on the same port.
        endpoint = listening;
        return listening as string;
      },
      async stop() {
        program?.child.kill('SIGKILL');
        await program?.exited;
      },
      dispose() {
        program?.child.kill('SIGKILL');
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

describeDirectory('group scope (scopes/group/directory.ts)', directoryProgram('group'));
describeDirectory('host scope (scopes/host/directory.ts)', directoryProgram('host'));
describeDirectory('lan scope, on loopback (scopes/lan/directory.ts)', directoryProgram('lan'));
