/**
 * `callsign completion`: the shell completion script yargs makes (bash, and
 * zsh through bashcompinit). With it, the shell asks `callsign
 * --get-yargs-completions ...` for the commands and options that fit.
 */
import type { Argv } from 'yargs';
import type { GlobalOptions } from './context.ts';

/** The name of the command, among those `callsign --help` lists. */
export const COMPLETION_COMMAND = 'completion';

/** Adds `callsign completion` to the command line. */
export function addCompletion(y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y.completion(
    COMPLETION_COMMAND,
    'print a shell completion script: callsign completion >> ~/.bashrc (or ~/.zshrc)',
  );
}
