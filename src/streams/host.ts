/**
 * The stream host: an actor that serves the streams of one store. Each
 * stream is published as a listing under its name (a small child actor per
 * listing forwards what arrives there); producers, consumers and the command
 * line subscribe to the name like to any listing and talk to the host over
 * that session. A bad request costs only that request: it is refused with a
 * code, and the host goes on serving everyone else.
 *
 * @module
 */
import type { Scope } from '../directory/scope.ts';
import { CallsignError, codeOf, toError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { defineMessage } from '../messages/registry.ts';
import { Stop } from '../messages/standard.ts';
import { publish } from '../pubsub/api.ts';
import { Cleared, Delivered, Dropped, NotPublished, Published } from '../pubsub/messages.ts';
import type { ActorAddress, Channel } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { packOutcomes, readAppendPack } from './append-pack.ts';
import { askerOf, checkAdmin } from './host-admins.ts';
import { type ConsumerClient, HostConsumers } from './host-consumers.ts';
import { manageStreams } from './host-manage.ts';
import { type ReadWaiters, readRecords } from './host-read.ts';
import {
  ConsumerAttach,
  ConsumerDetach,
  ConsumerSettle,
  ConsumerSettlePack,
  StreamAppendedPack,
  StreamAppendPack,
  StreamAppendRefusal,
  StreamData,
  StreamFetch,
  StreamFlush,
  StreamFlushed,
  StreamManage,
  StreamRead,
  StreamRefused,
} from './protocol.ts';
import type { AppendItem, StreamStore } from './store.ts';

/** Settings of {@link streamHost}. */
export interface StreamHostSettings {
  /** The store whose streams it serves (it does not close it). */
  readonly store: StreamStore;
  /** How far the listings reach. Default `host`. */
  readonly scope?: Scope;
  /** A listing for managing the store (`callsign stream ...` finds it by this name). */
  readonly listing?: string;
  /**
   * Serve only these streams (and those made through the host). Default:
   * every stream of the store, and each one made in it later, by anyone, at once.
   */
  readonly streams?: readonly string[];
  /**
   * The public keys (base64) of the nodes that may create, change, purge and
   * delete streams and delete consumers over the network (the host's own
   * actors always may); anyone else is refused with `ERR_NOT_STREAM_ADMIN`
   * (see host-admins.ts). Default: none.
   */
  readonly admins?: readonly string[];
  /** How often deliveries due again are sent and old messages expire, in seconds. Default 0.2. */
  readonly tickSeconds?: number;
}

/** What the host returns when it stops. */
export interface StreamHostSummary {
  readonly streams: number;
  readonly appends: number;
  readonly refused: number;
}

/** The most messages in one batch (appends, settlements). */
export const MAX_BATCH = 4096;

/** The most appends one client may have waiting for their answer. */
export const MAX_APPENDS_IN_FLIGHT = 65_536;

/** The host's own timer. */
class HostTick extends defineMessage('callsign.stream.HostTick', {}) {}

/** Tells a listing actor to withdraw (its stream was deleted). */
class Unlist extends defineMessage('callsign.stream.Unlist', {}) {}

const channelIds = new WeakMap<Channel, number>();
let channelCount = 0;

/** A key for an actor address that is the same for every copy of it. */
export function addressKey(a: ActorAddress): string {
  if (!a.channel) return `local:${a.id}`;
  let n = channelIds.get(a.channel);
  if (n === undefined) {
    n = ++channelCount;
    channelIds.set(a.channel, n);
  }
  return `${n}:${a.id}`;
}

/**
 * The actor that publishes one listing for the host and forwards what
 * arrives there, with the sender kept as the return address.
 */
async function streamListing(
  self: ActorContext,
  settings: { name: string; scope: Scope; host: ActorAddress },
): Promise<string> {
  publish(self, settings.name, { scope: settings.scope });
  for (;;) {
    const m = await self.select();
    if (m instanceof Stop || m instanceof Unlist) return settings.name;
    if (m instanceof Published) continue;
    if (m instanceof NotPublished) {
      self.warning(`cannot publish stream ${settings.name}: ${m.reason} (${m.code})`);
      continue;
    }
    if (self.returnAddress) self.forward(m, settings.host, self.returnAddress);
  }
}

/**
 * Serves the streams of a store, each as a listing, until Stop.
 *
 * @example
 * ```ts
 * const store = await openStreamStore({ options: { path: './data' } });
 * await store.createStream({ name: 'orders', partitions: 4 });
 * node.start(streamHost, { store, scope: 'host', listing: 'streams' });
 * ```
 */
export async function streamHost(
  self: ActorContext,
  settings: StreamHostSettings,
): Promise<StreamHostSummary> {
  const { store } = settings;
  const scope = settings.scope ?? 'host';
  const listings = new Map<string, ActorAddress>();
  const clients = new Map<string, ConsumerClient & { sessions: number; appending: number }>();
  const consumers = new HostConsumers(self, store);
  const waiters: ReadWaiters = new Map();
  let appends = 0;
  let refusedCount = 0;

  const list = (name: string) => {
    if (listings.has(name)) return;
    listings.set(
      name,
      self.create(streamListing, { name, scope, host: self.address }, { name: `stream ${name}` }),
    );
  };
  const unlist = (name: string) => {
    const a = listings.get(name);
    listings.delete(name);
    if (a) self.send(new Unlist(), a);
    consumers.forgetStream(name);
  };
  const admins = new Set(settings.admins ?? []);
  if (settings.listing) list(settings.listing);
  if (settings.streams) {
    for (const name of settings.streams) list(name);
  } else {
    let after: string | undefined;
    for (;;) {
      const names = await store.listStreams({ after, max: 1000 });
      for (const name of names) list(name);
      if (names.length < 1000) break;
      after = names.at(-1);
    }
  }
  const stopWatching = store.watch((e) => {
    if (e.kind === 'appended') {
      consumers.pumpStream(e.stream);
      for (const wake of waiters.get(e.stream) ?? []) wake();
    } else if (e.kind === 'created') {
      // Made in the store directly (not through this host): served at once.
      if (!settings.streams) list(e.stream);
    } else if (listings.has(e.stream)) {
      unlist(e.stream);
    }
  });
  const tick = settings.tickSeconds ?? 0.2;
  self.start(HostTick, tick, { repeating: true });
  let ticks = 0;

  const clientOf = (address: ActorAddress) => {
    const key = addressKey(address);
    let c = clients.get(key);
    if (!c) {
      c = { key, address, consumers: new Set(), sessions: 0, appending: 0 };
      clients.set(key, c);
    }
    return c;
  };
  const refuse = (
    to: ActorAddress,
    id: number,
    err: unknown,
    fallback: Parameters<typeof codeOf>[1],
  ) => {
    refusedCount++;
    self.send(
      new StreamRefused({ id, code: codeOf(err, fallback), reason: toError(err).message }),
      to,
    );
  };
  const hosted = (stream: string) => {
    if (!listings.has(stream) || stream === settings.listing) {
      throw new CallsignError(
        'ERR_UNKNOWN_STREAM',
        `no stream ${JSON.stringify(stream)} is hosted here`,
      );
    }
  };

  const handle = (m: Message, from: ActorAddress) => {
    if (m instanceof StreamAppendPack) {
      const client = clientOf(from);
      let items: AppendItem[];
      try {
        hosted(m.stream);
        if (m.count > MAX_BATCH) {
          throw new CallsignError(
            'ERR_INVALID_STATE',
            `a batch has at most ${MAX_BATCH} messages, not ${m.count}`,
          );
        }
        if (client.appending + m.count > MAX_APPENDS_IN_FLIGHT) {
          throw new CallsignError(
            'ERR_STREAM_FULL',
            `more than ${MAX_APPENDS_IN_FLIGHT} appends in flight`,
          );
        }
        items = readAppendPack(m.appends, m.producer, MAX_BATCH);
        if (items.length !== m.count) {
          throw new CallsignError(
            'ERR_INVALID_MESSAGE',
            `a pack says ${m.count} appends and holds ${items.length}`,
          );
        }
      } catch (err) {
        refuse(from, m.id, err, 'ERR_UNKNOWN_STREAM');
        return;
      }
      const n = items.length;
      client.appending += n;
      store
        .appendBatch(m.stream, items)
        .then(
          (outcomes) => {
            const packed = packOutcomes(outcomes);
            refusedCount += packed.refusals.length;
            appends += n - packed.refusals.length;
            self.send(
              new StreamAppendedPack({
                id: m.id,
                outcomes: packed.outcomes,
                refusals: packed.refusals.map((r) => new StreamAppendRefusal(r)),
              }),
              from,
            );
          },
          (err) => refuse(from, m.id, err, 'ERR_STORAGE_FAILED'),
        )
        .finally(() => {
          client.appending -= n;
        });
    } else if (m instanceof StreamFlush) {
      store.flush({ sync: m.sync }).then(
        () => self.send(new StreamFlushed({ id: m.id }), from),
        (err) => refuse(from, m.id, err, 'ERR_STORAGE_FAILED'),
      );
    } else if (m instanceof ConsumerAttach) {
      try {
        hosted(m.stream);
      } catch (err) {
        refuse(from, m.id, err, 'ERR_UNKNOWN_STREAM');
        return;
      }
      void consumers.attach(m, clientOf(from));
    } else if (m instanceof ConsumerSettle) {
      void consumers.settle(m, clientOf(from));
    } else if (m instanceof ConsumerSettlePack) {
      void consumers.settlePack(m, clientOf(from));
    } else if (m instanceof ConsumerDetach) {
      void consumers.detach(clientOf(from), { stream: m.stream, consumer: m.consumer });
    } else if (m instanceof StreamFetch) {
      const range =
        m.offset === undefined && m.length === undefined
          ? undefined
          : { offset: m.offset ?? 0, length: m.length ?? Number.MAX_SAFE_INTEGER };
      Promise.resolve()
        .then(() => hosted(m.stream))
        .then(() => store.get(m.stream, m.partition, m.sequence, range))
        .then(
          (r) => self.send(new StreamData({ id: m.id, size: r.size, data: r.data }), from),
          (err) => refuse(from, m.id, err, 'ERR_NO_SUCH_RECORD'),
        );
    } else if (m instanceof StreamRead) {
      Promise.resolve()
        .then(() => hosted(m.stream))
        .then(() => readRecords(self, store, m, from, waiters))
        .catch((err) => refuse(from, m.id, err, 'ERR_UNKNOWN_STREAM'));
    } else if (m instanceof StreamManage) {
      try {
        checkAdmin(m.action, askerOf(from), admins);
      } catch (err) {
        refuse(from, m.id, err, 'ERR_NOT_STREAM_ADMIN');
        return;
      }
      manageStreams(store, m, {
        list,
        unlist,
        hosted: (s) => listings.has(s) && s !== settings.listing,
      }).then(
        (answer) => self.send(answer, from),
        (err) => refuse(from, m.id, err, 'ERR_INVALID_STREAM'),
      );
    } else if (m instanceof Delivered) {
      clientOf(from).sessions++;
    } else if (m instanceof Dropped || m instanceof Cleared) {
      const c = clients.get(addressKey(from));
      if (c && --c.sessions <= 0) {
        clients.delete(c.key);
        void consumers.detach(c);
      }
    }
  };

  try {
    for (;;) {
      const m = await self.select();
      if (m instanceof Stop) break;
      if (m instanceof HostTick) {
        consumers.pumpAll();
        if (++ticks % Math.max(1, Math.round(1 / tick)) === 0) {
          store.expire().catch((err) => self.warning(`expire: ${toError(err).message}`));
        }
        continue;
      }
      const from = self.returnAddress;
      if (!from) continue;
      try {
        handle(m, from);
      } catch (err) {
        self.warning(`stream host: ${toError(err).message}`);
      }
    }
  } finally {
    stopWatching();
    self.cancel(HostTick);
    for (const wake of [...waiters.values()].flatMap((s) => [...s])) wake();
  }
  return { streams: listings.size - (settings.listing ? 1 : 0), appends, refused: refusedCount };
}
