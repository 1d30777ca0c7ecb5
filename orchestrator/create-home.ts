/** `callsign create`: a new home with its realm (docs/cli.md, "The home"). */
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { CallsignError } from '../src/errors.ts';
import { loadOrCreateRealm, MAX_REALM_NAME_LENGTH } from '../src/internal.ts';
import { errnoOf, writeJsonAtomic } from './files.ts';
import { HOME_FILE_KIND, HOME_FILE_VERSION, Home } from './home.ts';

/** Options of {@link createHome}. */
export interface CreateHomeInit {
  /** The realm's name. Default: the name of the folder the home is in. */
  realmName?: string;
}

/**
 * Makes a new home at `dir` (mode 0700) with its realm (mode 0600).
 *
 * @throws CallsignError `ERR_HOME_EXISTS` when something is already there.
 */
export async function createHome(dir: string, init: CreateHomeInit = {}): Promise<Home> {
  const home = new Home(dir);
  await mkdir(home.parent, { recursive: true });
  try {
    await mkdir(home.dir, { mode: 0o700 });
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') {
      throw new CallsignError('ERR_HOME_EXISTS', `there is already a home at ${home.dir}`);
    }
    throw err;
  }
  for (const sub of [home.rolesDir, home.keysDir, home.logsDir, home.runDir]) {
    await mkdir(sub, { mode: 0o700 });
  }
  await loadOrCreateRealm(home.realmFile, { name: init.realmName ?? defaultRealmName(home) });
  // Written last: a home is complete when home.json is there.
  await writeJsonAtomic(home.homeFile, {
    kind: HOME_FILE_KIND,
    version: HOME_FILE_VERSION,
    created: new Date().toISOString(),
  });
  return home;
}

function defaultRealmName(home: Home): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const name = basename(home.parent).replace(/[\u0000-\u001f\u007f]/g, '');
  return name.slice(0, MAX_REALM_NAME_LENGTH) || 'callsign';
}
