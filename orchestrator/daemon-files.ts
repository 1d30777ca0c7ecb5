import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { ERROR_CODES, type ErrorCode } from '../src/errors.ts';
import { errnoOf } from './files.ts';

/** Files of the background daemons (`callsign host`, `callsign lan`): state and logs. */

/**
 * Creates `path` with `value` as JSON, atomically and only if there is no
 * file there: written in full under another name, then linked into place.
 */
export async function createExclusively(path: string, value: unknown): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** The size of `path`, 0 when it does not exist. */
export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return 0;
    throw err;
  }
}

/** The last 20 lines of `path` from byte `offset` on (what a daemon logged since). */
export async function readFrom(path: string, offset: number): Promise<string> {
  try {
    const lines = (await readFile(path)).subarray(offset).toString('utf8').trimEnd().split('\n');
    return `${lines.length > 20 ? '...\n' : ''}${lines.slice(-20).join('\n')}`;
  } catch {
    return '';
  }
}

/** The last error code a log names, if it is one of ours. */
export function codeIn(text: string): ErrorCode | undefined {
  const codes = [...text.matchAll(/\((ERR_[A-Z_]+)\)/g)].map((m) => m[1]);
  const last = codes[codes.length - 1];
  return (ERROR_CODES as readonly string[]).includes(last ?? '') ? (last as ErrorCode) : undefined;
}
