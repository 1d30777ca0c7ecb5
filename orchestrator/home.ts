import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CallsignError } from '../src/index.ts';
import { loadOrCreateRealm, MAX_REALM_NAME_LENGTH, REALM_ENV } from '../src/internal.ts';
import { errnoOf, readJsonObject, writeJsonAtomic } from './files.ts';

/** The folder `callsign create` makes in the current directory. */
export const HOME_FOLDER = '.callsign';

/** The environment variable that names the home (like `--home`). */
export const HOME_ENV = 'CALLSIGN_HOME';

/** The project's root folder: where `scopes/` and `bin/` are. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const HOME_FILE_KIND = 'callsign-home';
const HOME_FILE_VERSION = 1;

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
  roleFile(role: string): string {
    return join(this.rolesDir, `${role}.json`);
  }
  keysFile(name: string): string {
    return join(this.keysDir, `${name}.json`);
  }
  logFile(name: string): string {
    return join(this.logsDir, `${name}.log`);
  }

  /** The environment a process of the group runs with (besides the caller's own). */
  environment(name: string): Record<string, string> {
    return {
      [HOME_ENV]: this.dir,
      [REALM_ENV]: this.realmFile,
      CALLSIGN_NODE_KEYS: this.keysFile(name),
      CALLSIGN_GROUP: this.groupEndpoint,
      CALLSIGN_ROLE: name,
    };
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

function defaultRealmName(home: Home): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const name = basename(home.parent).replace(/[\u0000-\u001f\u007f]/g, '');
  return name.slice(0, MAX_REALM_NAME_LENGTH) || 'callsign';
}
