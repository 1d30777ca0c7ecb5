/**
 * `callsign restart <role>`: asks the process that runs the group (the
 * background supervisor, or a `callsign run`) to restart one role now, also
 * one that has failed its restarts. The request is a file
 * `run/restart/<role>` and the signal {@link RESTART_SIGNAL}; the supervisor
 * restarts the role (see `Supervisor.restart`), and the command waits until
 * `run/state.json` shows it started again.
 */
import { rmSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CallsignError } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import { errnoOf } from './files.ts';
import {
  acquireGroup,
  describeOwner,
  readGroupOwner,
  type SupervisorRecord,
} from './group-lock.ts';
import type { Home } from './home.ts';
import { isRunning, signalProcess } from './pids.ts';
import { ROLE_NAME, readRole } from './roles.ts';
import type { CommandOutput } from './run.ts';
import { type GroupMode, readGroupState } from './state.ts';

/** The signal that tells the process running a group to read its restart requests. */
export const RESTART_SIGNAL: NodeJS.Signals = 'SIGUSR2';

/** How long `restart` waits beyond the time the role is given to stop. */
const RESTART_EXTRA_MS = 15_000;

/**
 * Has `restart` called with the name of each role whose restart is
 * requested, while the process runs a group; clears requests left by an
 * earlier one. Gives a function that stops listening.
 */
export function onRestartRequests(home: Home, restart: (role: string) => void): () => void {
  rmSync(home.restartDir, { recursive: true, force: true });
  const listener = () => {
    void takeRequests(home).then(
      (roles) => {
        for (const role of roles) restart(role);
      },
      () => {},
    );
  };
  process.on(RESTART_SIGNAL, listener);
  return () => {
    process.off(RESTART_SIGNAL, listener);
  };
}

/**
 * Makes this process the one that runs the home's group ({@link acquireGroup})
 * and has `restart(role)` called for each restart requested meanwhile; it
 * listens from before the group is its own, since a request may come as soon
 * as it is. Gives the record and a function that stops listening.
 *
 * @throws CallsignError `ERR_GROUP_RUNNING` (not listening then).
 */
export async function acquireGroupWithRestarts(
  home: Home,
  init: { mode: GroupMode; stopSeconds: number; restart: (role: string) => void },
): Promise<{ record: SupervisorRecord; stopRestarts: () => void }> {
  const stopRestarts = onRestartRequests(home, init.restart);
  try {
    return { record: await acquireGroup(home, init.mode, init.stopSeconds), stopRestarts };
  } catch (err) {
    stopRestarts();
    throw err;
  }
}

/** The roles whose restart is requested; their requests are removed. */
async function takeRequests(home: Home): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(home.restartDir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
  const roles = names.filter((n) => ROLE_NAME.test(n));
  await Promise.all(names.map((n) => rm(join(home.restartDir, n), { force: true })));
  return roles;
}

/**
 * `callsign restart <role>`: restarts one role of the group running in
 * `home` and waits until it has been started again.
 *
 * @throws CallsignError `ERR_UNKNOWN_ROLE` (not a role of the home, or not
 *   one the running group runs), `ERR_GROUP_NOT_RUNNING`, `ERR_TIMEOUT`.
 */
export async function restartRole(home: Home, role: string, out: CommandOutput): Promise<number> {
  await readRole(home, role);
  const owner = await readGroupOwner(home);
  if (!owner?.alive) {
    const died = owner ? ` (${describeOwner(owner)} died: \`callsign stop\` cleans up)` : '';
    throw new CallsignError('ERR_GROUP_NOT_RUNNING', `no group is running in ${home.dir}${died}`);
  }
  const deadline = Date.now() + owner.stopSeconds * 1000 + RESTART_EXTRA_MS;
  const identity = owner.identity ?? undefined;
  let before = await readGroupState(home).catch(() => undefined);
  // A group still starting has not started every role yet: wait until it has.
  while (before?.ready !== true || before.supervisor.pid !== owner.pid) {
    if (Date.now() >= deadline) throw timeout(role, home);
    if (!isRunning(owner.pid, identity)) {
      throw new CallsignError('ERR_GROUP_NOT_RUNNING', `the group in ${home.dir} has stopped`);
    }
    await sleep(100);
    before = await readGroupState(home).catch(() => undefined);
  }
  const was = before.roles.find((r) => r.name === role);
  if (was === undefined) {
    const runs = before.roles.map((r) => r.name).join(', ');
    throw new CallsignError(
      'ERR_UNKNOWN_ROLE',
      `the group running in ${home.dir} does not run ${role} (it runs ${runs}); stop it and start it with ${role}`,
    );
  }
  await mkdir(home.restartDir, { recursive: true, mode: 0o700 });
  await writeFile(join(home.restartDir, role), `${new Date().toISOString()}\n`, { mode: 0o600 });
  if (!signalProcess(owner.pid, RESTART_SIGNAL, identity)) {
    throw new CallsignError('ERR_GROUP_NOT_RUNNING', `the group in ${home.dir} has stopped`);
  }
  for (;;) {
    const state = await readGroupState(home).catch(() => undefined);
    const now =
      state?.supervisor.pid === owner.pid ? state.roles.find((r) => r.name === role) : undefined;
    if (now !== undefined && now.restarts > was.restarts && now.state !== 'starting') {
      const how = now.pid === null ? `; it is ${now.state}` : ` (pid ${now.pid})`;
      out.stdout(`restarted ${role}${how}\n`);
      return 0;
    }
    if (state === undefined && !isRunning(owner.pid, identity)) {
      throw new CallsignError('ERR_GROUP_NOT_RUNNING', `the group in ${home.dir} has stopped`);
    }
    if (Date.now() >= deadline) throw timeout(role, home);
    await sleep(100);
  }
}

function timeout(role: string, home: Home): CallsignError {
  return new CallsignError(
    'ERR_TIMEOUT',
    `${role} was not restarted in time; see \`callsign status\` and ${home.logFile(role)}`,
  );
}
