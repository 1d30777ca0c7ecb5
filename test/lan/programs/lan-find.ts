/**
 * Asks a LAN directory finder (scopes/lan/finder.ts) every 100 ms which LAN
 * directory to use, and prints `found <endpoint>` (or `found none`) each time
 * the answer changes, until `--seconds` (default 50) have passed. The realm
 * is the one of `CALLSIGN_REALM`, as a node's.
 *
 *   node --import tsx test/lan/programs/lan-find.ts [--seconds=N]
 */
import { parseArgs } from 'node:util';
import { lanDirectoryFinder } from '../../../scopes/lan/finder.ts';
import { loadOrCreateRealm, realmFingerprint, resolveRealmPath } from '../../../src/internal.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '50' } },
});
const fingerprint = realmFingerprint(await loadOrCreateRealm(resolveRealmPath(process.env)));
const finder = lanDirectoryFinder({
  fingerprint,
  onError: (err) => process.stderr.write(`mdns: ${err.message}\n`),
});
process.stderr.write(`finding the LAN directory of realm ${fingerprint}\n`);
const end = Date.now() + Number(values.seconds) * 1000;
let last: string | undefined | null = null;
while (Date.now() < end) {
  const endpoint = await finder.find(AbortSignal.timeout(500));
  if (endpoint !== last) {
    last = endpoint;
    process.stdout.write(`found ${endpoint ?? 'none'}\n`);
    process.stderr.write(`candidates ${JSON.stringify(finder.candidates())}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await finder.close();
