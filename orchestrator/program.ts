import { spawn } from 'node:child_process';
import { CallsignError } from '../src/errors.ts';
import type { Settings } from '../src/index.ts';
import { COMPILED } from './package-files.ts';

/**
 * The tsx loader, resolved from this project so that programs run with it
 * from any working directory (`--import tsx` would look in the cwd).
 */
export const TSX_IMPORT = import.meta.resolve('tsx');

/** How long `--print-settings` may take before a program is judged not to be a callsign program. */
export const PRINT_SETTINGS_MS = 15_000;

/** The arguments of `node` that run a callsign program as the README says: `node --import tsx program ...`. */
export function nodeArguments(program: string, args: readonly string[]): string[] {
  return ['--import', TSX_IMPORT, program, ...args];
}

/**
 * The arguments of `node` that run one of callsign's own programs
 * ({@link ownProgram}): compiled, as it is; from its source, through tsx.
 */
export function ownProgramArguments(program: string, args: readonly string[]): string[] {
  return COMPILED ? [program, ...args] : nodeArguments(program, args);
}

/** `fooBar` → `foo-bar`, as a node's command line spells a setting. */
export function settingFlag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `foo-bar` → `fooBar`, as a node's settings name a flag. */
export function settingKey(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * The command-line form of stored setting overrides: `--name=value`, with
 * strings as they are and every other value as JSON.
 */
export function settingArguments(settings: Settings): string[] {
  return Object.entries(settings).map(
    ([key, value]) =>
      `--${settingFlag(key)}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
}

/** Where and how a program is run to ask it for its settings. */
export interface PrintSettingsInit {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Default {@link PRINT_SETTINGS_MS}. */
  timeoutMs?: number;
}

/**
 * Runs `node --import tsx <program> <args> --print-settings` and gives the
 * settings it prints.
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS` with the program's message when
 *   it refuses the arguments (exit code 64), `ERR_NOT_A_PROGRAM` when it fails
 *   otherwise, prints something else than a JSON object or takes too long.
 */
export async function printSettings(
  program: string,
  args: readonly string[],
  init: PrintSettingsInit,
): Promise<Settings> {
  const child = spawn(process.execPath, nodeArguments(program, [...args, '--print-settings']), {
    cwd: init.cwd,
    env: init.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const ms = init.timeoutMs ?? PRINT_SETTINGS_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, ms);
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  }).finally(() => clearTimeout(timer));
  const message = programMessage(stderr);
  if (timedOut) {
    throw new CallsignError(
      'ERR_NOT_A_PROGRAM',
      `${program} did not answer --print-settings within ${ms / 1000} s`,
    );
  }
  if (outcome.code === 64) {
    throw new CallsignError('ERR_INVALID_SETTINGS', message || `${program} refused its settings`);
  }
  if (outcome.code !== 0) {
    const why = outcome.error?.message ?? (message || `exit code ${outcome.code}`);
    throw new CallsignError('ERR_NOT_A_PROGRAM', `${program} is not a callsign program: ${why}`);
  }
  let settings: unknown;
  try {
    settings = JSON.parse(stdout);
  } catch {
    settings = undefined;
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new CallsignError(
      'ERR_NOT_A_PROGRAM',
      `${program} is not a callsign program: --print-settings printed no JSON object`,
    );
  }
  return settings as Settings;
}

/** A program's stderr as one message, without a trailing `(ERR_...)` code that ours will repeat. */
function programMessage(stderr: string): string {
  return stderr
    .trim()
    .replace(/\s*\((ERR_[A-Z_]+)\)$/, '')
    .slice(0, 4000);
}
