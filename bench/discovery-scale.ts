/**
 * `node --import tsx --expose-gc bench/discovery-scale.ts [--quick]`
 *
 * How far one directory table scales (docs/directory.md, "Scale"):
 *
 * 1. **Memory.** A table filled with N listings (1,000,000; quick: 100,000)
 *    from 100 child links, 100 listings per publishing node. Every listing is
 *    built as the codec would hand it over: its own objects and its own copy
 *    of every string (node key, endpoint, description). RSS of the whole
 *    process after a full gc, and the growth per listing.
 * 2. **A new regular-expression search** on that table: it is tested against
 *    every name held. One pattern with no literal text (the regex runs on
 *    every name: `new_regex_search_ms`), one with literal text inside only
 *    (the same) and one with a literal prefix (names without it are skipped
 *    by `startsWith`); median of several puts, each withdrawn again.
 * 3. **Matching a new listing** against 10,000 searches: 9,000 exact + 1,000
 *    regular expressions, 10,000 regular expressions, and 10,000 regular
 *    expressions none of which has literal text to be filed under, so that
 *    each runs on every name (the worst case). Each sample is one timed `putListing` of a listing no table holds
 *    yet (then withdrawn, untimed); median and p99 of many. The cost does not
 *    depend on how many listings the table holds (names are looked up in a
 *    map), so these tables hold only the searches.
 *
 * Prints a table, then as the last line one JSON object:
 * `{ "listings", "listings_rss_mib", "match_us_10k_searches",
 * "match_us_10k_regex", "new_regex_search_ms", ... }`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { DirectoryTable, type ListingEntry, type SearchEntry } from '../src/directory/index.ts';
import { formatTable } from './lib/table.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const QUICK = args.quick;
const LISTINGS = QUICK ? 100_000 : 1_000_000;
const LINKS = 100;
const PER_NODE = 100;
const MATCH_SAMPLES = QUICK ? 2_000 : 10_000;
/** Fewer for the worst case, where a sample takes milliseconds. */
const UNFILED_SAMPLES = QUICK ? 300 : 2_000;
const SCAN_RUNS = QUICK ? 7 : 9;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc: node --import tsx --expose-gc bench/discovery-scale.ts');
  process.exit(64);
}

// ---------------------------------------------------------------------------
// Data, shaped like what arrives from the network

