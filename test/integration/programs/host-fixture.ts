// Not a program: what the command line's tests need to run a host directory
// of their own (`callsign host start`) on a socket in a temporary folder, so
// that they never meet a real user's host directory. Whatever a test left
// running there is killed when it finishes.
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A host directory's place for one test. */
export interface HostFixture {
  /** The folder of its socket, state file and log. */
  dir: string;
  /** `unix:<dir>/host.sock`. */
  endpoint: string;
  /** A realm file of the test's own, `<dir>/realm.json` (made by the first node that needs it). */
  realmFile: string;
  /**
   * The environment of commands and programs that use this host directory:
   * `CALLSIGN_HOST`, and `CALLSIGN_NO_HOST` cleared.
   */
  env: NodeJS.ProcessEnv;
  /** The host directory's log so far. */
  log(): string;
  /** The pid recorded in `host.json`, if any. */
  pid(): number | undefined;
}

/** Makes a place for a host directory; what runs there is killed when the test finishes. */
export function hostFixture(): HostFixture {
  // A short path: the socket must fit in 107 bytes.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'csh-')));
  const endpoint = `unix:${join(dir, 'host.sock')}`;
  const fixture: HostFixture = {
    dir,
    endpoint,
    realmFile: join(dir, 'realm.json'),
    env: {
      CALLSIGN_HOST: endpoint,
      CALLSIGN_NO_HOST: '',
      CALLSIGN_GROUP: '',
      CALLSIGN_NO_LAN: '1',
    },
    log: () => readText(join(dir, 'host.log')),
    pid: () => {
      const state = readJson(join(dir, 'host.json')) as { pid?: unknown } | undefined;
      return typeof state?.pid === 'number' ? state.pid : undefined;
    },
  };
  onTestFinished(() => {
    const pid = fixture.pid();
    // Only the very host directory of this test: it runs with our CALLSIGN_HOST.
    if (pid !== undefined && runsWith(pid, `CALLSIGN_HOST=${endpoint}`)) {
      process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}

function runsWith(pid: number, variable: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(variable);
  } catch {
    return false;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
