/**
 * Which partition a message goes to: the one named, else its key's hash,
 * else the next in turn. Pure; the hash is stable across processes and
 * versions (FNV-1a over the key's UTF-8), so one key always lands in one
 * partition and keeps its order.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';

const encoder = new TextEncoder();

/** The 32-bit FNV-1a hash of `key`'s UTF-8 bytes. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The partition of a message in a stream of `partitions`: `named` when
 * given, else `hash(key) % partitions`, else `turn % partitions`.
 *
 * @throws CallsignError `ERR_INVALID_PARTITION` for a named partition the stream does not have
 */
export function choosePartition(
  partitions: number,
  named: number | undefined,
  key: string | undefined,
  turn: number,
): number {
  if (named !== undefined) {
    if (!Number.isInteger(named) || named < 0 || named >= partitions) {
      throw new CallsignError(
        'ERR_INVALID_PARTITION',
        `partition ${named} is not one of 0 to ${partitions - 1}`,
      );
    }
    return named;
  }
  if (partitions === 1) return 0;
  if (key !== undefined) return keyHash(key) % partitions;
  return turn % partitions;
}
