/**
 * The test's own programs (`test/integration/programs/`, `test/lan/programs/`)
 * compiled once per run, for the global setup (test/helpers/build.ts).
 *
 * A program the tests start runs its test code compiled with plain `node`
 * (`nodeArguments` in test/helpers/processes.ts) instead of through tsx's
 * loader, which costs each start about half a second of CPU. Users'
 * programs (the examples, and what `callsign run` starts) still run with
 * `node --import tsx`, as the README says.
 *
 * Each program is bundled with what it imports from the tests (a messages
 * module, the attack tools), into `dist/test/<same path>.js`. What it imports
 * of callsign itself (`src/`, `scopes/`, `orchestrator/`, or `callsign`)
 * stays outside, as the compiled package in `dist/` that the build just made:
 * one copy of each module, as in a user's program. A program whose bundle
 * reads `import.meta` (test/helpers/processes.ts finds the project from its
 * own file) would find the wrong place from `dist/test/`: it is left to tsx.
 *
 * @module
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './processes.ts';

/** The folders of programs that tests start. */
const FOLDERS = ['test/integration/programs', 'test/lan/programs'];

/** callsign's own code, compiled into dist/ by `npm run build`. */
const OWN_CODE = /^(?:src|scopes|orchestrator)\//;

/**
 * Compiles every program of {@link FOLDERS} that can run compiled. A compiled
 * file is only written when its text changes (to a new file, renamed over the
 * old one), and removed when its source is gone: a test run of another
 * project may be starting these programs meanwhile.
 */
export async function compileTestPrograms(): Promise<void> {
  const compiled = new Set<string>();
  for (const folder of FOLDERS) {
    const sources = readdirSync(join(ROOT, folder)).filter((name) => name.endsWith('.ts'));
    await Promise.all(
      sources.map(async (name) => {
        const outfile = await compileProgram(join(folder, name));
        if (outfile !== undefined) compiled.add(outfile);
      }),
    );
    const out = join(ROOT, 'dist', folder);
    for (const name of existsSync(out) ? readdirSync(out) : []) {
      if (!compiled.has(join(out, name))) rmSync(join(out, name), { force: true });
    }
  }
}

/** Compiles one program into dist/; gives its file, or `undefined` if it must run with tsx. */
async function compileProgram(file: string): Promise<string | undefined> {
  const outfile = join(ROOT, 'dist', file.replace(/\.ts$/, '.js'));
  const result = await build({
    entryPoints: [join(ROOT, file)],
    outfile,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Packages, `callsign` included, are imported as they are.
    packages: 'external',
    plugins: [
      {
        name: 'callsign-stays-compiled',
        setup(b) {
          // As the package, not as tsconfig.json's `paths` (the sources) say.
          b.onResolve({ filter: /^callsign(?:\/|$)/ }, (args) => ({
            path: args.path,
            external: true,
          }));
          b.onResolve({ filter: /^\.\.?\// }, (args) => {
            const source = relative(ROOT, resolve(args.resolveDir, args.path));
            if (!OWN_CODE.test(source)) return undefined;
            const compiled = join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
            let path = relative(dirname(outfile), compiled);
            if (!path.startsWith('.')) path = `./${path}`;
            return { path, external: true };
          });
        },
      },
    ],
  });
  const text = result.outputFiles[0]?.text ?? '';
  if (text.includes('import.meta')) return undefined;
  if (!existsSync(outfile) || readFileSync(outfile, 'utf8') !== text) {
    mkdirSync(dirname(outfile), { recursive: true });
    const next = `${outfile}.${process.pid}.tmp`;
    writeFileSync(next, text);
    renameSync(next, outfile);
  }
  return outfile;
}
