/**
 * The command line's front (orchestrator/cli.ts and the command modules)
 * must start without loading the library: `callsign --help` and `status`
 * stay fast only if nothing the front imports statically reaches
 * src/index.ts or src/internal.ts, nor the work of one command such as the
 * stream modules (orchestrator/stream/): bench:cli measures the time; this
 * checks the structure, which a timing cannot. Commands load what does their
 * work with a dynamic `import()` when they run.
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

/** The path by which `entry` statically reaches a file that `isTarget`, or undefined. */
function pathTo(entry: string, isTarget: (file: string) => boolean): string[] | undefined {
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): string[] | undefined => {
    if (isTarget(file)) return [...path, file];
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

const pathToLibrary = (entry: string) => pathTo(entry, (file) => LIBRARY.has(file));
const STREAM_WORK = join(ROOT, 'orchestrator/stream/');
const shown = (path: string[] | undefined) =>
  path?.map((p) => p.slice(ROOT.length + 1)).join(' → ');

describe('the command line front', () => {
  it('reaches neither src/index.ts nor src/internal.ts by static imports', () => {
    expect(shown(pathToLibrary(join(ROOT, 'orchestrator/cli.ts')))).toBeUndefined();
  });

  it("reaches none of the stream commands' modules (orchestrator/stream/) by static imports", () => {
    const path = pathTo(
      join(ROOT, 'orchestrator/cli.ts'),
      (file) => file.startsWith(STREAM_WORK) && !file.endsWith('/options.ts'),
    );
    expect(shown(path)).toBeUndefined();
  });

  it('the check sees a static import of the library (it can fail)', () => {
    expect(pathToLibrary(join(ROOT, 'orchestrator/stream/target.ts'))).toBeDefined();
    expect(
      pathTo(join(ROOT, 'orchestrator/stream/actions.ts'), (f) => f.startsWith(STREAM_WORK)),
    ).toBeDefined();
  });
});
