/**
 * The access file `callsign wan join` keeps in a home, as the site's
 * directories started from that home find it: `callsign lan start` gives it
 * to the LAN directory, and `callsign host start` to the host directory when
 * the site has no LAN directory (`CALLSIGN_NO_LAN=1`). docs/wan.md.
 *
 * @module
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** The file `callsign wan join` keeps in a home: the site's access to its relay. */
export const JOINED_ACCESS_FILE = 'wan-access.json';

/**
 * The access file a directory started from `homeDir` takes: `CALLSIGN_WAN`
 * if set (the user's choice wins), else the home's `wan-access.json` if
 * there is one, else none.
 */
export async function joinedAccess(
  homeDir: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (env.CALLSIGN_WAN) return env.CALLSIGN_WAN;
  if (homeDir === undefined) return undefined;
  const file = join(homeDir, JOINED_ACCESS_FILE);
  try {
    await access(file);
    return file;
  } catch {
    return undefined;
  }
}
