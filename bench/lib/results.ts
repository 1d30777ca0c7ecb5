/**
 * Turning the reports of many runs into medians, ratios and the final JSON
 * object.
 *
 * @module
 */
import { type RoundTripMessage, sizeLabel, type ThroughputMessage } from './protocol.ts';
import type { ThroughputVariant } from './stack.ts';
import { median, ratio, round } from './stats.ts';

/** What one run (one server + client pair) of a stack measured. */
export interface RunResult {
  readonly rtt: readonly RoundTripMessage[];
  readonly throughput: readonly ThroughputMessage[];
  /** Why the run ended early, if it did. */
  readonly error?: string;
}

/** Median round-trip figures of one payload size over all runs. */
export interface RoundTripFigures {
  readonly p50_us: number;
  readonly p90_us: number;
  readonly p99_us: number;
  /** The p50 of each run, in run order. */
  readonly runs_p50_us: readonly number[];
  /** Timed requests of each run. */
  readonly runs_samples: readonly number[];
}

/** Median throughput figures of one variant and payload size over all runs. */
export interface ThroughputFigures {
  readonly msgs_per_s: number;
  /** Payload megabytes (10^6 bytes) per second. */
  readonly mb_per_s: number;
  readonly runs_msgs_per_s: readonly number[];
  /** Messages in the measured push of each run. */
  readonly runs_count: readonly number[];
}

/** One throughput variant of a stack. */
export interface VariantReport {
  readonly label: string;
  /** Keyed by {@link sizeKey}. */
  readonly sizes: Readonly<Record<string, ThroughputFigures | null>>;
}

/** Everything known about one stack after the run; the `stacks` entries of the JSON. */
export interface StackReport {
  readonly status: 'ok' | 'incomplete' | 'failed' | 'skipped';
  /** Why the stack was skipped, or what went wrong. */
  readonly reason?: string;
  readonly description?: string;
  /** What `setup()` started, if anything. */
  readonly setup?: string;
  /** Runs attempted. */
  readonly runs: number;
  /** Keyed by {@link sizeKey}. */
  readonly rtt_us: Readonly<Record<string, RoundTripFigures | null>>;
  /** Keyed by variant id; the first is the headline variant. */
  readonly throughput: Readonly<Record<string, VariantReport>>;
}

/** JSON key of a payload size: `100B`, `16KiB`. */
export function sizeKey(size: number): string {
  return sizeLabel(size).replace(' ', '');
}

/** The report of a stack that did not run. */
export function skippedReport(reason: string, description?: string): StackReport {
  return {
    status: 'skipped',
    reason,
    ...(description === undefined ? {} : { description }),
    runs: 0,
    rtt_us: {},
    throughput: {},
  };
}

function medianOf<T>(items: readonly T[], pick: (item: T) => number): number {
  return median(items.map(pick)) as number;
}

/**
 * Medians over the runs of one stack. A figure no run produced is `null`;
 * the status says whether every run completed.
 */
export function aggregate(
  runs: readonly RunResult[],
  init: {
    readonly sizes: readonly number[];
    readonly variants: readonly ThroughputVariant[];
    readonly description: string;
    readonly setup?: string | undefined;
  },
): StackReport {
  const rtt_us: Record<string, RoundTripFigures | null> = {};
  for (const size of init.sizes) {
    const found = runs.flatMap((run) => run.rtt.filter((m) => m.size === size));
    rtt_us[sizeKey(size)] =
      found.length === 0
        ? null
        : {
            p50_us: medianOf(found, (m) => m.p50_us),
            p90_us: medianOf(found, (m) => m.p90_us),
            p99_us: medianOf(found, (m) => m.p99_us),
            runs_p50_us: found.map((m) => m.p50_us),
            runs_samples: found.map((m) => m.samples),
          };
  }
  const throughput: Record<string, VariantReport> = {};
  for (const variant of init.variants) {
    const sizes: Record<string, ThroughputFigures | null> = {};
    for (const size of init.sizes) {
      const found = runs.flatMap((run) =>
        run.throughput.filter((m) => m.size === size && m.variant === variant.id),
      );
      sizes[sizeKey(size)] =
        found.length === 0
          ? null
          : {
              msgs_per_s: medianOf(found, (m) => m.msgs_per_s),
              mb_per_s: medianOf(found, (m) => m.mb_per_s),
              runs_msgs_per_s: found.map((m) => m.msgs_per_s),
              runs_count: found.map((m) => m.count),
            };
    }
    throughput[variant.id] = { label: variant.label, sizes };
  }
  const errors = runs.flatMap((run) => (run.error === undefined ? [] : [run.error]));
  const anyFigure =
    Object.values(rtt_us).some((f) => f !== null) ||
    Object.values(throughput).some((v) => Object.values(v.sizes).some((f) => f !== null));
  const status = errors.length === 0 ? 'ok' : anyFigure ? 'incomplete' : 'failed';
  return {
    status,
    ...(errors.length === 0 ? {} : { reason: errors.join('\n') }),
    description: init.description,
    ...(init.setup === undefined ? {} : { setup: init.setup }),
    runs: runs.length,
    rtt_us,
    throughput,
  };
}

