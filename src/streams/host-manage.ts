/**
 * The management requests a stream host answers (what `callsign stream
 * ...` asks): make, change, list, describe, purge and delete streams, and
 * list, describe and delete their consumers.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { type StreamAnswer as Answer, StreamAnswer, type StreamManage } from './protocol.ts';
import type { StreamStore } from './store.ts';

/** What managing needs of the host: its listings. */
export interface ManagedListings {
  list(name: string): void;
  unlist(name: string): void;
  hosted(name: string): boolean;
}

function stream(m: StreamManage, listings: ManagedListings): string {
  if (m.stream === undefined || !listings.hosted(m.stream)) {
    throw new CallsignError(
      'ERR_UNKNOWN_STREAM',
      `no stream ${JSON.stringify(m.stream ?? '')} is hosted here`,
    );
  }
  return m.stream;
}

function optionalNumber(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new CallsignError('ERR_INVALID_SETTINGS', `${what} must be a whole number, at least 0`);
  }
  return v;
}

function optionalText(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new CallsignError('ERR_INVALID_SETTINGS', `${what} must be text`);
  return v;
}

/** Answers one management request; rejects with a coded error. */
export async function manageStreams(
  store: StreamStore,
  m: StreamManage,
  listings: ManagedListings,
): Promise<Answer> {
  const answer = (value: unknown) =>
    new StreamAnswer({ id: m.id, value: JSON.parse(JSON.stringify(value ?? null)) });
  const args = m.args;
  switch (m.action) {
    case 'create': {
      const info = await store.createStream(args as never);
      listings.list(info.config.name);
      return answer(info);
    }
    case 'update':
      stream({ ...m, stream: String(args.name) } as StreamManage, listings);
      return answer(await store.updateStream(args as never));
    case 'list': {
      const names = (
        await store.listStreams({
          after: optionalText(args.after, 'after'),
          max: optionalNumber(args.max, 'max') ?? 1000,
        })
      ).filter((n) => listings.hosted(n));
      const rows = [];
      for (const name of names) {
        const info = await store.streamInfo(name).catch((error) => {
          // Listed still, as unavailable (a replicated stream while no NATS server answers).
          if (error instanceof CallsignError && error.code === 'ERR_STREAM_UNAVAILABLE')
            return error;
          throw error;
        });
        if (info instanceof CallsignError) {
          rows.push({ name, unavailable: info.code });
          continue;
        }
        rows.push({
          name,
          messages: info.messages,
          bytes: info.bytes,
          partitions: info.config.partitions,
          consumers: info.consumers,
        });
      }
      return answer(rows);
    }
    case 'info':
      return answer(await store.streamInfo(stream(m, listings)));
    case 'purge': {
      const removed = await store.purge(stream(m, listings), {
        ...(args.partition === undefined
          ? {}
          : { partition: optionalNumber(args.partition, 'partition') }),
        ...(args.filter === undefined ? {} : { filter: optionalText(args.filter, 'filter') }),
        ...(args.keepFrom === undefined
          ? {}
          : { keepFrom: optionalNumber(args.keepFrom, 'keepFrom') }),
      });
      return answer({ removed });
    }
    case 'delete': {
      const name = stream(m, listings);
      const deleted = await store.deleteStream(name);
      listings.unlist(name);
      return answer({ deleted });
    }
    case 'consumers': {
      const name = stream(m, listings);
      const infos = [];
      for (const c of await store.listConsumers(name))
        infos.push(await store.consumerInfo(name, c));
      return answer(infos);
    }
    case 'consumer-info':
      return answer(await store.consumerInfo(stream(m, listings), String(args.name)));
    case 'consumer-delete':
      return answer({
        deleted: await store.deleteConsumer(stream(m, listings), String(args.name)),
      });
  }
}