const SERVICES = ['orders', 'billing', 'device', 'sensor', 'worker', 'chat', 'search', 'report'];
const REGIONS = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south', 'ap-east'];
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A copy of `s` in a string of its own, as a decoder makes it. */
function fresh(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function nodeIdOf(n: number): string {
  let id = '';
  let x = (n + 1) * 2654435761;
  for (let k = 0; k < 16; k++) {
    id += BASE32[x % 32];
    x = Math.floor(x / 32) + k * 7919;
  }
  return id;
}

/** The `i`-th name of the name space: `orders-123.eu-west`. */
function nameOf(i: number): string {
  return `${SERVICES[i % SERVICES.length]}-${i}.${REGIONS[Math.floor(i / 7) % REGIONS.length]}`;
}

function listingOf(i: number): ListingEntry {
  const node = Math.floor(i / PER_NODE);
  const nodeId = nodeIdOf(node);
  return {
    id: `${nodeId}:${i % PER_NODE}`,
    name: nameOf(i),
    scope: 'lan',
    multi: false,
    publisher: {
      nodeKey: fresh(`${nodeId}Qm9vdHN0cmFwLWtleS1vZi10aGUtbm9kZQ`),
      actor: 10 + (i % PER_NODE),
      endpoints: [fresh(`tcp:10.0.${node % 250}.${(node >> 8) % 250}:4${node % 10000}`)],
      where: fresh(`${SERVICES[i % SERVICES.length]} on host-${node % 500} (pid ${1000 + node})`),
    },
  };
}

function searchOf(id: string, pattern: string, regex: boolean): SearchEntry {
  return {
    id,
    pattern,
    kind: regex ? 'regex' : 'name',
    scope: 'lan',
    subscriber: { nodeKey: fresh(`sub-${id}-key`), actor: 3, where: fresh(`subscriber ${id}`) },
  };
}

/** A deterministic generator, so that runs compare. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Regular-expression patterns of the shapes subscribers write: 60 % with a
 * literal prefix (`orders-42[0-9]*\.eu-west`), 20 % with only a literal
 * suffix (`.*-42\.eu-west`), 20 % with literal text only inside
 * (`(?:orders|chat)-42\..*`, `[a-z]+-42[0-9]\..*`).
 */
function regexPattern(random: () => number): string {
  const i = Math.floor(random() * LISTINGS);
  const service = SERVICES[i % SERVICES.length];
  const other = SERVICES[(i + 3) % SERVICES.length];
  const region = REGIONS[Math.floor(random() * REGIONS.length)];
  const shape = random();
  if (shape < 0.6) return `${service}-${i}[0-9]*\\.${region}`;
  if (shape < 0.8) return `.*-${i}\\.${region}`;
  if (shape < 0.9) return `(?:${service}|${other})-${i}\\..*`;
  return `[a-z]+-${i}[0-9]\\..*`;
}

/**
 * Patterns with no literal text at all, so that nothing can file them and
 * each one runs on every new name: the digits are written as classes
 * (`[a-z]+-[4][2]\..*`), which keeps them as selective as the others.
 */
function unfiledPattern(random: () => number): string {
  const i = Math.floor(random() * LISTINGS);
  const digits = [...String(i)].map((d) => `[${d}]`).join('');
  return random() < 0.5 ? `[a-z]+-${digits}\\..*` : `.*-${digits}[0-9]*\\.(?:eu|us|ap)-[a-z]+`;
}

// ---------------------------------------------------------------------------
// Measuring

function rssMiB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

function heapMiB(): number {
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

interface MatchFigures {
  median_us: number;
  p99_us: number;
  routes_per_listing: number;
}

/** Timed `putListing` of listings the table does not hold, each withdrawn again. */
function measureMatch(table: DirectoryTable, samples: number): MatchFigures {
  const random = seeded(99);
  const times: number[] = [];
  let routes = 0;
  const warmup = Math.min(500, samples);
  for (let k = 0; k < warmup + samples; k++) {
    const entry = listingOf(Math.floor(random() * LISTINGS));
    const t0 = performance.now();
    const result = table.putListing('new', entry);
    const t1 = performance.now();
    table.deleteListing('new', entry.id);
    if (k < warmup) continue;
    times.push((t1 - t0) * 1000);
    routes += result.changes.length;
  }
  return {
    median_us: quantile(times, 0.5),
    p99_us: quantile(times, 0.99),
    routes_per_listing: routes / samples,
  };
}

function searchTable(exactCount: number, regexCount: number, literal: boolean): DirectoryTable {
  const random = seeded(exactCount * 7 + regexCount + (literal ? 1 : 0));
  const pattern = literal ? regexPattern : unfiledPattern;
  const table = new DirectoryTable('lan');
  for (let k = 0; k < exactCount; k++) {
    const name = nameOf(Math.floor(random() * LISTINGS));
    table.putSearch(`c${k % LINKS}`, searchOf(`e${k}`, name, false));
  }
  for (let k = 0; k < regexCount; k++) {
    table.putSearch(`c${k % LINKS}`, searchOf(`r${k}`, pattern(random), true));
  }
  return table;
}

/** Median milliseconds to put a regular-expression search into `table` (withdrawn each time). */
function measureNewSearch(table: DirectoryTable, pattern: string): { ms: number; routes: number } {
  const times: number[] = [];
  let routes = 0;
  for (let k = 0; k < SCAN_RUNS; k++) {
    const search = searchOf(`scan-${k}`, pattern, true);
    const t0 = performance.now();
    routes = table.putSearch('subscriber', search).length;
    times.push(performance.now() - t0);
    table.deleteSearch('subscriber', search.id);
  }
  return { ms: quantile(times, 0.5), routes };
}

// ---------------------------------------------------------------------------

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

console.log(
  `discovery scale: node ${process.version}, ${QUICK ? 'quick' : 'full'} profile, ` +
    `${LISTINGS.toLocaleString('en')} listings from ${LINKS} links\n`,
);

// 1. Memory
const baseRss = rssMiB();
const baseHeap = heapMiB();
const big = new DirectoryTable('lan');
const fillStart = performance.now();
for (let i = 0; i < LISTINGS; i++) {
  const result = big.putListing(`c${Math.floor(i / PER_NODE) % LINKS}`, listingOf(i));
  if (!result.accepted) throw new Error(`listing ${i} refused`);
}
const fillMs = performance.now() - fillStart;
const rss = rssMiB();
const heap = heapMiB();
const perListingBytes = ((rss - baseRss) * 2 ** 20) / LISTINGS;
console.error(`filled ${big.stats().listings} listings in ${Math.round(fillMs)} ms`);

// 2. A new regular-expression search against every name
const unfiled = measureNewSearch(big, '[a-z]+-[4][2][4][2][0-9]*\\.eu-.*');
const inside = measureNewSearch(big, '[a-z]+-4242[0-9]*\\.eu-.*');
const prefixed = measureNewSearch(big, 'orders-4242[0-9]*\\.eu-.*');
console.error('measured new regex searches');

// One link going away with everything it held.
const removeStart = performance.now();
const removed = big.removeLink('c7');
const removeLinkMs = performance.now() - removeStart;
const removedListings = LISTINGS / LINKS;
if (big.stats().listings !== LISTINGS - removedListings || removed.length !== 0) {
  throw new Error('removeLink did not remove what c7 held');
}

// 3. Matching a new listing against 10,000 searches
const mixed = measureMatch(searchTable(9_000, 1_000, true), MATCH_SAMPLES);
const regex10k = measureMatch(searchTable(0, 10_000, true), MATCH_SAMPLES);
const unfiled10k = measureMatch(searchTable(0, 10_000, false), UNFILED_SAMPLES);
const exact10k = measureMatch(searchTable(10_000, 0, true), MATCH_SAMPLES);
console.error('measured matching');

console.log(
  formatTable(
    ['memory', 'value'],
    [
      ['listings held', LISTINGS.toLocaleString('en')],
      ['RSS after gc (MiB)', round(rss).toString()],
      ['RSS before filling (MiB)', round(baseRss).toString()],
      ['heap used by the listings (MiB)', round(heap - baseHeap).toString()],
      ['RSS growth per listing (bytes)', Math.round(perListingBytes).toString()],
      [
        'fill: putListing (µs each, incl. building it)',
        round((fillMs * 1000) / LISTINGS, 2).toString(),
      ],
      [
        `removeLink of ${removedListings.toLocaleString('en')} listings (ms)`,
        round(removeLinkMs).toString(),
      ],
    ],
  ),
);
console.log();
const scanRow = (label: string, f: { ms: number; routes: number }) => [
  label,
  round(f.ms).toString(),
  String(f.routes),
];
console.log(
  formatTable(
    [`new regex search on ${LISTINGS.toLocaleString('en')} names`, 'ms (median)', 'routes'],
    [
      scanRow('no literal text: the regex runs on every name', unfiled),
      scanRow('literal text inside only: the regex runs on every name', inside),
      scanRow('literal prefix: startsWith, then the regex', prefixed),
    ],
  ),
);
console.log();
const matchRow = (label: string, f: MatchFigures) => [
  label,
  round(f.median_us, 2).toString(),
  round(f.p99_us, 2).toString(),
  round(f.routes_per_listing, 2).toString(),
];
console.log(
  formatTable(
    ['new listing against 10,000 searches', 'µs median', 'µs p99', 'routes/listing'],
    [
      matchRow('9,000 exact + 1,000 regex', mixed),
      matchRow('10,000 exact', exact10k),
      matchRow('10,000 regex (60 % prefix, 20 % suffix, 20 % inside)', regex10k),
      matchRow('10,000 regex, no literal text (worst case)', unfiled10k),
    ],
  ),
);
console.log(
  `\n${MATCH_SAMPLES.toLocaleString('en')} samples per row (worst case: ${UNFILED_SAMPLES}); ` +
    `new regex search: median of ${SCAN_RUNS}.`,
);

// Keep the table alive until here, so that gc could not take it before the RSS reading.
if (big.stats().listings === 0) throw new Error('unreachable');

console.log(
  JSON.stringify({
    bench: 'discovery-scale',
    profile: QUICK ? 'quick' : 'full',
    node: process.version,
    listings: LISTINGS,
    listings_rss_mib: round(rss),
    listings_heap_mib: round(heap - baseHeap),
    rss_bytes_per_listing: Math.round(perListingBytes),
    fill_us_per_listing: round((fillMs * 1000) / LISTINGS, 2),
    remove_link_ms: round(removeLinkMs),
    match_us_10k_searches: round(mixed.median_us, 2),
    match_us_10k_exact: round(exact10k.median_us, 2),
    match_us_10k_regex: round(regex10k.median_us, 2),
    match_us_10k_regex_no_literal: round(unfiled10k.median_us, 2),
    match_p99_us_10k_searches: round(mixed.p99_us, 2),
    match_p99_us_10k_regex: round(regex10k.p99_us, 2),
    new_regex_search_ms: round(unfiled.ms),
    new_regex_search_inside_ms: round(inside.ms),
    new_regex_search_prefixed_ms: round(prefixed.ms),
  }),
);
