import { existsSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { CallsignError } from '../errors.ts';

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = netConnect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes a socket file nobody listens on any more; refuses if one does. */
export async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await socketAnswers(path);
  if (alive) throw new CallsignError('ERR_LISTEN_FAILED', `${path} is in use by another listener`);
  unlinkSync(path);
}

/** Deletes a unix socket file, if it is still there. */
export function unlinkSocket(path: string): void {
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
