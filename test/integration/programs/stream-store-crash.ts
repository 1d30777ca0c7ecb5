// Opens an lmdb stream store in the folder given, makes stream `s` and
// consumer `c`, appends and acknowledges as told, prints `stored N` once
// every append is acknowledged, and then dies as a kill -9 would: nothing
// is committed to LMDB on the way out, only the journal holds the last writes.
//
//   node --import tsx stream-store-crash.ts <folder> <appends> <acks> <flush|commit>
import { openStreamStore } from '../../../src/streams/drivers.ts';

const [path, appendsArg, acksArg, durability] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const store = await openStreamStore({ driver: 'lmdb', options: { path, checkpointMs: 60_000 } });
await store.createStream({
  name: 's',
  partitions: 2,
  durability: durability === 'flush' ? 'flush' : 'commit',
});
await store.createConsumer('s', { name: 'c', start: 'earliest', maxAckPending: 100_000 });
const appended = [];
for (let i = 0; i < Number(appendsArg); i++) {
  appended.push(
    store.append(
      's',
      { data: new TextEncoder().encode(String(i)), key: `k${i % 5}` },
      { messageId: `m${i}` },
    ),
  );
}
await Promise.all(appended);
let acked = 0;
while (acked < Number(acksArg)) {
  const ds = await store.pull('s', 'c', { max: Number(acksArg) - acked });
  if (ds.length === 0) break;
  for (const d of ds) await store.ack('s', 'c', d.partition, d.sequence);
  acked += ds.length;
}
process.stdout.write(`stored ${appended.length} acked ${acked}\n`);
process.kill(process.pid, 'SIGKILL');
