import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CallsignError } from '../src/errors.ts';
import { errnoOf } from './errno.ts';

export { errnoOf };

/**
 * Eight random hex digits, for a temporary file's name. node:crypto is
 * imported when first needed: commands that only read (`callsign status`)
 * start without it.
 */
export async function randomSuffix(): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(4).toString('hex');
}

/**
 * Writes `value` as JSON to `path` atomically: to a temporary file in the same
 * folder first, then renamed over the old one, so a reader sees the old file
 * or the new one, never half of one.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${await randomSuffix()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/**
 * Reads a JSON object from `path`, or gives undefined when there is no file.
 *
 * @throws CallsignError `ERR_INVALID_HOME` when the file is not a JSON object.
 */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CallsignError('ERR_INVALID_HOME', `${path} is not valid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CallsignError('ERR_INVALID_HOME', `${path} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** True when something exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return false;
    throw err;
  }
}
