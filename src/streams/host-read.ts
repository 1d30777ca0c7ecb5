/**
 * Reading a stream through its host (`callsign stream view`): a page of
 * stored messages from a sequence on, and, when there are none yet, a wait
 * of at most `waitMs` for the next append (a long poll, so `--follow` needs
 * no timer of its own). Waits are bounded per host.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { deliveryMessage } from './host-consumers.ts';
import { type StreamRead, StreamRecords } from './protocol.ts';
import type { StreamStore } from './store.ts';

/** Readers waiting for an append, by stream. */
export type ReadWaiters = Map<string, Set<() => void>>;

/** The most reads one host keeps waiting at once. */
export const MAX_WAITING_READS = 1024;

/** The longest a read may wait, in ms. */
export const MAX_READ_WAIT_MS = 60_000;

/** Answers a read now, or when something is appended, or when its wait ends. */
export async function readRecords(
  self: ActorContext,
  store: StreamStore,
  m: StreamRead,
  to: ActorAddress,
  waiters: ReadWaiters,
): Promise<void> {
  const max = Math.min(Math.max(m.max, 1), 10_000);
  const once = async () => {
    const records = await store.read(m.stream, {
      partition: m.partition,
      from: Math.max(m.from, 1),
      max,
      ...(m.filter ? { filter: m.filter } : {}),
      metadataOnly: m.metadataOnly,
    });
    const info = await store.streamInfo(m.stream);
    const part = info.partitions[m.partition];
    const next =
      records.length > 0
        ? (records.at(-1)?.sequence ?? 0) + 1
        : Math.max(m.from, part?.firstSequence ?? 1);
    return { records, next, last: part?.lastSequence ?? 0 };
  };
  const first = await once();
  const reply = (r: typeof first) =>
    self.send(
      new StreamRecords({
        id: m.id,
        records: r.records.map((d) => deliveryMessage({ ...d, consumer: '', deliveryCount: 0 })),
        next: r.next,
        last: r.last,
      }),
      to,
    );
  const wait = Math.min(m.waitMs, MAX_READ_WAIT_MS);
  if (first.records.length > 0 || wait === 0 || first.last >= first.next) {
    reply(first);
    return;
  }
  const count = [...waiters.values()].reduce((n, s) => n + s.size, 0);
  if (count >= MAX_WAITING_READS) {
    throw new CallsignError(
      'ERR_INVALID_STATE',
      `more than ${MAX_WAITING_READS} reads are waiting here`,
    );
  }
  let set = waiters.get(m.stream);
  if (!set) {
    set = new Set();
    waiters.set(m.stream, set);
  }
  const mine = set;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, wait);
    function done() {
      clearTimeout(timer);
      mine.delete(done);
      if (mine.size === 0) waiters.delete(m.stream);
      resolve();
    }
    mine.add(done);
  });
  reply(await once());
}
