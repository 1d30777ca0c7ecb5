/**
 * Where callsign's own files are. The command line runs compiled, from
 * `dist/` (`npm run build`), as an installed package does; tests may also load
 * these modules from their TypeScript sources. Either way the programs it
 * starts (the directories of each scope) are its own, run the same way.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when this module runs compiled (from `dist/`), false from its TypeScript source. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The folder that holds `src/`, `scopes/` and `orchestrator/` as they run: `dist/` when compiled. */
export const CODE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The package's root folder: where `package.json` and `bin/` are. */
export const PACKAGE_ROOT = COMPILED ? dirname(CODE_ROOT) : CODE_ROOT;

/** The `callsign` command, as package.json declares it. */
export const CALLSIGN_BIN = join(PACKAGE_ROOT, 'bin/callsign.js');

/**
 * One of callsign's own programs, `scopes/host/directory` say, as it runs
 * here: the compiled `.js` file, or the `.ts` source.
 */
export function ownProgram(path: string): string {
  return join(CODE_ROOT, `${path}${COMPILED ? '.js' : '.ts'}`);
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  const file = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return typeof file.version === 'string' ? file.version : 'unknown';
}
