/**
 * The second step of `npm run build`: bundles the front of the command line
 * (orchestrator/cli.ts, the command modules of orchestrator/commands/, and
 * yargs) into one script, dist/callsign-front.cjs, which bin/callsign.js runs
 * with V8's code cache (dist/callsign-front.cache, made here by running
 * `callsign --help` once).
 *
 * Why one script: Node loads each ES module in turns of its own; the front
 * and yargs are some fifty files, and loading them one by one cost about a
 * sixth of `callsign --help`'s start (bench/cli.ts).
 *
 * Why a script and not an ES module: Node 20 keeps no code cache for ES
 * modules, and compiling the front's 230 kB again at every start was about
 * half of what `--help` costs above Node's own start. A script compiled with
 * `cachedData` skips that.
 *
 * What stays outside: the modules a command imports when it runs (src/, the
 * rest of orchestrator/) are the compiled dist/ that tsc made, shared with
 * every other module, so that there is one copy of each (one CallsignError
 * class, one registry). They stay `import()`s, which the bin's `frontImport`
 * makes (a script's own `import()` needs a Node flag).
 *
 * Of what the front imports statically, two stay outside, imported by the bin
 * first and given to the script's `require` (dist/callsign-front.json lists
 * them): src/errors.ts, whose class must be one, and
 * orchestrator/package-files.ts, which finds the package from where it is.
 * The rest are leaves of constants and pure functions (LEAVES below): their
 * used parts are bundled in, each saving the start a module load.
 *
 * @module
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
/** The front, its manifest and its code cache; bin/callsign.js reads the same names. */
const FRONT = join(DIST, 'callsign-front.cjs');
const MANIFEST = join(DIST, 'callsign-front.json');
const CACHE = join(DIST, 'callsign-front.cache');

/** The files that make the front: bundled. */
function isFront(path: string): boolean {
  return (
    path === join(ROOT, 'orchestrator/cli.ts') ||
    path.startsWith(join(ROOT, 'orchestrator/commands/'))
  );
}

/** Modules the front imports statically that must be the compiled one all share. */
const SHARED = new Set(
  ['src/errors.ts', 'orchestrator/package-files.ts'].map((p) => join(ROOT, p)),
);

/**
 * Modules of constants and pure functions (no state of their own, no class
 * anyone tests with instanceof) that the front bundles, imported statically
 * or not: the scopes, the log levels, the table formatter, and what
 * `callsign status` and the home need, so that `status` (a start-time goal
 * of bench:cli) loads no module of its own. A command that runs other
 * compiled modules may load their dist/ copy as well: two copies of a
 * stateless function are the same function.
 */
const LEAVES = new Set(
  [
    'src/directory/scope.ts',
    'src/runtime/log.ts',
    'orchestrator/table.ts',
    'orchestrator/errno.ts',
    'orchestrator/home.ts',
    'orchestrator/files.ts',
    'orchestrator/status.ts',
    'orchestrator/state.ts',
    'orchestrator/pids.ts',
    'orchestrator/group-lock.ts',
  ].map((p) => join(ROOT, p)),
);

/** Compiled modules the front imports statically, as `./path` from dist/. */
const shared = new Set<string>();

const result = await build({
  entryPoints: [join(ROOT, 'orchestrator/cli.ts')],
  outfile: FRONT,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // The front's own URL, which the bin passes in (a script has no import.meta).
  define: { 'import.meta.url': '__frontUrl' },
  plugins: [
    {
      name: 'compiled-modules-stay-external',
      setup(b) {
        // Our relative imports outside the front: to the compiled module in dist/.
        b.onResolve({ filter: /^\.\.?\// }, (args) => {
          if (args.importer.includes('/node_modules/')) return undefined; // yargs' own
          const source = resolve(args.resolveDir, args.path);
          const dynamic = args.kind === 'dynamic-import';
          if (isFront(source) || LEAVES.has(source)) return undefined;
          if (!dynamic && !SHARED.has(source)) {
            throw new Error(
              `the front imports ${relative(ROOT, source)} statically: import it when its command runs, or list it in SHARED or LEAVES`,
            );
          }
          const compiled = join(DIST, relative(ROOT, source)).replace(/\.ts$/, '.js');
          const path = `./${relative(DIST, compiled)}`;
          if (!dynamic) shared.add(path);
          return { path, external: true };
        });
      },
    },
  ],
});

// Every import() of the front goes through the bin's frontImport.
const bundled = result.outputFiles[0]?.text ?? '';
const front = bundled.replace(/\bimport\((?=["'])/g, '__frontImport(');
if (/\bimport\(/.test(front.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) {
  throw new Error(
    'the front has an import() whose argument is not a string: frontImport cannot take it',
  );
}
// A build that changes nothing writes nothing, and a changed file is written
// whole (renamed over the old one): the tests build at their start, and a
// `callsign` run by another test project meanwhile must never read half a
// front, or a front with another build's manifest.
const changedFront = replaceIfChanged(FRONT, front);
const changedManifest = replaceIfChanged(
  MANIFEST,
  `${JSON.stringify({ shared: [...shared].sort() }, null, 2)}\n`,
);

// The code cache: made by the bin when there is none, on a run of --help.
if (changedFront || changedManifest) {
  rmSync(CACHE, { force: true });
  execFileSync(process.execPath, [join(ROOT, 'bin/callsign.js'), '--help'], { stdio: 'ignore' });
}

/** Writes `text` to `file` (a new file renamed over it) unless it holds that already; says whether it wrote. */
function replaceIfChanged(file: string, text: string): boolean {
  try {
    if (readFileSync(file, 'utf8') === text) return false;
  } catch {}
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
  return true;
}
