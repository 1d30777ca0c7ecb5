/**
 * `npm run bench:codec [-- --quick]`
 *
 * Encode and decode speed of the message codec against msgpackr and JSON, in
 * one process, for a ~100-byte message (a few strings and integers) and a
 * message carrying 16 KiB of bytes. Prints ops/s (median of several timed
 * rounds) and the encoded sizes.
 *
 * - `callsign`: `encodeMessage` / `decodeMessage` (validates every field on
 *   encode, builds a class instance on decode).
 * - `callsign (closures)`: the same codec with code generation turned off,
 *   the fallback used where `new Function` is disallowed.
 * - `msgpackr records`: a `Packr` with `structures` (record extension), on a
 *   plain object with the same fields.
 * - `msgpackr`: a plain `Packr`.
 * - `JSON`: `JSON.stringify` + `TextEncoder`, `TextDecoder` + `JSON.parse`;
 *   bytes as base64 (a Uint8Array does not survive JSON otherwise).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';
import { decodeMessage, encodeMessage } from '../src/messages/codec.ts';
import { defineMessage, type Message, setCodeGeneration } from '../src/messages/registry.ts';
import { t } from '../src/messages/schema.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const ROUNDS = args.quick ? 3 : 7;
const ROUND_MS = args.quick ? 100 : 300;

// ---------------------------------------------------------------------------
// Subjects

const smallSchema = {
  id: t.uint,
  sender: t.string,
  recipient: t.string,
  subject: t.string,
  priority: t.int,
  attempts: t.uint,
};
const blobSchema = { id: t.uint, name: t.string, data: t.bytes };

class Small extends defineMessage('bench.Small', smallSchema) {}
class Blob extends defineMessage('bench.Blob', blobSchema) {}
setCodeGeneration(false);
class SmallClosures extends defineMessage('bench.SmallClosures', smallSchema) {}
class BlobClosures extends defineMessage('bench.BlobClosures', blobSchema) {}
setCodeGeneration(true);

const smallFields = {
  id: 123_456_789,
  sender: 'orders-service@host-a',
  recipient: 'billing-service@host-b',
  subject: 'invoice 2024-0042 is ready for review',
  priority: -3,
  attempts: 2,
};
const data = new Uint8Array(16 * 1024);
for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
const blobFields = { id: 7, name: 'chunk-0007.bin', data };

interface Codec {
  readonly name: string;
  encode(): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

function ours(name: string, m: Message): Codec {
  return { name, encode: () => encodeMessage(m), decode: (b) => decodeMessage(b) };
}

function msgpackr(name: string, packr: Packr, value: object): Codec {
  return { name, encode: () => packr.pack(value), decode: (b) => packr.unpack(b) };
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function json(value: object, revive?: (o: Record<string, unknown>) => unknown): Codec {
  return {
    name: 'JSON',
    encode: () => textEncoder.encode(JSON.stringify(value)),
    decode: (b) => {
      const o = JSON.parse(textDecoder.decode(b)) as Record<string, unknown>;
      return revive ? revive(o) : o;
    },
  };
}

function subjects(): { title: string; codecs: Codec[] }[] {
  const blobJson = { ...blobFields, data: Buffer.from(data).toString('base64') };
  return [
    {
      title: '~100-byte message (6 fields: 3 strings, 3 integers)',
      codecs: [
        ours('callsign', new Small(smallFields)),
        ours('callsign (closures)', new SmallClosures(smallFields)),
        msgpackr('msgpackr records', new Packr({ structures: [] }), { ...smallFields }),
        msgpackr('msgpackr', new Packr(), { ...smallFields }),
        json({ ...smallFields }),
      ],
    },
    {
      title: '16 KiB bytes message (3 fields)',
      codecs: [
        ours('callsign', new Blob(blobFields)),
        ours('callsign (closures)', new BlobClosures(blobFields)),
        msgpackr('msgpackr records', new Packr({ structures: [] }), { ...blobFields }),
        msgpackr('msgpackr', new Packr(), { ...blobFields }),
        json(blobJson, (o) => ({ ...o, data: Buffer.from(o.data as string, 'base64') })),
      ],
    },
  ];
}

// ---------------------------------------------------------------------------
// Timing

let sink: unknown;

/** How many calls of `fn` take about 2 ms (after warming it up). */
function batchSize(fn: () => unknown): number {
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) sink = fn();
    if (performance.now() - t0 > 2 || batch > 1e6) return batch;
    batch *= 2;
  }
}

/**
 * Ops/s of each of `fns`: rounds of ROUND_MS each, taken in turn (so that
 * load from elsewhere on the machine hits them alike), median per function.
 */
function measure(fns: readonly (() => unknown)[]): number[] {
  const batches = fns.map(batchSize);
  const rates: number[][] = fns.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    fns.forEach((fn, k) => {
      const batch = batches[k]!;
      let ops = 0;
      const start = performance.now();
      let now = start;
      while (now - start < ROUND_MS) {
        for (let i = 0; i < batch; i++) sink = fn();
        ops += batch;
        now = performance.now();
      }
      rates[k]!.push((ops / (now - start)) * 1000);
    });
  }
  return rates.map((r) => r.sort((a, b) => a - b)[Math.floor(r.length / 2)]!);
}

function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)} M`;
  return `${(opsPerSecond / 1e3).toFixed(0)} k`;
}

function formatNanos(opsPerSecond: number): string {
  const ns = 1e9 / opsPerSecond;
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function msgpackrVersion(): string {
  try {
    const url = new URL('../node_modules/msgpackr/package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

console.log(
  `node ${process.version}, msgpackr ${msgpackrVersion()}, ${ROUNDS} rounds of ${ROUND_MS} ms each, median\n`,
);
const results: Record<
  string,
  Record<string, { encode: number; decode: number; both: number }>
> = {};
for (const { title, codecs } of subjects()) {
  const encoded = codecs.map((c) => c.encode());
  for (const [k, c] of codecs.entries()) c.decode(encoded[k]!); // check that each decodes
  const encode = measure(codecs.map((c) => () => c.encode()));
  const decode = measure(codecs.map((c, k) => () => c.decode(encoded[k]!)));
  const both = measure(codecs.map((c) => () => c.decode(c.encode())));
  const rows: string[][] = [];
  results[title] = {};
  codecs.forEach((codec, k) => {
    const e = encode[k]!;
    const d = decode[k]!;
    const b = both[k]!;
    results[title]![codec.name] = {
      encode: Math.round(e),
      decode: Math.round(d),
      both: Math.round(b),
    };
    rows.push([
      codec.name,
      String(encoded[k]!.length),
      `${formatRate(e)} (${formatNanos(e)})`,
      `${formatRate(d)} (${formatNanos(d)})`,
      `${formatRate(b)} (${formatNanos(b)})`,
    ]);
  });
  console.log(`${title}\n`);
  console.log(
    table(['codec', 'bytes', 'encode ops/s', 'decode ops/s', 'encode+decode ops/s'], rows),
  );
  console.log();
}
void sink;
console.log(JSON.stringify({ bench: 'codec', node: process.version, results }));
