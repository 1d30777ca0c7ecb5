/**
 * Retention decisions: whether a stream admits a new message, and what must
 * go to make room for it. Pure: the store counts, this module decides, the
 * store removes.
 *
 * @module
 */
import type { ErrorCode } from '../errors.ts';
import type { StreamConfig } from './config.ts';

/** What one partition holds now, as the decisions need it. */
export interface PartitionCounts {
  readonly messages: number;
  readonly bytes: number;
}

/** What is known of a message about to be appended. */
export interface Arrival {
  readonly size: number;
  /** Messages of its subject stored now. */
  readonly ofSubject: number;
  /** Messages of its key stored now (0 without a key). */
  readonly ofKey: number;
  readonly hasKey: boolean;
}

/** The outcome of {@link admit}. */
export type Admission =
  | { readonly kind: 'refuse'; readonly code: ErrorCode; readonly reason: string }
  | {
      readonly kind: 'admit';
      /** Remove this many of the oldest messages of its key first (compaction). */
      readonly dropOfKey: number;
      /** Remove this many of the oldest messages of its subject. */
      readonly dropOfSubject: number;
    };

/**
 * Decides whether a partition admits a message. The discard policy decides
 * for the stream's limits (messages, bytes, per subject): `new` refuses with
 * `ERR_STREAM_FULL`, `old` makes room; a key's limit (compaction) always
 * replaces the oldest of that key. After the drops it asks for, the store
 * makes room for the stream's own limits with {@link overLimits}.
 */
export function admit(config: StreamConfig, now: PartitionCounts, m: Arrival): Admission {
  if (m.size > config.maxMessageSize) {
    return {
      kind: 'refuse',
      code: 'ERR_MESSAGE_TOO_LARGE',
      reason: `a message of ${m.size} bytes is above the stream's maxMessageSize of ${config.maxMessageSize}`,
    };
  }
  if (config.maxBytes > 0 && m.size > config.maxBytes) {
    return {
      kind: 'refuse',
      code: 'ERR_MESSAGE_TOO_LARGE',
      reason: `a message of ${m.size} bytes cannot fit in the stream's maxBytes of ${config.maxBytes}`,
    };
  }
  const dropOfKey =
    m.hasKey && config.maxPerKey > 0 ? Math.max(0, m.ofKey + 1 - config.maxPerKey) : 0;
  const overSubject =
    config.maxPerSubject > 0 ? Math.max(0, m.ofSubject + 1 - config.maxPerSubject) : 0;
  if (config.discard === 'new') {
    const full = fullness(config, now, m, dropOfKey);
    if (overSubject > 0 && dropOfKey === 0) {
      return {
        kind: 'refuse',
        code: 'ERR_STREAM_FULL',
        reason: `the subject has its maxPerSubject of ${config.maxPerSubject} messages`,
      };
    }
    if (full) return { kind: 'refuse', code: 'ERR_STREAM_FULL', reason: full };
    return { kind: 'admit', dropOfKey, dropOfSubject: 0 };
  }
  return { kind: 'admit', dropOfKey, dropOfSubject: overSubject };
}

function fullness(
  config: StreamConfig,
  now: PartitionCounts,
  m: Arrival,
  dropped: number,
): string | undefined {
  // With compaction the replaced message makes room (its size is not known here: count it as none).
  if (config.maxMessages > 0 && now.messages - dropped + 1 > config.maxMessages) {
    return `the stream has its maxMessages of ${config.maxMessages}`;
  }
  if (config.maxBytes > 0 && now.bytes + m.size > config.maxBytes && dropped === 0) {
    return `the stream has ${now.bytes} of its maxBytes of ${config.maxBytes}`;
  }
  return undefined;
}

/** How far a partition is over its limits: messages to drop and bytes to free, oldest first. */
export function overLimits(
  config: StreamConfig,
  now: PartitionCounts,
): { readonly messages: number; readonly bytes: number } {
  return {
    messages: config.maxMessages > 0 ? Math.max(0, now.messages - config.maxMessages) : 0,
    bytes: config.maxBytes > 0 ? Math.max(0, now.bytes - config.maxBytes) : 0,
  };
}

/** Messages published before this time have passed the stream's maxAge (undefined: no limit). */
export function expiryCutoff(config: StreamConfig, now: number): number | undefined {
  return config.maxAgeMs > 0 ? now - config.maxAgeMs : undefined;
}
