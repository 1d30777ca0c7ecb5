/**
 * `npm run bench:handshake [-- --count N]`
 *
 * CPU time of one complete handshake (docs/security.md), both sides
 * together, in one process: M1, M2, M3 and the traffic keys, N times after a
 * warm-up. Prints the median and p90 in ms and, as the last line, a JSON
 * object `{ handshake_cpu_ms_p50, handshake_cpu_ms_p90, count }`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { InitiatorHandshake, ResponderHandshake } from '../src/wire/handshake.ts';
import { generateNodeKeys } from '../src/wire/keys.ts';
import { createRealm } from '../src/wire/realm.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '500' } } });
const count = Number(values.count);
const realm = createRealm('bench');
const a = generateNodeKeys();
const b = generateNodeKeys();

function once(): void {
  const initiator = new InitiatorHandshake({ realm, keys: a });
  const responder = new ResponderHandshake({ realm, keys: b });
  const m2 = responder.receive(initiator.start()).send!;
  const step = initiator.receive(m2);
  const done = responder.receive(step.send!);
  if (!step.result || !done.result) throw new Error('handshake did not complete');
}

for (let i = 0; i < 50; i++) once();
const samples: number[] = [];
for (let i = 0; i < count; i++) {
  const start = process.cpuUsage();
  once();
  const used = process.cpuUsage(start);
  samples.push((used.user + used.system) / 1000);
}
samples.sort((x, y) => x - y);
const at = (p: number) =>
  samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
const p50 = Math.round(at(50) * 1000) / 1000;
const p90 = Math.round(at(90) * 1000) / 1000;
console.log(`handshake CPU, both sides: p50 ${p50} ms, p90 ${p90} ms over ${count}`);
console.log(JSON.stringify({ handshake_cpu_ms_p50: p50, handshake_cpu_ms_p90: p90, count }));
