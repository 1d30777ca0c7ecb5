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
 * Of what the front imports statically, one stays outside, given to the
 * script's `require` by the bin (dist/callsign-front.json lists it) and loaded
 * only when the front first uses it: src/errors.ts, whose class must be one.
 * The rest are leaves of constants and pure functions (LEAVES below): their
 * used parts are bundled in, each saving the start a module load.
 * orchestrator/package-files.ts, which finds the package from where it is, is
 * given its compiled module's URL for `import.meta.url`.
 *
 * yargs' `assert` (two internal checks) is a small module of our own:
 * Node's `assert` costs a start about a millisecond and a half.
 *
 * `callsign --help` is rendered here, as the front prints it where stdout is
 * not a terminal (unwrapped), into the manifest: the bin prints it without
 * loading the front.
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
const SHARED = new Set(['src/errors.ts'].map((p) => join(ROOT, p)));

/** A leaf that finds the package from where it is: its `import.meta.url` is its compiled module's. */
const PACKAGE_FILES = join(ROOT, 'orchestrator/package-files.ts');

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
    'orchestrator/package-files.ts',
  ].map((p) => join(ROOT, p)),
);

/** yargs' `assert`: the two functions it uses, failing as Node's do (code ERR_ASSERTION). */
const YARGS_ASSERT = `
function fail(message, fallback) {
  if (message instanceof Error) throw message;
  const err = new Error(message ?? fallback);
  err.code = 'ERR_ASSERTION';
  throw err;
}
export function strictEqual(actual, expected, message) {
  if (!Object.is(actual, expected)) fail(message, 'Expected values to be strictly equal');
}
export function notStrictEqual(actual, expected, message) {
  if (Object.is(actual, expected)) fail(message, 'Expected "actual" to be strictly unequal to it');
}
`;

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
        b.onLoad({ filter: /package-files\.ts$/ }, (args) => {
          if (args.path !== PACKAGE_FILES) return undefined;
          const text = readFileSync(args.path, 'utf8').replaceAll(
            'import.meta.url',
            "new URL('./orchestrator/package-files.js', __frontUrl).href",
          );
          return { contents: text, loader: 'ts' };
        });
        b.onResolve({ filter: /^assert$/ }, (args) =>
          args.importer.includes('/node_modules/yargs/')
            ? { path: 'assert', namespace: 'yargs-assert' }
            : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'yargs-assert' }, () => ({
          contents: YARGS_ASSERT,
          loader: 'js',
        }));
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
const manifestText = (help?: string) =>
  `${JSON.stringify({ shared: [...shared].sort(), ...(help === undefined ? {} : { help }) }, null, 2)}\n`;
const keptHelp = ((): string | undefined => {
  try {
    const kept = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { help?: unknown };
    return typeof kept.help === 'string' ? kept.help : undefined;
  } catch {
    return undefined;
  }
})();
const changedFront = replaceIfChanged(FRONT, front);
if (changedFront || keptHelp === undefined || replaceIfChanged(MANIFEST, manifestText(keptHelp))) {
  // The code cache: made by the bin when there is none, on a run of the front's
  // --help (the manifest has no help yet), whose output is the help to keep.
  replaceIfChanged(MANIFEST, manifestText());
  rmSync(CACHE, { force: true });
  const help = execFileSync(process.execPath, [join(ROOT, 'bin/callsign.js'), '--help'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  replaceIfChanged(MANIFEST, manifestText(help));
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
