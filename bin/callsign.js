#!/usr/bin/env node
// The `callsign` command: runs the compiled command line (dist/callsign.js,
// which `npm run build` makes and the published package contains).
let cli;
try {
  cli = await import('../dist/callsign.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('/dist/')) throw err;
  process.stderr.write(
    `callsign: it is not built (${err.message}): run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`,
  );
  process.exit(1);
}
await cli.main(process.argv.slice(2));
