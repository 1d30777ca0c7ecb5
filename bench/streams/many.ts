/**
 * Scale of one lmdb store, in a process of its own so that its memory is
 * its own: make `streams` streams and time appends to random ones; then
 * append `retained` messages to one stream and watch the resident memory.
 * Prints one JSON line.
 *
 *   node --import tsx bench/streams/many.ts <folder> <streams> <retained>
 *
 * @module
 */
import { openStreamStore } from '../../src/streams/drivers.ts';
import { percentile } from '../lib/stats.ts';

const [path, streamsArg, retainedArg] = process.argv.slice(2) as [string, string, string];
const streams = Number(streamsArg);
const retained = Number(retainedArg);
const mib = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const store = await openStreamStore({ driver: 'lmdb', options: { path } });
const rssBefore = mib();

const started = performance.now();
const batch = 2000;
for (let i = 0; i < streams; i += batch) {
  const made: Promise<unknown>[] = [];
  for (let j = i; j < Math.min(streams, i + batch); j++)
    made.push(store.createStream({ name: `s${j}` }));
  await Promise.all(made);
}
const createSeconds = (performance.now() - started) / 1000;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const rssStreams = mib();

const data = new Uint8Array(256);
const latencies: number[] = [];
for (let i = 0; i < 2000; i++) {
  const name = `s${Math.floor(Math.random() * streams)}`;
  const t0 = performance.now();
  await store.append(name, { data });
  latencies.push((performance.now() - t0) * 1000);
}
gc?.();
const rssAfterAppends = mib();

await store.createStream({ name: 'retained' });
const samples: { messages: number; rss_mib: number }[] = [];
const chunk = 20_000;
const retainStarted = performance.now();
for (let n = 0; n < retained; n += chunk) {
  const appends: Promise<unknown>[] = [];
  for (let k = 0; k < chunk; k++) appends.push(store.append('retained', { data }));
  await Promise.all(appends);
  if ((n / chunk) % Math.max(1, Math.floor(retained / chunk / 10)) === 0) {
    gc?.();
    samples.push({ messages: n + chunk, rss_mib: mib() });
  }
}
const retainSeconds = (performance.now() - retainStarted) / 1000;
gc?.();
samples.push({ messages: retained, rss_mib: mib() });
await store.close();
process.stdout.write(
  `${JSON.stringify({
    streams,
    create_per_s: Math.round(streams / createSeconds),
    rss_before_mib: rssBefore,
    rss_streams_mib: rssStreams,
    rss_after_appends_mib: rssAfterAppends,
    append_random_p50_us: Math.round(
      percentile(
        latencies.sort((a, b) => a - b),
        50,
      ),
    ),
    append_random_p99_us: Math.round(percentile(latencies, 99)),
    retained,
    retained_append_per_s: Math.round(retained / retainSeconds),
    retained_rss: samples,
  })}\n`,
);
