/**
 * `npm run bench:seal`
 *
 * What sealing and opening one payload of a sealed stream costs
 * (`StreamSeal`: AES-256-GCM, a random nonce each, subject and key bound):
 * seals/s and opens/s on one core, 256 B payloads with a type name, as a
 * producer and a consumer of a sealed stream do. Figures are CPU time of
 * this process (`process.cpuUsage`), median of 3 runs, so they hold better
 * than wall time on a busy machine. Prints a line per figure and a JSON line.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { newStreamKey, StreamSeal } from '../src/streams/sealed-payload.ts';
import { median } from './lib/stats.ts';

const quick = process.argv.includes('--quick');
const COUNT = quick ? 50_000 : 200_000;
const SIZE = 256;
const TYPE = 'app.Order';
const place = { subject: 'orders.eu', key: 'customer-17' };

const seal = new StreamSeal(newStreamKey());
const data = randomBytes(SIZE);
const sealed = seal.seal(data, TYPE, place);

/** Operations per CPU second of `op`, run `COUNT` times. */
function perCpuSecond(op: () => unknown): number {
  for (let i = 0; i < COUNT / 10; i++) op();
  const before = process.cpuUsage();
  for (let i = 0; i < COUNT; i++) op();
  const used = process.cpuUsage(before);
  return Math.round(COUNT / ((used.user + used.system) / 1e6));
}

const seals: number[] = [];
const opens: number[] = [];
for (let run = 0; run < 3; run++) {
  seals.push(perCpuSecond(() => seal.seal(data, TYPE, place)));
  opens.push(perCpuSecond(() => seal.open(sealed, place)));
}
const figures = {
  bench: 'seal',
  quick,
  size: SIZE,
  sealed_size: sealed.length,
  seal_per_cpu_s: median(seals),
  open_per_cpu_s: median(opens),
};
console.log(`seal ${SIZE} B: ${figures.seal_per_cpu_s} /CPU s (runs ${seals.join(', ')})`);
console.log(`open ${SIZE} B: ${figures.open_per_cpu_s} /CPU s (runs ${opens.join(', ')})`);
console.log(JSON.stringify(figures));
