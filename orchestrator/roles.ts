import { readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { CallsignError } from '../src/errors.ts';
import type { Settings } from '../src/index.ts';
import { REALM_ENV } from '../src/internal.ts';
import { errnoOf, readJsonObject, writeJsonAtomic } from './files.ts';
import { HOME_ENV, type Home } from './home.ts';
import { printSettings, settingArguments, settingKey } from './program.ts';

/** What a role name may be: lowercase letters, digits and `-`, not starting with `-`. */
export const ROLE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The longest role name. */
export const MAX_ROLE_NAME_LENGTH = 63;

/** The most roles one `add --count` makes. */
export const MAX_ROLE_COUNT = 1000;

/** Options of the CLI itself, which can never be settings of a role. */
const RESERVED_FLAGS = new Set(['help', 'print-settings', 'debug-level', 'home', 'version']);

/** What `roles/<role>.json` holds. */
export interface RoleFile {
  /** The program, relative to the folder the home is in. */
  program: string;
  /** Setting overrides, typed as the program reads them. */
  settings: Settings;
}

/** A role of the home. */
export interface Role extends RoleFile {
  name: string;
  /** The program's absolute path. */
  programPath: string;
}

/**
 * The environment a process of the group runs with (besides the caller's
 * own): a role's, or the group directory's (`_group`).
 */
export function roleEnvironment(home: Home, name: string): Record<string, string> {
  return {
    [HOME_ENV]: home.dir,
    [REALM_ENV]: home.realmFile,
    CALLSIGN_NODE_KEYS: home.keysFile(name),
    CALLSIGN_GROUP: home.groupEndpoint,
    CALLSIGN_ROLE: name,
  };
}

/**
 * Checks a role name.
 *
 * @throws CallsignError `ERR_INVALID_ROLE_NAME` unless it matches {@link ROLE_NAME}.
 */
export function assertRoleName(name: string): void {
  if (!ROLE_NAME.test(name) || name.length > MAX_ROLE_NAME_LENGTH) {
    throw new CallsignError(
      'ERR_INVALID_ROLE_NAME',
      `${JSON.stringify(name)} is not a role name: use a-z, 0-9 and "-", not first, at most ${MAX_ROLE_NAME_LENGTH} characters`,
    );
  }
}

/**
 * Reads one role.
 *
 * @throws CallsignError `ERR_UNKNOWN_ROLE` when the home has no such role.
 */
export async function readRole(home: Home, name: string): Promise<Role> {
  const file = ROLE_NAME.test(name) ? await readJsonObject(home.roleFile(name)) : undefined;
  if (file === undefined) {
    throw new CallsignError('ERR_UNKNOWN_ROLE', `there is no role ${JSON.stringify(name)}`);
  }
  const { program, settings } = file;
  if (
    typeof program !== 'string' ||
    typeof settings !== 'object' ||
    settings === null ||
    Array.isArray(settings)
  ) {
    throw new CallsignError(
      'ERR_INVALID_HOME',
      `${home.roleFile(name)}: expected { "program": string, "settings": object }`,
    );
  }
  return {
    name,
    program,
    settings: settings as Settings,
    programPath: resolve(home.parent, program),
  };
}

/** Every role of the home, by name. */
export async function listRoles(home: Home): Promise<Role[]> {
  let entries: string[];
  try {
    entries = await readdir(home.rolesDir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
  const names = entries
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((n) => ROLE_NAME.test(n))
    .sort();
  return Promise.all(names.map((n) => readRole(home, n)));
}

/**
 * Checks that a program file exists (the program of `role`, if given).
 *
 * @throws CallsignError `ERR_PROGRAM_NOT_FOUND` when it does not.
 */
export async function assertProgramExists(
  path: string,
  shown = path,
  role?: string,
): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') throw err;
  }
  const of = role === undefined ? '' : `role ${role}: `;
  throw new CallsignError('ERR_PROGRAM_NOT_FOUND', `${of}there is no program file ${shown}`);
}

/** Options of {@link addRoles}. */
export interface AddRolesInit {
  /** Make `<role>-0` ... `<role>-(count-1)` instead of `<role>`. */
  count?: number;
  /** Where a relative program path is taken from. Default: the current directory. */
  cwd?: string;
}

/**
 * Adds a role running `program` (or `count` of them), after checking that the
 * program is a callsign program (`--print-settings`). Gives the new names.
 *
 * @throws CallsignError `ERR_INVALID_ROLE_NAME`, `ERR_ROLE_EXISTS`,
 *   `ERR_PROGRAM_NOT_FOUND`, `ERR_NOT_A_PROGRAM`; nothing is added then.
 */
export async function addRoles(
  home: Home,
  program: string,
  role: string,
  init: AddRolesInit = {},
): Promise<string[]> {
  assertRoleName(role);
  const { count } = init;
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > MAX_ROLE_COUNT)) {
    throw new CallsignError(
      'ERR_USAGE',
      `--count must be a whole number from 1 to ${MAX_ROLE_COUNT}`,
    );
  }
  const names =
    count === undefined ? [role] : Array.from({ length: count }, (_, i) => `${role}-${i}`);
  for (const name of names) assertRoleName(name);
  const existing = new Set((await listRoles(home)).map((r) => r.name));
  const taken = names.filter((n) => existing.has(n));
  if (taken.length > 0) {
    throw new CallsignError('ERR_ROLE_EXISTS', `there is already a role ${taken.join(', ')}`);
  }
  const programPath = resolve(init.cwd ?? process.cwd(), program);
  await assertProgramExists(programPath, program);
  await printSettings(programPath, [], {
    cwd: home.parent,
    env: { ...process.env, ...roleEnvironment(home, names[0] ?? role) },
  });
  const stored = relative(home.parent, programPath);
  const file: RoleFile = { program: isAbsolute(stored) ? programPath : stored, settings: {} };
  for (const name of names) await writeJsonAtomic(home.roleFile(name), file);
  return names;
}

