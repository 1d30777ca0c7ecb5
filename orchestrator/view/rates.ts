/**
 * Message and byte rates over the last minute, from the counts of
 * successive snapshots: pure bookkeeping with the time given. The time
 * between two counts of a session is the counting node's own (how long it
 * had been metering at each), so the delay of the reports does not matter.
 * A session's counts only grow while the same end counts them; when
 * metering began again there or the counting end changed, the next
 * snapshot starts afresh. A listing's rate is the sum of its sessions'.
 *
 * @module
 */
import type { NetworkSnapshot, Rate, SessionDescription } from './snapshot.ts';

/** How far back rates and charts reach, in seconds. */
export const WINDOW_SECONDS = 60;

/** Per-second values for a chart: times (seconds since the epoch), messages/s, bytes/s. */
export interface Series {
  t: number[];
  messages: number[];
  bytes: number[];
}

interface Step {
  /** When it ended (ms), how long it lasted (ms), and what went in it. */
  at: number;
  ms: number;
  messages: number;
  bytes: number;
}

/** The steps of one series over the last {@link WINDOW_SECONDS}. */
export class RateWindow {
  readonly #steps: Step[] = [];

  /** `messages` and `bytes` went in the `ms` before `at`. */
  add(at: number, ms: number, messages: number, bytes: number): void {
    if (!(ms > 0)) return;
    this.#steps.push({ at, ms, messages, bytes });
    this.prune(at);
  }

  /** Forgets steps that ended before the window reaching back from `now`. */
  prune(now: number): void {
    const from = now - WINDOW_SECONDS * 1000;
    while (this.#steps.length > 0 && (this.#steps[0] as Step).at <= from) this.#steps.shift();
  }

  /** The rate over the window; null before the first step. */
  rate(): Rate | null {
    if (this.#steps.length === 0) return null;
    let ms = 0;
    let messages = 0;
    let bytes = 0;
    for (const s of this.#steps) {
      ms += s.ms;
      messages += s.messages;
      bytes += s.bytes;
    }
    const seconds = ms / 1000;
    return {
      messagesPerSecond: messages / seconds,
      bytesPerSecond: bytes / seconds,
      seconds: Math.round(seconds * 10) / 10,
    };
  }

  /** Each step as a rate, for a chart. */
  series(): Series {
    const out: Series = { t: [], messages: [], bytes: [] };
    for (const s of this.#steps) {
      out.t.push(s.at / 1000);
      out.messages.push((s.messages * 1000) / s.ms);
      out.bytes.push((s.bytes * 1000) / s.ms);
    }
    return out;
  }
}

interface Counted {
  meteredMs: number;
  countedAt: string;
  messages: number;
  bytes: number;
}

const total = (s: SessionDescription) => ({
  messages: s.toSubscriber.messages + s.toPublisher.messages,
  bytes: s.toSubscriber.bytes + s.toPublisher.bytes,
});

/** The rates of every session and listing across snapshots; see the module. */
export class RateBook {
  readonly #last = new Map<string, Counted>();
  readonly #sessions = new Map<string, RateWindow>();
  readonly #listings = new Map<string, RateWindow>();

  /**
   * Takes the counts of `snapshot`, taken at `now` (ms), and sets the
   * `rate` of its sessions and listings. Gives the chart series by
   * `session:<id>` and `listing:<id>`.
   */
  update(snapshot: NetworkSnapshot, now: number): Record<string, Series> {
    const listingSteps = new Map<string, { ms: number; messages: number; bytes: number }>();
    const present = new Set<string>();
    for (const s of snapshot.sessions) {
      present.add(s.id);
      if (s.countedAt === null) continue;
      const t = total(s);
      const prev = this.#last.get(s.id);
      if (prev && prev.countedAt === s.countedAt && prev.meteredMs === s.meteredMs) continue; // read before
      this.#last.set(s.id, { meteredMs: s.meteredMs, countedAt: s.countedAt, ...t });
      if (
        prev === undefined ||
        prev.countedAt !== s.countedAt ||
        s.meteredMs < prev.meteredMs ||
        t.messages < prev.messages ||
        t.bytes < prev.bytes
      ) {
        continue; // a first count, or afresh: the next one gives a step
      }
      const step = {
        ms: s.meteredMs - prev.meteredMs,
        messages: t.messages - prev.messages,
        bytes: t.bytes - prev.bytes,
      };
      this.#window(this.#sessions, s.id).add(now, step.ms, step.messages, step.bytes);
      const l = listingSteps.get(s.listingId);
      if (l) {
        l.ms = Math.max(l.ms, step.ms);
        l.messages += step.messages;
        l.bytes += step.bytes;
      } else listingSteps.set(s.listingId, { ...step });
    }
    for (const id of [...this.#last.keys()]) if (!present.has(id)) this.#last.delete(id);
    for (const [id, step] of listingSteps) {
      this.#window(this.#listings, id).add(now, step.ms, step.messages, step.bytes);
    }

    const series: Record<string, Series> = {};
    const fill = (
      windows: Map<string, RateWindow>,
      kind: string,
      items: { id: string; rate: Rate | null }[],
    ) => {
      const ids = new Set(items.map((i) => i.id));
      for (const id of [...windows.keys()]) if (!ids.has(id)) windows.delete(id);
      for (const item of items) {
        const w = windows.get(item.id);
        if (!w) continue;
        w.prune(now);
        item.rate = w.rate();
        series[`${kind}:${item.id}`] = w.series();
      }
    };
    fill(this.#sessions, 'session', snapshot.sessions);
    fill(this.#listings, 'listing', snapshot.listings);
    return series;
  }

  #window(windows: Map<string, RateWindow>, id: string): RateWindow {
    let w = windows.get(id);
    if (!w) {
      w = new RateWindow();
      windows.set(id, w);
    }
    return w;
  }
}
