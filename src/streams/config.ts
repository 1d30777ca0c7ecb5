/**
 * Stream configurations: what they hold, their defaults, and the checks
 * that turn what a user (or a stranger on the network) wrote into a
 * configuration the store can trust (consumers: consumer-config.ts). Pure.
 *
 * @module
 */
import { patternTokens } from '../directory/subject-pattern.ts';
import { CallsignError } from '../errors.ts';

/** What a stream keeps once its limits allow: see docs/streams.md. */
export const RETENTION_KINDS = ['limits', 'interest', 'workqueue'] as const;
/** How a stream keeps what it was sent. */
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** What a stream at one of its limits does with a new message. */
export const DISCARD_POLICIES = ['old', 'new'] as const;
/** `old`: remove the oldest messages; `new`: refuse the append with `ERR_STREAM_FULL`. */
export type DiscardPolicy = (typeof DISCARD_POLICIES)[number];

/** When an append is acknowledged. */
export const DURABILITIES = ['commit', 'flush'] as const;
/**
 * `commit`: once committed (survives the death of the process; a machine
 * crash may lose the last moments); `flush`: once synced to disk (survives a
 * machine crash too).
 */
export type Durability = (typeof DURABILITIES)[number];

/** What a stream is: its name, subjects, partitions, limits and durability. */
export interface StreamConfig {
  /** The stream's name, also its listing: 1-128 of `A-Z a-z 0-9 _ -`. */
  readonly name: string;
  /** Subject patterns an append's subject must match. Default `[name, name.>]`. */
  readonly subjects: readonly string[];
  /** How many partitions (each with its own sequence and order). Default 1. */
  readonly partitions: number;
  readonly retention: RetentionKind;
  readonly discard: DiscardPolicy;
  /** Most messages kept per partition; 0 for no limit. */
  readonly maxMessages: number;
  /** Most bytes of data kept per partition; 0 for no limit. */
  readonly maxBytes: number;
  /** Oldest message kept, in milliseconds; 0 for no limit. */
  readonly maxAgeMs: number;
  /** Most messages kept per subject per partition; 0 for no limit. */
  readonly maxPerSubject: number;
  /** Most messages kept per key per partition; 0 for no limit (compaction sets 1). */
  readonly maxPerKey: number;
  /** Largest data of one message, in bytes. Default 1 MiB. */
  readonly maxMessageSize: number;
  /** How long a message id is remembered to refuse its duplicates, in ms. Default 2 min. */
  readonly duplicateWindowMs: number;
  /** Keep only the last message per key (messages without a key are always kept). */
  readonly compact: boolean;
  readonly durability: Durability;
  /**
   * Payloads are sealed end to end by the producers with the stream key and
   * opened by the consumers: the host and the store hold ciphertext only
   * (sealed-payload.ts). Absent when not sealed. Cannot be changed later.
   */
  readonly sealed?: true;
  /**
   * `local` (the host's own store, LMDB) or `replicated` (NATS JetStream);
   * absent: the store's own kind. Cannot be changed later.
   */
  readonly storage?: StreamStorage;
}

/** Where a stream's messages are kept: see {@link StreamConfig.storage}. */
export const STREAM_STORAGES = ['local', 'replicated'] as const;
/** `local`: on the host (LMDB); `replicated`: on NATS JetStream servers. */
export type StreamStorage = (typeof STREAM_STORAGES)[number];

/** The largest message size a stream may allow: 64 MiB. */
export const MAX_MESSAGE_SIZE_LIMIT = 64 * 1024 * 1024;
/** The most partitions a stream may have. */
export const MAX_PARTITIONS = 1024;
/** The most subject patterns a stream may bind. */
export const MAX_STREAM_SUBJECTS = 64;

const NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `name` may name a stream or a consumer. */
export function isValidStreamName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** @internal A check of config.ts, shared with consumer-config.ts. */
export function invalid(code: 'ERR_INVALID_STREAM' | 'ERR_INVALID_CONSUMER', text: string): never {
  throw new CallsignError(code, text);
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Milliseconds from a number (taken as ms) or text such as `500ms`, `30s`,
 * `5m`, `2h`, `7d`, `1w` (combinations like `1h30m` too).
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS`
 */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) {
      return Math.round(
        parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] as string] ?? 0), 0),
      );
    }
  }
  throw new CallsignError(
    'ERR_INVALID_SETTINGS',
    `not a duration: ${JSON.stringify(value)} (a number of ms, or like 30s, 5m, 7d)`,
  );
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Bytes from a number or text such as `512`, `64k`, `16MiB`, `2GB` (binary units).
 *
 * @throws CallsignError `ERR_INVALID_SETTINGS`
 */
export function parseSize(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?(?:i?b)?$/i.exec(value.trim());
    if (m) return Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1));
  }
  throw new CallsignError(
    'ERR_INVALID_SETTINGS',
    `not a size: ${JSON.stringify(value)} (bytes, or like 64k, 16MiB, 2GB)`,
  );
}

/** What {@link streamConfig} accepts: every field optional but the name; ms or duration text. */
export type StreamConfigInput = { readonly name: string } & {
  readonly [K in Exclude<keyof StreamConfig, 'name'>]?: unknown;
};

// The option names of the command line and JSON files (snake case) and their fields.
const STREAM_ALIASES: Record<string, keyof StreamConfig> = {
  max_messages: 'maxMessages',
  max_msgs: 'maxMessages',
  max_bytes: 'maxBytes',
  max_age: 'maxAgeMs',
  maxAge: 'maxAgeMs',
  max_per_subject: 'maxPerSubject',
  max_msgs_per_subject: 'maxPerSubject',
  max_per_key: 'maxPerKey',
  max_message_size: 'maxMessageSize',
  max_msg_size: 'maxMessageSize',
  duplicate_window: 'duplicateWindowMs',
  duplicateWindow: 'duplicateWindowMs',
};

/** @internal A check of config.ts, shared with consumer-config.ts. */
export function count(
  code: 'ERR_INVALID_STREAM' | 'ERR_INVALID_CONSUMER',
  field: string,
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    invalid(
      code,
      `${field} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** @internal A check of config.ts, shared with consumer-config.ts. */
export function oneOf<T extends string>(
  code: 'ERR_INVALID_STREAM' | 'ERR_INVALID_CONSUMER',
  field: string,
  value: unknown,
  values: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const found = values.find((v) => v === value);
  if (!found)
    invalid(code, `${field} must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`);
  return found;
}

/** @internal A check of config.ts, shared with consumer-config.ts. */
export function ms(
  code: 'ERR_INVALID_STREAM' | 'ERR_INVALID_CONSUMER',
  field: string,
  v: unknown,
  d: number,
) {
  if (v === undefined) return d;
  try {
    return parseDuration(v);
  } catch (err) {
    return invalid(code, `${field}: ${(err as Error).message}`);
  }
}

/**
 * Stream options with the snake-case names of the command line and JSON
 * files (`max_age`, `max_msgs`, ...) turned into the fields of
 * {@link StreamConfig}; other names are left as they are.
 */
export function streamOptionFields(input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) out[STREAM_ALIASES[k] ?? k] = v;
  return out;
}

/**
 * A complete, checked stream configuration from what a user gave: unknown
 * fields are refused, snake-case option names (`max_age`) are accepted, and
 * durations and sizes may be text (`7d`, `16MiB`).
 *
 * @throws CallsignError `ERR_INVALID_STREAM`
 */
