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
 * What stays outside: everything the front imports that is not the front
 * (src/, the modules a command loads when it runs) is the compiled dist/ that
 * tsc made, shared with every other module, so that there is one copy of
 * each (one CallsignError class, one registry).
 * - The few the front imports statically are listed in dist/callsign-front.json;
 *   the bin imports them first and gives them to the script's `require`.
 * - The ones a command imports when it runs stay `import()`s, which the bin's
 *   `frontImport` makes (a script's own `import()` needs a Node flag).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Compiled modules the front imports statically, as `./path` from dist/. */
const shared = new Set<string>();

await build({
  entryPoints: [join(ROOT, 'orchestrator/cli.ts')],
  outfile: FRONT,
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
          if (isFront(source)) return undefined;
          const compiled = join(DIST, relative(ROOT, source)).replace(/\.ts$/, '.js');
          const path = `./${relative(DIST, compiled)}`;
          if (args.kind !== 'dynamic-import') shared.add(path);
          return { path, external: true };
        });
      },
    },
  ],
});

// Every import() of the front goes through the bin's frontImport.
const bundled = readFileSync(FRONT, 'utf8');
const front = bundled.replace(/\bimport\((?=["'])/g, '__frontImport(');
if (/\bimport\(/.test(front.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) {
  throw new Error(
    'the front has an import() whose argument is not a string: frontImport cannot take it',
  );
}
writeFileSync(FRONT, front);
writeFileSync(MANIFEST, `${JSON.stringify({ shared: [...shared].sort() }, null, 2)}\n`);

// The code cache: made by the bin when there is none, on a run of --help.
rmSync(CACHE, { force: true });
execFileSync(process.execPath, [join(ROOT, 'bin/callsign.js'), '--help'], { stdio: 'ignore' });
