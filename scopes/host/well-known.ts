/**
 * Where the host scope's directory is found: its well-known endpoint, and the
 * directory a node connects to by default. This is the one module of
 * `scopes/` that `src` imports (every node must find its host directory
 * without being told), so it stays a leaf: it imports nothing but Node's own
 * modules, and reads only the environment it is given.
 *
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The host directory's well-known endpoint: `CALLSIGN_HOST` if `env` sets
 * it, else a unix socket in this user's folder of the system's temporary
 * directory. Programs pass their environment (`process.env`); the library
 * itself reads none.
 */
export function hostEndpoint(env: NodeJS.ProcessEnv): string {
  if (env.CALLSIGN_HOST) return env.CALLSIGN_HOST;
  return `unix:${join(tmpdir(), `callsign-${process.getuid?.() ?? 'user'}`, 'host.sock')}`;
}

/**
 * The directory a node (or a group directory) connects to, as `env` says:
 * its group's (`CALLSIGN_GROUP`, set by `callsign run`/`start`), else the
 * host's; undefined with `CALLSIGN_NO_HOST=1`. A node keeps trying in the
 * background, so a directory started later is found.
 */
export function parentEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CALLSIGN_GROUP) return env.CALLSIGN_GROUP;
  if (env.CALLSIGN_NO_HOST === '1') return undefined;
  return hostEndpoint(env);
}
