/**
 * A stream mirror: copies a local stream (lmdb, on its host) into a
 * replicated one (the `nats` driver), partition by partition, in order,
 * and goes on with what is appended after. It resumes from the target (see
 * mirror-plan.ts), so either side may restart: a target that does not
 * answer is tried again, and whatever it stored of a failed batch is found
 * there, never copied twice. `callsign stream mirror` runs one.
 *
 * @module
 */
import { CallsignError, isCallsignError } from '../errors.ts';
import { streamConfig } from './config.ts';
import {
  checkMirrorTarget,
  copyItems,
  type MirrorPosition,
  mirrorTargetConfig,
  resumePosition,
} from './mirror-plan.ts';
import { storedRecordsOf } from './record-batch.ts';
import type { StoredRecord, StreamInfo, StreamStore } from './store.ts';

/** Where a mirror reads: a store, or a stream server reached by name. */
export interface MirrorSource {
  info(stream: string): Promise<StreamInfo>;
  /** Records of a partition from `from` on; waits up to `waitMs` for one when there is none yet. */
  read(
    stream: string,
    at: { partition: number; from: number; max: number; waitMs: number },
  ): Promise<{ records: readonly StoredRecord[] }>;
}

/** Options of {@link mirrorStream}. */
export interface MirrorOptions {
  readonly source: MirrorSource;
  /** The replicated store (the `nats` driver). */
  readonly target: StreamStore;
  /** The source stream. */
  readonly stream: string;
  /** The target stream's name. Default: the source's. */
  readonly to?: string;
  /** Copy what is there, then stop (else go on until `signal`). */
  readonly once?: boolean;
  readonly signal?: AbortSignal;
  /** Copies per append batch. Default 512. */
  readonly batch?: number;
  /** Told after each batch copied, and of each failure that is tried again. */
  readonly onProgress?: (progress: MirrorProgress) => void;
}

/** How far a mirror got. */
export interface MirrorProgress {
  readonly stream: string;
  readonly to: string;
  /** Copies made by this run. */
  readonly copied: number;
  readonly positions: readonly MirrorPosition[];
  /** The failure just met (it is tried again), if any. */
  readonly retrying?: string;
}

/** A {@link MirrorSource} over a store in this process. */
export function storeSource(store: StreamStore): MirrorSource {
  return {
    info: (stream) => store.streamInfo(stream),
    async read(stream, at) {
      const once = async () =>
        storedRecordsOf(
          stream,
          await store.readBatch(stream, { partition: at.partition, from: at.from, max: at.max }),
        );
      const records = await once();
      if (records.length > 0 || at.waitMs === 0) return { records };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, at.waitMs);
        const stop = store.watch((e) => {
          if (e.kind === 'appended' && e.stream === stream && e.partition === at.partition) done();
        });
        function done() {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
      return { records: await once() };
    },
  };
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Failures of the other side that pass (a server restarting or gone a while, a leader being elected). */
function passing(error: unknown): boolean {
  if (!isCallsignError(error)) return true;
  return [
    'ERR_STORAGE_FAILED',
    'ERR_STREAM_UNAVAILABLE',
    'ERR_TIMEOUT',
    'ERR_WRONG_LAST_SEQUENCE',
  ].includes(error.code);
}

/**
 * Mirrors `stream` of `source` into `target` (made there, with the source's
 * configuration, when missing). Resolves when `once` has copied everything,
 * or when `signal` aborts.
 *
 * @throws CallsignError `ERR_UNKNOWN_STREAM`, `ERR_INVALID_STREAM` (a target
 *   that is not the source's mirror), `ERR_STREAM_UNSUPPORTED`
 */
export async function mirrorStream(options: MirrorOptions): Promise<MirrorProgress> {
  const { source, target, stream, signal } = options;
  const to = options.to ?? stream;
  const batch = options.batch ?? 512;
  const info = await source.info(stream);
  const wanted = mirrorTargetConfig(info.config, to);
  let copied = 0;
  let positions: MirrorPosition[] = [];
  const progress = (retrying?: string): MirrorProgress => ({
    stream,
    to,
    copied,
    positions,
    ...(retrying ? { retrying } : {}),
  });
  const resume = async () => {
    const t = await target.streamInfo(to);
    positions = await Promise.all(
      t.partitions.map(async (p) => {
        const last =
          p.lastSequence > 0
            ? await target.get(to, p.partition, p.lastSequence).catch((error: unknown) => {
                if (isCallsignError(error) && error.code === 'ERR_NO_SUCH_RECORD') return undefined;
                throw error;
              })
            : undefined;
        return resumePosition(stream, p.partition, p.lastSequence, last);
      }),
    );
  };
  // The target may be restarting as the mirror starts: try again while it does.
  for (;;) {
    try {
      if (await target.hasStream(to)) {
        checkMirrorTarget(info.config, (await target.streamInfo(to)).config);
      } else {
        await target.createStream(streamConfig(wanted));
      }
      await resume();
      break;
    } catch (error) {
      if (!passing(error) || signal?.aborted) throw error;
      options.onProgress?.(progress((error as Error).message));
      await pause(250, signal);
    }
  }
  let idle = 0;
  while (!signal?.aborted) {
    let moved = false;
    try {
      for (const [i, at] of positions.entries()) {
        if (signal?.aborted) break;
        const waitMs = !options.once && idle > 0 && i === idle % positions.length ? 1000 : 0;
        const page = await source.read(stream, {
          partition: at.partition,
          from: at.next,
          max: batch,
          waitMs,
        });
        if (page.records.length === 0) continue;
        const outcomes = await target.appendBatch(to, copyItems(stream, at, page.records));
        let now = at;
        for (const [k, outcome] of outcomes.entries()) {
          if (outcome instanceof CallsignError) throw outcome;
          const record = page.records[k] as StoredRecord;
          now = {
            partition: at.partition,
            next: record.sequence + 1,
            targetLast: outcome.sequence,
          };
          // A copy the other side of a race stored first is there once: not counted again.
          if (!outcome.duplicate) copied++;
        }
        positions[i] = now;
        moved = true;
      }
      if (moved) options.onProgress?.(progress());
    } catch (error) {
      if (!passing(error)) throw error;
      options.onProgress?.(progress((error as Error).message));
      await pause(250, signal);
      // What the target stored of a failed batch is there: go on after it.
      await resume().catch(() => {});
      continue;
    }
    if (moved) idle = 0;
    else if (options.once) break;
    else idle++;
  }
  return progress();
}
