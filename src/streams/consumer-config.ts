/**
 * Consumer configurations: where a consumer starts, what it takes, how long
 * a delivery waits for its acknowledgement, and the checks that turn what a
 * user (or a stranger on the network) wrote into a configuration the store
 * can trust. Pure.
 *
 * @module
 */
import { patternTokens } from '../directory/subject-pattern.ts';
import { count, invalid, isValidStreamName, ms, oneOf, parseDuration } from './config.ts';

/** How the consumers of one name share its messages. */
export const CONSUMER_MODES = ['exclusive', 'shared', 'failover'] as const;
/**
 * `exclusive`: one attached at a time, a second is refused (`ERR_CONSUMER_BUSY`);
 * `shared`: each message to one of those attached; `failover`: one active,
 * the others stand by and the next takes over from the last acknowledgement.
 */
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

/** Where a new consumer starts. */
export type StartPosition =
  | { readonly kind: 'new' }
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'sequence'; readonly sequence: number }
  | { readonly kind: 'time'; readonly time: number }
  | { readonly kind: 'delta'; readonly ms: number }
  | { readonly kind: 'last-per-subject' };

/** What a named consumer is. Its position is kept by the store. */
export interface ConsumerConfig {
  /** 1-128 of `A-Z a-z 0-9 _ -`. */
  readonly name: string;
  readonly start: StartPosition;
  /** A subject pattern; only matching messages are delivered. Default `>` (all). */
  readonly filter: string;
  /** How long a delivery waits for its acknowledgement before it is sent again, ms. Default 30 s. */
  readonly ackWaitMs: number;
  /** Deliveries of one message at most (then it is left, as if terminated); 0 for no limit. */
  readonly maxDeliveries: number;
  /** Deliveries awaiting acknowledgement at most, per partition. Default 1000. */
  readonly maxAckPending: number;
  readonly mode: ConsumerMode;
}

/** What {@link consumerConfig} accepts. */
export type ConsumerConfigInput = { readonly name: string } & {
  readonly [K in Exclude<keyof ConsumerConfig, 'name'>]?: unknown;
};

/**
 * A start position from a value or text: `new`, `earliest`, `latest`,
 * `last-per-subject`, a sequence (`42` or `{ sequence: 42 }`), a time (ISO
 * text, a Date, `{ time }`), or a time delta back from now (`5m`, `{ ms }`).
 *
 * @throws CallsignError `ERR_INVALID_CONSUMER`
 */
export function startPosition(value: unknown): StartPosition {
  if (value === undefined) return { kind: 'new' };
  if (typeof value === 'string') {
    if (
      value === 'new' ||
      value === 'earliest' ||
      value === 'latest' ||
      value === 'last-per-subject'
    ) {
      return { kind: value };
    }
    if (/^\d+$/.test(value)) return startPosition({ kind: 'sequence', sequence: Number(value) });
    if (/^\d{4}-\d\d-\d\d/.test(value) && Number.isFinite(Date.parse(value))) {
      return { kind: 'time', time: Date.parse(value) };
    }
    try {
      return { kind: 'delta', ms: parseDuration(value) };
    } catch {
      invalid(
        'ERR_INVALID_CONSUMER',
        `a start is new, earliest, latest, last-per-subject, a sequence, an ISO time or a delta like 5m, not ${JSON.stringify(value)}`,
      );
    }
  }
  if (typeof value === 'number') return startPosition({ kind: 'sequence', sequence: value });
  if (value instanceof Date) return startPosition({ kind: 'time', time: value.getTime() });
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    const kind =
      v.kind ??
      (v.sequence !== undefined
        ? 'sequence'
        : v.time !== undefined
          ? 'time'
          : v.ms !== undefined
            ? 'delta'
            : undefined);
    if (kind === 'sequence') {
      return {
        kind,
        sequence: count(
          'ERR_INVALID_CONSUMER',
          'start sequence',
          v.sequence,
          1,
          Number.MAX_SAFE_INTEGER,
          1,
        ),
      };
    }
    if (kind === 'time') {
      const time =
        v.time instanceof Date
          ? v.time.getTime()
          : typeof v.time === 'string'
            ? Date.parse(v.time)
            : v.time;
      if (typeof time !== 'number' || !Number.isFinite(time))
        invalid('ERR_INVALID_CONSUMER', 'a start time must be a valid time');
      return { kind, time };
    }
    if (kind === 'delta') return { kind, ms: ms('ERR_INVALID_CONSUMER', 'start delta', v.ms, 0) };
    if (typeof kind === 'string') return startPosition(kind);
  }
  return invalid('ERR_INVALID_CONSUMER', `not a start position: ${JSON.stringify(value)}`);
}

/**
 * A complete, checked consumer configuration.
 *
 * @throws CallsignError `ERR_INVALID_CONSUMER`
 */
export function consumerConfig(
  input: ConsumerConfigInput | Record<string, unknown>,
): ConsumerConfig {
  if (typeof input !== 'object' || input === null)
    invalid('ERR_INVALID_CONSUMER', 'a consumer configuration is an object');
  const raw: Record<string, unknown> = {};
  const aliases: Record<string, string> = {
    ack_wait: 'ackWaitMs',
    ackWait: 'ackWaitMs',
    max_deliver: 'maxDeliveries',
    max_deliveries: 'maxDeliveries',
    max_ack_pending: 'maxAckPending',
  };
  for (const [k, v] of Object.entries(input)) raw[aliases[k] ?? k] = v;
  const known = new Set([
    'name',
    'start',
    'filter',
    'ackWaitMs',
    'maxDeliveries',
    'maxAckPending',
    'mode',
  ]);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0)
    invalid('ERR_INVALID_CONSUMER', `unknown consumer option ${unknown.join(', ')}`);
  if (!isValidStreamName(raw.name)) {
    invalid(
      'ERR_INVALID_CONSUMER',
      `a consumer name is 1-128 of A-Z a-z 0-9 _ -, not ${JSON.stringify(raw.name)}`,
    );
  }
  const filter = raw.filter === undefined ? '>' : raw.filter;
  try {
    patternTokens(filter as string);
  } catch (err) {
    invalid('ERR_INVALID_CONSUMER', (err as Error).message);
  }
  const ackWaitMs = ms('ERR_INVALID_CONSUMER', 'ackWait', raw.ackWaitMs, 30_000);
  if (ackWaitMs < 1 || ackWaitMs > 86_400_000)
    invalid('ERR_INVALID_CONSUMER', 'ackWait must be from 1 ms to 1 day');
  return Object.freeze({
    name: raw.name,
    start: startPosition(raw.start),
    filter: filter as string,
    ackWaitMs,
    maxDeliveries: count('ERR_INVALID_CONSUMER', 'maxDeliveries', raw.maxDeliveries, 0, 1_000_000),
    maxAckPending: count(
      'ERR_INVALID_CONSUMER',
      'maxAckPending',
      raw.maxAckPending,
      1000,
      100_000,
      1,
    ),
    mode: oneOf('ERR_INVALID_CONSUMER', 'mode', raw.mode, CONSUMER_MODES, 'exclusive'),
  });
}
