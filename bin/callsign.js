#!/usr/bin/env node
// The `callsign` command. Runs the command line's front, which `npm run build`
// bundles into dist/callsign-front.cjs (scripts/bundle-cli.ts says why it is
// a script): compiled with V8's code cache, dist/callsign-front.cache, so
// that a start does not compile the front again. Where the cache is missing,
// or made by another Node, this run makes it anew if it may write there.
//
// A CommonJS script (bin/package.json), so that a start loads no ES module
// and Node does not set up its ES module loader for it: the front's ES
// modules (dist/callsign-front.json lists them) are required only when the
// front first uses them, which `--help` and `status` never do.
'use strict';
const {
  fstatSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = join(__dirname, '../dist');
const frontFile = join(dist, 'callsign-front.cjs');
const cacheFile = join(dist, 'callsign-front.cache');

let manifest;
try {
  manifest = JSON.parse(readFileSync(join(dist, 'callsign-front.json'), 'utf8'));
} catch (err) {
  if (err?.code !== 'ENOENT') throw err;
  process.stderr.write(
    `callsign: it is not built (${err.message}): run \`npm run build\` in ${join(__dirname, '..')}\n`,
  );
  process.exit(1);
}

// `callsign --help` printed where it is not a terminal is the same text at
// every run: the build renders it (the front's own --help, unwrapped), and
// this prints it without loading the front. At a terminal yargs wraps it to
// the terminal's width: the front does that.
const argv = process.argv.slice(2);
if (
  typeof manifest.help === 'string' &&
  argv.length === 1 &&
  (argv[0] === '--help' || argv[0] === '-h') &&
  !isTerminal(1)
) {
  printHelp(manifest.help);
} else {
  runFront();
}

/** Whether `fd` may be a terminal (any character device is taken for one). */
function isTerminal(fd) {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return true;
  }
}

/** Writes `text` to stdout as the front would, and ends with its exit code. */
function printHelp(text) {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (err) {
    // `callsign --help | head` closes stdout early: that is fine, as in the front.
    if (err?.code === 'EPIPE') process.exit(0);
    // A stdout that does not block (EAGAIN): the rest through the stream, which waits.
    if (err?.code !== 'EAGAIN') throw err;
    process.stdout.write(bytes.subarray(written), () => process.exit(0));
    return;
  }
  process.exit(0);
}

function runFront() {
  const { Script } = require('node:vm');
  const distUrl = pathToFileURL(`${dist}/`);
  const frontUrl = new URL('callsign-front.cjs', distUrl);
  const source = readFileSync(frontFile, 'utf8');

  // The compiled modules the front shares with every other (one CallsignError
  // class), given to the front's require(): each is required (an ES module,
  // by Node's require of ES modules) when the front first reads from it.
  const shared = new Map(manifest.shared.map((path) => [path, lazyModule(join(dist, path))]));
  const frontRequire = (id) => shared.get(id) ?? require(id);
  /** The front's import(): its paths are relative to dist/. */
  const frontImport = (specifier) =>
    import(/^\.\.?\//.test(specifier) ? new URL(specifier, distUrl).href : specifier);

  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const script = new Script(
    `(function (exports, require, module, __frontUrl, __frontImport) {${source}\n})`,
    { filename: frontFile, cachedData },
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
  module.exports.main(argv);
}

/** A module's exports, required at the first read of one of them. */
function lazyModule(path) {
  let exports;
  const load = () => {
    exports ??= require(path);
    return exports;
  };
  return new Proxy(
    {},
    {
      get: (_, key) => load()[key],
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}
