/**
 * The stream host of bench:streams, in a process of its own (as nats-server
 * is): an lmdb store in the given folder with the benchmark's streams,
 * served at host scope through the given host directory. Prints `ready`.
 *
 *   node --import tsx bench/streams/host.ts <store folder> <directory endpoint> <realm file>
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseRealm } from '../../src/wire/realm.ts';
import {
  configureDirectory,
  configureTransport,
  generateNodeKeys,
  Node,
  openStreamStore,
  streamHost,
} from '../discovery/imports.ts';

const [path, endpoint, realmFile] = process.argv.slice(2) as [string, string, string];
const realm = parseRealm(readFileSync(realmFile, 'utf8'));
const store = await openStreamStore({ driver: 'lmdb', options: { path } });
for (const [name, durability] of [
  ['bench', 'commit'],
  ['bench-flush', 'flush'],
  ['bench-latency', 'commit'],
] as const) {
  await store.createStream({ name, durability, subjects: [`${name}.>`, name] });
}
const node = new Node({ name: 'bench-stream-host' });
configureTransport(node, { realm, keys: generateNodeKeys() });
configureDirectory(node, { parent: endpoint });
node.start(streamHost, { store, scope: 'host' });
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await node.stop();
  await store.close();
  process.exit(0);
});
