/**
 * Logging levels, most verbose first. A node logs nothing by default; with
 * `--debug-level=L` it writes every record at level L or above to stderr, one
 * line per record:
 *
 * ```
 * 2026-11-22T07:43:38.123Z ^ <0000000a>server - accepted 127.0.0.1:50412
 * ```
 *
 * that is: ISO time, the level's tag, the actor's address and name, ` - `, the
 * text. Tags: `_` DEBUG, `>` TRACE, `^` CONSOLE, `?` WARNING, `!` FAULT.
 */
export const LOG_LEVELS = ['DEBUG', 'TRACE', 'CONSOLE', 'WARNING', 'FAULT'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const TAGS: Record<LogLevel, string> = {
  DEBUG: '_',
  TRACE: '>',
  CONSOLE: '^',
  WARNING: '?',
  FAULT: '!',
};

/** True when `s` is a {@link LogLevel}. */
export function isLogLevel(s: unknown): s is LogLevel {
  return typeof s === 'string' && (LOG_LEVELS as readonly string[]).includes(s);
}

/** One log record. */
export interface LogRecord {
  time: Date;
  level: LogLevel;
  /** The actor that logged, as `<id>name`, or the node's own name. */
  source: string;
  text: string;
}

/** Where log records go. */
export interface LogSink {
  write(record: LogRecord): void;
}

/** Formats a record as the one documented line (without newline). */
export function formatLogLine(r: LogRecord): string {
  return `${r.time.toISOString()} ${TAGS[r.level]} ${r.source} - ${r.text}`;
}

/** A sink writing formatted lines to a stream (stderr by default). */
export function streamSink(stream: { write(s: string): unknown } = process.stderr): LogSink {
  return { write: (r) => void stream.write(`${formatLogLine(r)}\n`) };
}

/** A sink that keeps records in memory, for tests. */
export function memorySink(): LogSink & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, write: (r) => void records.push(r) };
}

/**
 * Filters records below a level and hands the rest to a sink. With no level,
 * nothing is written.
 */
export class Logger {
  #min: number;
  #sink: LogSink | undefined;

  constructor(level?: LogLevel, sink?: LogSink) {
    this.#min = level === undefined ? LOG_LEVELS.length : LOG_LEVELS.indexOf(level);
    this.#sink = level === undefined ? undefined : (sink ?? streamSink());
  }

  /** True when a record at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return this.#sink !== undefined && LOG_LEVELS.indexOf(level) >= this.#min;
  }

  log(level: LogLevel, source: string, text: string): void {
    if (!this.enabled(level)) return;
    this.#sink?.write({ time: new Date(), level, source, text });
  }
}
