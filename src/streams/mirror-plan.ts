/**
 * The decisions of a stream mirror (a local stream copied into a replicated
 * one): the target's configuration, what each copied message carries of
 * its source, and where a mirror resumes. Pure: mirror.ts does the I/O.
 *
 * A copy keeps the partition of its source and its order; each carries the
 * source sequence in the property {@link MIRROR_SEQUENCE}, so the target
 * itself says how far the mirror got, in the same write as the data: a
 * mirror that starts again (after either side restarted) reads its target's
 * last message per partition and goes on after its source sequence.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { StreamConfig } from './config.ts';
import type { AppendItem, StoredRecord } from './store.ts';

/** The property of a copy that holds its source sequence (in the same partition). */
export const MIRROR_SEQUENCE = 'callsign-mirror-sequence';

/** Where a mirror is in one partition. */
export interface MirrorPosition {
  readonly partition: number;
  /** The next source sequence to copy. */
  readonly next: number;
  /** The target partition's last sequence (what the next copy expects). */
  readonly targetLast: number;
}

/**
 * The configuration of the target stream of a mirror: the source's, under
 * the target's name. Durability `flush` (per-message sync) becomes `commit`:
 * a replicated stream survives a machine through its replicas.
 */
export function mirrorTargetConfig(source: StreamConfig, name: string): StreamConfig {
  return { ...source, name, durability: 'commit' };
}

/** Checks that an existing target can take the source's messages. */
export function checkMirrorTarget(source: StreamConfig, target: StreamConfig): void {
  if (target.partitions !== source.partitions) {
    throw new CallsignError(
      'ERR_INVALID_STREAM',
      `stream ${target.name} has ${target.partitions} partitions, the mirrored ${source.name} ${source.partitions}`,
    );
  }
}

/** The message id of the copy of a source message: the target refuses it twice within its window. */
export function copyId(sourceStream: string, partition: number, sequence: number): string {
  return `${sourceStream}/${partition}/${sequence}`;
}

/** The source sequence a copy says it is of, or undefined for a message the mirror did not write. */
export function sourceSequenceOf(copy: StoredRecord): number | undefined {
  const text = copy.properties?.[MIRROR_SEQUENCE];
  const n = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Where to go on in a partition whose target ends with `last` (undefined: the target is empty). */
export function resumePosition(
  sourceStream: string,
  partition: number,
  targetLastSequence: number,
  last: StoredRecord | undefined,
): MirrorPosition {
  if (targetLastSequence === 0) return { partition, next: 1, targetLast: 0 };
  const source = last && sourceSequenceOf(last);
  if (source === undefined || last?.messageId !== copyId(sourceStream, partition, source)) {
    throw new CallsignError(
      'ERR_INVALID_STREAM',
      `the last message of partition ${partition} of the target (sequence ${targetLastSequence}) is gone or is not a copy of ${sourceStream}: mirror into a stream of its own`,
    );
  }
  return { partition, next: source + 1, targetLast: targetLastSequence };
}

/** The appends that copy `records` (of one partition, in order) after `position`. */
export function copyItems(
  sourceStream: string,
  position: MirrorPosition,
  records: readonly StoredRecord[],
): AppendItem[] {
  return records.map((r, i) => {
    const { data, subject, key, properties, eventTime, producer, type } = r;
    return {
      record: {
        data,
        subject,
        properties: { ...(properties ?? {}), [MIRROR_SEQUENCE]: String(r.sequence) },
        ...(key === undefined ? {} : { key }),
        ...(eventTime === undefined ? {} : { eventTime }),
        ...(producer === undefined ? {} : { producer }),
        ...(type === undefined ? {} : { type }),
      },
      options: {
        partition: position.partition,
        // In order, with nothing between: a copy that fails stops the ones after it.
        expectedLastSequence: position.targetLast + i,
        messageId: copyId(sourceStream, position.partition, r.sequence),
      },
    };
  });
}
