import yargs from 'yargs';
import { CallsignError } from '../errors.ts';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './log.ts';

/** Settings a node runs with: plain JSON-like values keyed by name. */
export type Settings = Record<string, unknown>;

/** What {@link parseSettings} makes of a command line. */
export interface ParsedCommandLine<S extends Settings> {
  /** Factory settings overridden by the command line. */
  settings: S;
  /** `--debug-level`, if given. */
  debugLevel: LogLevel | undefined;
  /** Set when `--help` was asked for: the text to print. */
  help: string | undefined;
  /** `--print-settings`: print the settings as JSON and exit, without running. */
  printSettings: boolean;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Reads `--field=value` overrides of `factory` from `argv` (yargs), with the
 * type of each field taken from its factory value: numbers, booleans and
 * strings as they are, arrays and objects as JSON. Unknown options and values
 * of the wrong type throw ERR_INVALID_SETTINGS.
 *
 * @example
 * ```ts
 * parseSettings(['--port=8080'], { port: 0, host: 'localhost' }).settings // { port: 8080, host: 'localhost' }
 * ```
 */
export function parseSettings<S extends Settings>(
  argv: readonly string[],
  factory: S,
  programName = 'node',
): ParsedCommandLine<S> {
  let failure: string | undefined;
  let parser = yargs([...argv])
    .scriptName(programName)
    .usage(`Usage: ${programName} [--<setting>=<value> ...]`)
    .option('print-settings', {
      type: 'boolean',
      describe: 'print the settings as JSON and exit without running',
    })
    .option('debug-level', {
      type: 'string',
      choices: LOG_LEVELS,
      // In any case: `--debug-level=console` is CONSOLE.
      coerce: (level: unknown) => String(level).toUpperCase(),
      describe: 'write logs at this level and above to stderr',
    })
    .strict()
    .parserConfiguration({ 'camel-case-expansion': true, 'dot-notation': false })
    .help('help')
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      failure = msg ?? err?.message ?? 'invalid command line';
    });
  for (const [key, value] of Object.entries(factory)) {
    const flag = kebab(key);
    const describe = `default: ${JSON.stringify(value)}`;
    if (typeof value === 'number') parser = parser.option(flag, { type: 'number', describe });
    else if (typeof value === 'boolean')
      parser = parser.option(flag, { type: 'boolean', describe });
    else if (typeof value === 'string') parser = parser.option(flag, { type: 'string', describe });
    else parser = parser.option(flag, { type: 'string', describe: `${describe} (JSON)` });
  }
  let help: string | undefined;
  if (argv.includes('--help') || argv.includes('-h')) {
    parser.showHelp((text) => {
      help = text;
    });
    return { settings: { ...factory }, debugLevel: undefined, help, printSettings: false };
  }
  const parsed = parser.parseSync() as Record<string, unknown>;
  if (failure) throw new CallsignError('ERR_INVALID_SETTINGS', failure);
  const positional = parsed._ as unknown[];
  if (positional.length > 0) {
    throw new CallsignError('ERR_INVALID_SETTINGS', `unexpected argument ${String(positional[0])}`);
  }
  const settings: Settings = { ...factory };
  for (const [key, factoryValue] of Object.entries(factory)) {
    const given = parsed[key];
    if (given === undefined) continue;
    settings[key] = coerce(key, given, factoryValue);
  }
  const level = parsed.debugLevel;
  if (level !== undefined && !isLogLevel(level)) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `--debug-level must be one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return {
    settings: settings as S,
    debugLevel: level,
    help: undefined,
    printSettings: parsed.printSettings === true,
  };
}

function coerce(key: string, given: unknown, factoryValue: unknown): unknown {
  if (Array.isArray(given)) {
    throw new CallsignError('ERR_INVALID_SETTINGS', `--${kebab(key)} was given more than once`);
  }
  if (typeof factoryValue === 'number') {
    if (typeof given !== 'number' || Number.isNaN(given)) {
      throw new CallsignError('ERR_INVALID_SETTINGS', `--${kebab(key)} must be a number`);
    }
    return given;
  }
  if (typeof factoryValue === 'boolean' || typeof factoryValue === 'string') return given;
  try {
    const value: unknown = JSON.parse(String(given));
    const expected = Array.isArray(factoryValue)
      ? 'array'
      : factoryValue === null
        ? 'null'
        : 'object';
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (expected !== 'null' && actual !== expected) throw new Error(`expected ${expected}`);
    return value;
  } catch (err) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `--${kebab(key)} must be JSON: ${(err as Error).message}`,
    );
  }
}
