/**
 * The second step of `npm run build`: bundles the front of the command line
 * (orchestrator/cli.ts, the command modules of orchestrator/commands/, and
 * yargs) into one file, dist/callsign.js, which bin/callsign.js runs.
 *
 * Why: Node loads each ES module in turns of its own; the front and yargs
 * are some fifty files, and loading them one by one cost about a sixth of
 * `callsign --help`'s start (bench/cli.ts). Everything else the front
 * imports (src/, the modules a command loads when it runs) stays external:
 * it is the compiled dist/ that tsc made, shared with every other module,
 * so that there is one copy of each (one CallsignError class, one registry).
 *
 * @module
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUTFILE = join(DIST, 'callsign.js');

/** The files that make the front: bundled. */
function isFront(path: string): boolean {
  return (
    path === join(ROOT, 'orchestrator/cli.ts') ||
    path.startsWith(join(ROOT, 'orchestrator/commands/'))
  );
}

await build({
  entryPoints: [join(ROOT, 'orchestrator/cli.ts')],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
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
          return { path: `./${relative(DIST, compiled)}`, external: true };
        });
      },
    },
  ],
});
