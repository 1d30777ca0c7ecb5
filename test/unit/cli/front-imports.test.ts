/**
 * The command line's front (orchestrator/cli.ts and the command modules)
 * must start without loading the library: `callsign --help` and `status`
 * stay fast only if nothing the front imports statically reaches
 * src/index.ts or src/internal.ts (bench:cli measures the time; this checks
 * the structure, which a timing cannot). Commands load the library with a
 * dynamic `import()` when they run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LIBRARY = new Set(['src/index.ts', 'src/internal.ts'].map((p) => join(ROOT, p)));

/** The relative modules `file` imports statically for their values (not `import type`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^(import|export)\s+(?!type\b)[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gms;
  for (const m of text.matchAll(re)) out.push(resolve(dirname(file), m[2] as string));
  const bare = /^import\s+'(\.{1,2}\/[^']+)'/gm;
  for (const m of text.matchAll(bare)) out.push(resolve(dirname(file), m[1] as string));
  return out;
}

/** The path by which `entry` reaches the library statically, or undefined. */
function pathToLibrary(entry: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): string[] | undefined => {
    if (LIBRARY.has(file)) return [...path, file];
    if (seen.has(file)) return undefined;
    seen.add(file);
    for (const next of staticImports(file)) {
      const found = walk(next, [...path, file]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(entry, []);
}

describe('the command line front', () => {
  it('reaches neither src/index.ts nor src/internal.ts by static imports', () => {
    const path = pathToLibrary(join(ROOT, 'orchestrator/cli.ts'));
    expect(path?.map((p) => p.slice(ROOT.length + 1)).join(' → ')).toBeUndefined();
  });

  it('the check sees a static import of the library (it can fail)', () => {
    expect(pathToLibrary(join(ROOT, 'orchestrator/stream/target.ts'))).toBeDefined();
  });
});