/** Median round-trip p50 of `size`, or `null`. */
export function rttP50(report: StackReport | undefined, size: number): number | null {
  return report?.rtt_us[sizeKey(size)]?.p50_us ?? null;
}

/** The p99 round trip of a stack for one payload size, or null. */
export function rttP99(report: StackReport | undefined, size: number): number | null {
  return report?.rtt_us[sizeKey(size)]?.p99_us ?? null;
}

/** Figures of the headline (first) variant, or of `variant`, for `size`. */
export function throughputOf(
  report: StackReport | undefined,
  size: number,
  variant?: string,
): ThroughputFigures | null {
  if (report === undefined) return null;
  const chosen =
    variant === undefined ? Object.values(report.throughput)[0] : report.throughput[variant];
  return chosen?.sizes[sizeKey(size)] ?? null;
}

/** Rounds every figure of a report for the JSON output. */
function rounded(report: StackReport): StackReport {
  const rtt_us: Record<string, RoundTripFigures | null> = {};
  for (const [key, f] of Object.entries(report.rtt_us)) {
    rtt_us[key] = f && {
      p50_us: round(f.p50_us, 1) as number,
      p90_us: round(f.p90_us, 1) as number,
      p99_us: round(f.p99_us, 1) as number,
      runs_p50_us: f.runs_p50_us.map((v) => round(v, 1) as number),
      runs_samples: f.runs_samples,
    };
  }
  const throughput: Record<string, VariantReport> = {};
  for (const [id, v] of Object.entries(report.throughput)) {
    const sizes: Record<string, ThroughputFigures | null> = {};
    for (const [key, f] of Object.entries(v.sizes)) {
      sizes[key] = f && {
        msgs_per_s: Math.round(f.msgs_per_s),
        mb_per_s: round(f.mb_per_s, 1) as number,
        runs_msgs_per_s: f.runs_msgs_per_s.map(Math.round),
        runs_count: f.runs_count,
      };
    }
    throughput[id] = { label: v.label, sizes };
  }
  return { ...report, rtt_us, throughput };
}

/** The small and the large payload the headline figures use. */
export const SMALL = 100;
export const LARGE = 16 * 1024;

/**
 * The final JSON object: callsign's headline figures and its ratios to ws and
 * NATS (`null` when either side is missing), then `meta` and every stack's
 * figures under `stacks`.
 */
export function summary(
  reports: ReadonlyMap<string, StackReport>,
  meta: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const callsign = reports.get('callsign');
  const ws = reports.get('ws');
  const nats = reports.get('nats');
  const msgs = (r: StackReport | undefined, variant?: string) =>
    throughputOf(r, SMALL, variant)?.msgs_per_s ?? null;
  const mb = (r: StackReport | undefined, variant?: string) =>
    throughputOf(r, LARGE, variant)?.mb_per_s ?? null;
  const stacks: Record<string, StackReport> = {};
  for (const [name, report] of reports) stacks[name] = rounded(report);
  return {
    rtt_p50_us: round(rttP50(callsign, SMALL), 1),
    rtt_p50_vs_ws: round(ratio(rttP50(callsign, SMALL), rttP50(ws, SMALL)), 3),
    rtt_p50_vs_nats: round(ratio(rttP50(callsign, SMALL), rttP50(nats, SMALL)), 3),
    msgs_per_s_100B: round(msgs(callsign), 0),
    msgs_100B_vs_ws: round(ratio(msgs(callsign), msgs(ws)), 3),
    msgs_100B_vs_ws_per_tick: round(ratio(msgs(callsign), msgs(ws, 'per-tick')), 3),
    msgs_100B_vs_nats: round(ratio(msgs(callsign), msgs(nats)), 3),
    mb_per_s_16KiB: round(mb(callsign), 1),
    mb_16KiB_vs_ws: round(ratio(mb(callsign), mb(ws)), 3),
    mb_16KiB_vs_nats: round(ratio(mb(callsign), mb(nats)), 3),
    rtt_p99_100B_vs_ws: round(ratio(rttP99(callsign, SMALL), rttP99(ws, SMALL)), 3),
    rtt_p99_16KiB_vs_ws: round(ratio(rttP99(callsign, LARGE), rttP99(ws, LARGE)), 3),
    ...meta,
    stacks,
  };
}
