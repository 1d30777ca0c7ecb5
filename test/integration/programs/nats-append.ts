// Appends to a stream of a `nats` store from a process of its own, prints
// `appended N` once every append is acknowledged, and closes the store.
//
//   node --import tsx nats-append.ts <server url> <prefix> <stream> <count>
import { openStreamStore } from '../../../src/streams/drivers.ts';

const [servers, prefix, stream, count] = process.argv.slice(2) as [string, string, string, string];
const store = await openStreamStore({ driver: 'nats', options: { servers, prefix } });
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    store.append(stream, { data: new TextEncoder().encode(`from-another-${i}`) }),
  ),
);
process.stdout.write(`appended ${results.length}\n`);
await store.close();
