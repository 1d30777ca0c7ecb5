import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CallsignError } from '../src/errors.ts';
import { errnoOf, readJsonObject } from './files.ts';

/** The folder `callsign create` makes in the current directory. */
export const HOME_FOLDER = '.callsign';

/** The environment variable that names the home (like `--home`). */
export const HOME_ENV = 'CALLSIGN_HOME';

/** What `home.json` says it is. */
export const HOME_FILE_KIND = 'callsign-home';
/** The version of the home's layout that this callsign reads and writes. */
export const HOME_FILE_VERSION = 1;

/**
 * The name under which the group directory's node keys and log are kept. It
 * cannot clash with a role: role names never start with `_`.
 */
export const DIRECTORY_NAME = '_group';

/** The name of the background supervisor's own log. */
export const SUPERVISOR_NAME = '_supervisor';

/**
 * A home folder (`.callsign/`): the realm, the roles and their keys, logs and
 * runtime state of one group.
 */
export class Home {
  /** The home folder, absolute. */
  readonly dir: string;
  /** The folder the home is in; program paths are stored relative to it and roles run in it. */
  readonly parent: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.parent = dirname(this.dir);
  }

  get homeFile(): string {
    return join(this.dir, 'home.json');
  }
  get realmFile(): string {
    return join(this.dir, 'realm.json');
  }
  get rolesDir(): string {
    return join(this.dir, 'roles');
  }
  get keysDir(): string {
    return join(this.dir, 'keys');
  }
  get logsDir(): string {
    return join(this.dir, 'logs');
  }
  get runDir(): string {
    return join(this.dir, 'run');
  }
  /** The group directory's unix socket. */
  get groupSocket(): string {
    return join(this.runDir, 'group.sock');
  }
  /** The group directory's endpoint, as handed to roles in `CALLSIGN_GROUP`. */
  get groupEndpoint(): string {
    return `unix:${this.groupSocket}`;
  }
  /** Who runs the group: the supervisor's pid file. */
  get supervisorFile(): string {
    return join(this.runDir, 'supervisor.json');
  }
  /** The state of every process of the group. */
  get stateFile(): string {
    return join(this.runDir, 'state.json');
  }
  /** Requests of `callsign restart` to the process that runs the group, a file per role. */
  get restartDir(): string {
    return join(this.runDir, 'restart');
  }
  roleFile(role: string): string {
    return join(this.rolesDir, `${role}.json`);
  }
  keysFile(name: string): string {
    return join(this.keysDir, `${name}.json`);
  }
  logFile(name: string): string {
    return join(this.logsDir, `${name}.log`);
  }
}

/**
 * Where the home is: `--home DIR`, else `CALLSIGN_HOME`, else `.callsign` in
 * the current directory; relative paths are taken from the current directory.
 */
export function resolveHomeDir(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (option !== undefined && option !== '') return resolve(cwd, option);
  const fromEnv = env[HOME_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  return resolve(cwd, HOME_FOLDER);
}

/**
 * Opens the home at `dir`.
 *
 * @throws CallsignError `ERR_NO_HOME` when there is none, `ERR_INVALID_HOME`
 *   when its home.json is not one this version understands.
 */
export async function openHome(dir: string): Promise<Home> {
  const home = new Home(dir);
  let file: Record<string, unknown> | undefined;
  try {
    file = await readJsonObject(home.homeFile);
  } catch (err) {
    if (errnoOf(err) === 'ENOTDIR') file = undefined;
    else throw err;
  }
  if (file === undefined) {
    throw new CallsignError(
      'ERR_NO_HOME',
      `no callsign home at ${home.dir}: make one with \`callsign create\` or name one with --home`,
    );
  }
  if (file.kind !== HOME_FILE_KIND || file.version !== HOME_FILE_VERSION) {
    throw new CallsignError(
      'ERR_INVALID_HOME',
      `${home.homeFile}: expected kind "${HOME_FILE_KIND}" version ${HOME_FILE_VERSION}`,
    );
  }
  return home;
}

/** Removes a home and everything in it. */
export async function removeHome(home: Home): Promise<void> {
  await rm(home.dir, { recursive: true, force: true, maxRetries: 3 });
}
