import { open, stat } from 'node:fs/promises';
import { CallsignError } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import { errnoOf } from './files.ts';

/** The time at the start of a log line, as nodes and the orchestrator write it. */
const LINE_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s/;

/** How often `--follow` looks for new lines. */
const FOLLOW_POLL_MS = 200;

const CHUNK = 64 * 1024;

/**
 * A line written by the orchestrator into a role's log, in the nodes' own
 * format with the tag `#`: `2026-11-22T07:43:38.123Z # callsign - <text>`.
 */
export function orchestratorLine(text: string, now: Date = new Date()): string {
  return `${now.toISOString()} # callsign - ${text}\n`;
}

/**
 * Reads `--since`: an ISO time (`2026-11-22T07:43:00Z`, `2026-11-22`) or a
 * duration before `now` (`30s`, `5m`, `2h`, `1d`, `500ms`).
 *
 * @throws CallsignError `ERR_USAGE` for anything else.
 */
export function parseSince(text: string, now: number = Date.now()): Date {
  const relative = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as string];
    return new Date(now - Number(relative[1]) * (unit ?? 1));
  }
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const time = Date.parse(text);
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new CallsignError(
    'ERR_USAGE',
    `--since ${JSON.stringify(text)}: give an ISO time (2026-11-22T07:43:00Z) or a duration (10s, 5m, 2h, 1d)`,
  );
}

/**
 * Decides which lines of a log to show for `--since`: a line with a time at
 * its start is shown when that time is not before `since`; a line without one
 * (a stack trace, say) goes with the line before it.
 */
export class SinceFilter {
  readonly #since: number | undefined;
  #showing: boolean;

  constructor(since?: Date) {
    this.#since = since?.getTime();
    this.#showing = since === undefined;
  }

  accepts(line: string): boolean {
    if (this.#since === undefined) return true;
    const m = LINE_TIME.exec(line);
    if (m) this.#showing = Date.parse(m[1] as string) >= this.#since;
    return this.#showing;
  }
}

/** Options of {@link printLog}. */
export interface PrintLogInit {
  since?: Date;
  /** Keep printing lines as they are written until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  write: (text: string) => void;
}

/**
 * Prints the lines of a log file, filtered by `since`; with `follow`, goes on
 * printing the lines written to it (also after it is truncated or made anew)
 * until `signal` aborts. A missing file prints nothing (or is waited for).
 */
export async function printLog(path: string, init: PrintLogInit): Promise<void> {
  const filter = new SinceFilter(init.since);
  const decoder = new TextDecoder();
  let offset = 0;
  let partial = '';
  const emit = (text: string, final: boolean) => {
    const lines = (partial + text).split('\n');
    partial = final ? '' : (lines.pop() ?? '');
    let out = '';
    for (const line of lines) {
      if (final && line === '') continue;
      if (filter.accepts(line)) out += `${line}\n`;
    }
    if (out) init.write(out);
  };
  for (;;) {
    const size = await sizeOf(path);
    if (size !== undefined && size < offset) {
      // Truncated or replaced: start again from its beginning.
      offset = 0;
      partial = '';
    }
    if (size !== undefined && size > offset) {
      offset = await readFrom(path, offset, size, (bytes) =>
        emit(decoder.decode(bytes, { stream: true }), false),
      );
    }
    if (!init.follow) break;
    if (init.signal?.aborted) break;
    try {
      await sleep(FOLLOW_POLL_MS, init.signal);
    } catch {
      break;
    }
  }
  emit(decoder.decode(), true);
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function readFrom(
  path: string,
  from: number,
  to: number,
  onBytes: (bytes: Uint8Array) => void,
): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let position = from;
    while (position < to) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, to - position), position);
      if (bytesRead === 0) break;
      onBytes(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return position;
  } finally {
    await handle.close();
  }
}

/**
 * The lines a log got since the orchestrator's last `started` line in it (at
 * most `maxLines` of the last 64 KiB): what the last run of a process wrote.
 */
export async function lastRunOfLog(path: string, maxLines = 20): Promise<string> {
  const size = await sizeOf(path);
  if (size === undefined) return '';
  const from = Math.max(0, size - CHUNK);
  const chunks: Uint8Array[] = [];
  await readFrom(path, from, size, (bytes) => chunks.push(Uint8Array.from(bytes)));
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  let start = 0;
  lines.forEach((line, i) => {
    if (line.includes(' # callsign - started ')) start = i + 1;
  });
  return lines
    .slice(start)
    .filter((l) => l.trim() !== '' && !l.includes(' # callsign - '))
    .slice(-maxLines)
    .join('\n');
}

/** Longest output quoted in a log's line about an exit. */
const MAX_QUOTED_OUTPUT = 4096;

/** Output as one line, cut at {@link MAX_QUOTED_OUTPUT} characters, for a line of a log. */
export function quote(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > MAX_QUOTED_OUTPUT ? `${oneLine.slice(0, MAX_QUOTED_OUTPUT)}…` : oneLine;
}

/** Splits text that arrives in pieces into whole lines. */
export function lineSplitter(onLine: (line: string) => void): {
  push(text: string): void;
  flush(): void;
} {
  let partial = '';
  return {
    push(text) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush() {
      if (partial !== '') onLine(partial);
      partial = '';
    },
  };
}
