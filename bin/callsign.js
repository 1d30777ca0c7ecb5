#!/usr/bin/env node
// The `callsign` command. Runs the command line's front, which `npm run build`
// bundles into dist/callsign-front.cjs (scripts/bundle-cli.ts says why it is
// a script): compiled with V8's code cache, dist/callsign-front.cache, so
// that a start does not compile the front again. Where the cache is missing,
// or made by another Node, this run makes it anew if it may write there.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const dist = new URL('../dist/', import.meta.url);
const frontUrl = new URL('callsign-front.cjs', dist);
const cacheFile = fileURLToPath(new URL('callsign-front.cache', dist));

let source;
let manifest;
try {
  source = readFileSync(frontUrl, 'utf8');
  manifest = JSON.parse(readFileSync(new URL('callsign-front.json', dist), 'utf8'));
} catch (err) {
  if (err?.code !== 'ENOENT') throw err;
  process.stderr.write(
    `callsign: it is not built (${err.message}): run \`npm run build\` in ${fileURLToPath(new URL('..', import.meta.url))}\n`,
  );
  process.exit(1);
}

// The compiled modules the front shares with every other (one CallsignError
// class): imported as ES modules, given to the front's require().
const shared = new Map(
  await Promise.all(
    manifest.shared.map(async (path) => [path, await import(new URL(path, dist).href)]),
  ),
);
const nodeRequire = createRequire(frontUrl);
const frontRequire = (id) => shared.get(id) ?? nodeRequire(id);
/** The front's import(): its paths are relative to dist/. */
const frontImport = (specifier) =>
  import(/^\.\.?\//.test(specifier) ? new URL(specifier, dist).href : specifier);

let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {}
const script = new Script(
  `(function (exports, require, module, __frontUrl, __frontImport) {${source}\n})`,
  { filename: fileURLToPath(frontUrl), cachedData },
);
if (cachedData === undefined || script.cachedDataRejected) {
  // At exit, with what this run compiled. Best effort: the package may be read-only.
  process.once('exit', () => {
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile);
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {}
    }
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, frontRequire, module, frontUrl.href, frontImport);
await module.exports.main(process.argv.slice(2));