/**
 * Gives a role's effective settings: its program's factory settings with the
 * role's overrides, as `--print-settings` prints them.
 */
export async function effectiveSettings(home: Home, role: Role): Promise<Settings> {
  await assertProgramExists(role.programPath, role.program, role.name);
  return printSettings(role.programPath, settingArguments(role.settings), {
    cwd: home.parent,
    env: { ...process.env, ...roleEnvironment(home, role.name) },
  });
}

/**
 * Changes a role's setting overrides with `--<setting>=<value>` arguments
 * (also `--<setting> <value>`, `--<flag>`, `--no-<flag>`), after the program
 * has accepted them. Gives the role's new effective settings.
 *
 * @throws CallsignError `ERR_USAGE` for arguments that are not settings,
 *   `ERR_INVALID_SETTINGS` with the program's message when it refuses them.
 */
export async function updateRole(
  home: Home,
  name: string,
  args: readonly string[],
): Promise<{ role: Role; settings: Settings }> {
  const role = await readRole(home, name);
  const flags = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0] ?? '');
  if (flags.length === 0 || !args[0]?.startsWith('--')) {
    throw new CallsignError(
      'ERR_USAGE',
      'give the settings to change as --<setting>=<value> (see `callsign settings <role>`)',
    );
  }
  for (const flag of flags) {
    if (flag === '' || RESERVED_FLAGS.has(flag)) {
      throw new CallsignError('ERR_USAGE', `--${flag} is not a setting of a role`);
    }
  }
  // Overrides given again replace the stored ones (a node refuses a setting given twice).
  const candidates = (flag: string) => [
    settingKey(flag),
    ...(flag.startsWith('no-') ? [settingKey(flag.slice(3))] : []),
  ];
  const kept: Settings = { ...role.settings };
  for (const flag of flags) for (const key of candidates(flag)) delete kept[key];
  await assertProgramExists(role.programPath, role.program, role.name);
  const settings = await printSettings(role.programPath, [...settingArguments(kept), ...args], {
    cwd: home.parent,
    env: { ...process.env, ...roleEnvironment(home, name) },
  });
  const overrides: Settings = { ...kept };
  for (const flag of flags) {
    const key = candidates(flag).find((k) => Object.hasOwn(settings, k));
    if (key !== undefined) overrides[key] = settings[key];
  }
  const updated: RoleFile = { program: role.program, settings: overrides };
  await writeJsonAtomic(home.roleFile(name), updated);
  return { role: { ...role, ...updated }, settings };
}

/**
 * Removes a role and its node keys (its log stays).
 *
 * @throws CallsignError `ERR_UNKNOWN_ROLE`.
 */
export async function deleteRole(home: Home, name: string): Promise<void> {
  await readRole(home, name);
  await rm(home.roleFile(name));
  await rm(home.keysFile(name), { force: true });
}

/**
 * The roles a group runs: those named, or every one; and the main role, which
 * runs even if not named.
 *
 * @throws CallsignError `ERR_UNKNOWN_ROLE`, `ERR_NO_ROLES`, `ERR_PROGRAM_NOT_FOUND`.
 */
export async function selectRoles(
  home: Home,
  names: readonly string[],
  mainRole?: string,
): Promise<Role[]> {
  let roles: Role[];
  if (names.length === 0) {
    roles = await listRoles(home);
    if (mainRole !== undefined && !roles.some((r) => r.name === mainRole)) {
      await readRole(home, mainRole);
    }
  } else {
    const wanted = [...new Set(mainRole === undefined ? names : [...names, mainRole])];
    roles = await Promise.all(wanted.map((n) => readRole(home, n)));
  }
  if (roles.length === 0) {
    throw new CallsignError(
      'ERR_NO_ROLES',
      'the home has no roles: add one with `callsign add <program> <role>`',
    );
  }
  for (const role of roles) await assertProgramExists(role.programPath, role.program, role.name);
  return roles;
}