export function streamConfig(input: StreamConfigInput | Record<string, unknown>): StreamConfig {
  if (typeof input !== 'object' || input === null)
    invalid('ERR_INVALID_STREAM', 'a stream configuration is an object');
  const raw = streamOptionFields(input);
  const known = new Set<string>([
    'name',
    'subjects',
    'partitions',
    'retention',
    'discard',
    'maxMessages',
    'maxBytes',
    'maxAgeMs',
    'maxPerSubject',
    'maxPerKey',
    'maxMessageSize',
    'duplicateWindowMs',
    'compact',
    'durability',
    'sealed',
    'storage',
  ]);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0)
    invalid('ERR_INVALID_STREAM', `unknown stream option ${unknown.join(', ')}`);
  const name = raw.name;
  if (!isValidStreamName(name)) {
    invalid(
      'ERR_INVALID_STREAM',
      `a stream name is 1-128 of A-Z a-z 0-9 _ -, not ${JSON.stringify(name)}`,
    );
  }
  let subjects: string[] = [name, `${name}.>`];
  if (raw.subjects !== undefined) {
    const list = typeof raw.subjects === 'string' ? raw.subjects.split(',') : raw.subjects;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_STREAM_SUBJECTS) {
      invalid(
        'ERR_INVALID_STREAM',
        `subjects must be 1 to ${MAX_STREAM_SUBJECTS} subject patterns`,
      );
    }
    subjects = list.map((s) => {
      try {
        patternTokens(String(s).trim());
      } catch (err) {
        invalid('ERR_INVALID_STREAM', (err as Error).message);
      }
      return String(s).trim();
    });
  }
  const size = (field: keyof StreamConfig, fallback: number, max?: number) => {
    const v = raw[field];
    let n: unknown = v;
    if (typeof v === 'string') {
      try {
        n = parseSize(v);
      } catch (err) {
        invalid('ERR_INVALID_STREAM', `${field}: ${(err as Error).message}`);
      }
    }
    return count('ERR_INVALID_STREAM', field, n, fallback, max);
  };
  const compact =
    raw.compact === undefined ? false : raw.compact === true || raw.compact === 'true';
  if (
    raw.compact !== undefined &&
    typeof raw.compact !== 'boolean' &&
    raw.compact !== 'true' &&
    raw.compact !== 'false'
  ) {
    invalid(
      'ERR_INVALID_STREAM',
      `compact must be true or false, not ${JSON.stringify(raw.compact)}`,
    );
  }
  if (
    raw.sealed !== undefined &&
    raw.sealed !== true &&
    raw.sealed !== false &&
    raw.sealed !== 'true' &&
    raw.sealed !== 'false'
  ) {
    invalid(
      'ERR_INVALID_STREAM',
      `sealed must be true or false, not ${JSON.stringify(raw.sealed)}`,
    );
  }
  const sealed = raw.sealed === true || raw.sealed === 'true';
  const storage =
    raw.storage === undefined
      ? undefined
      : oneOf('ERR_INVALID_STREAM', 'storage', raw.storage, STREAM_STORAGES, 'local');
  const maxPerKey = count('ERR_INVALID_STREAM', 'maxPerKey', raw.maxPerKey, compact ? 1 : 0);
  const maxMessageSize = size('maxMessageSize', 1024 * 1024, MAX_MESSAGE_SIZE_LIMIT);
  if (maxMessageSize === 0) invalid('ERR_INVALID_STREAM', 'maxMessageSize must be at least 1');
  return Object.freeze({
    name,
    subjects: Object.freeze(subjects),
    partitions: count('ERR_INVALID_STREAM', 'partitions', raw.partitions, 1, MAX_PARTITIONS, 1),
    retention: oneOf('ERR_INVALID_STREAM', 'retention', raw.retention, RETENTION_KINDS, 'limits'),
    discard: oneOf('ERR_INVALID_STREAM', 'discard', raw.discard, DISCARD_POLICIES, 'old'),
    maxMessages: count('ERR_INVALID_STREAM', 'maxMessages', raw.maxMessages, 0),
    maxBytes: size('maxBytes', 0),
    maxAgeMs: ms('ERR_INVALID_STREAM', 'maxAge', raw.maxAgeMs, 0),
    maxPerSubject: count('ERR_INVALID_STREAM', 'maxPerSubject', raw.maxPerSubject, 0),
    maxPerKey: compact ? 1 : maxPerKey,
    maxMessageSize,
    duplicateWindowMs: ms('ERR_INVALID_STREAM', 'duplicateWindow', raw.duplicateWindowMs, 120_000),
    compact,
    durability: oneOf('ERR_INVALID_STREAM', 'durability', raw.durability, DURABILITIES, 'commit'),
    // Only when declared, so that configurations written before these fields compare the same.
    ...(sealed ? { sealed: true as const } : {}),
    ...(storage ? { storage } : {}),
  });
}

/** True when two configurations say the same (to make `create` idempotent). */
export function sameConfig(a: object, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
