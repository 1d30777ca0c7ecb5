/**
 * Where a node's session sockets go (short paths, one folder per user in the
 * system's temporary folder), and the sweep of sockets left there by nodes
 * that died without closing them.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketAnswers } from '../transport/transport.ts';

/** This user's folder of session sockets, made if need be (mode 0700). */
export function socketFolder(): string {
  const dir = join(tmpdir(), `callsign-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** A fresh session socket endpoint in `dir`. */
export function sessionSocketEndpoint(dir: string): string {
  return `unix:${join(dir, `${randomBytes(6).toString('hex')}.sock`)}`;
}

/**
 * Removes session sockets left by nodes that died without closing them
 * (SIGKILL): files older than a minute that nobody answers on, at most 256
 * of them. Best effort: what cannot be removed is left.
 */
export async function sweepSockets(dir: string, now: number = Date.now()): Promise<number> {
  const cutoff = now - 60_000;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^[0-9a-f]{12}\.sock$/.test(n));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names.slice(0, 256)) {
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs > cutoff) continue;
      if (!(await socketAnswers(path))) {
        unlinkSync(path);
        removed++;
      }
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
