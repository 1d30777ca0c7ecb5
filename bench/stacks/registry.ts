/**
 * The stacks `bench/transport.ts` measures, in table order, and how to load
 * them. A stack is the module `bench/stacks/<name>.ts`; see `../lib/stack.ts`.
 *
 * @module
 */
import { access } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isStack, type Stack } from '../lib/stack.ts';

/** Every stack, in table order. A missing module is reported and skipped. */
export const STACK_NAMES = ['ws', 'callsign', 'nats'] as const;

/** A stack module, loaded or not. */
export type LoadedStack =
  | { readonly name: string; readonly file: string; readonly stack: Stack }
  | { readonly name: string; readonly file: string; readonly missing: string };

/** Absolute path of the module of stack `name`. */
export function stackFile(name: string): string {
  return fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
}

/**
 * Imports `bench/stacks/<name>.ts` and checks that it exports `stack`, a
 * {@link Stack} of the same name. Never throws for a missing or malformed
 * module: it says what is wrong in `missing`.
 */
export async function loadStack(name: string): Promise<LoadedStack> {
  const file = stackFile(name);
  try {
    await access(file);
  } catch {
    return { name, file, missing: `bench/stacks/${name}.ts is missing` };
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    return { name, file, missing: `bench/stacks/${name}.ts failed to load: ${String(error)}` };
  }
  const { stack } = module;
  if (!isStack(stack)) {
    return { name, file, missing: `bench/stacks/${name}.ts does not export a Stack as \`stack\`` };
  }
  if (stack.name !== name) {
    return { name, file, missing: `bench/stacks/${name}.ts exports a stack named ${stack.name}` };
  }
  return { name, file, stack };
}
