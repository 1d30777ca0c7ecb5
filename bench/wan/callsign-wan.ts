/**
 * callsign across the WAN, as a {@link Stack} for bench/wan.ts: the server
 * publishes `bench-wan` at `wan` scope, the client subscribes to it at `wan`
 * scope and talks to the publisher through whatever route the directories
 * give (the relay between two NATed sites, or a direct address). Both join
 * their site's host directory from the environment (`CALLSIGN_REALM`,
 * `CALLSIGN_HOST`), as any callsign program does.
 *
 * The messages and the flow control are those of bench/stacks/callsign.ts:
 * `Echo` for round trips; `Begin`, `Data` with `drain` every 256 KiB, and
 * `Done` for one-way throughput.
 *
 * @module
 */
import {
  type ActorAddress,
  type ActorContext,
  Available,
  configureDirectory,
  configureTransport,
  defineMessage,
  directoryFromEnvironment,
  drain,
  Node,
  NotAvailable,
  NotPublished,
  Published,
  publish,
  Stop,
  subscribe,
  t,
  transportFromEnvironment,
} from '../../src/index.ts';
import type { PushOptions, Stack, StackClient, StackServer } from '../lib/stack.ts';
import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';

class Echo extends defineMessage('bench.wan.Echo', { data: t.bytes }) {}
class Begin extends defineMessage('bench.wan.Begin', { count: t.uint }) {}
class Data extends defineMessage('bench.wan.Data', { data: t.bytes }) {}
class Done extends defineMessage('bench.wan.Done', { count: t.uint }) {}

/** The name the server publishes. */
export const BENCH_NAME = 'bench-wan';
const DRAIN_EVERY_BYTES = 256 * 1024;

function siteNode(name: string): Node {
  const node = new Node({ name });
  configureDirectory(node, directoryFromEnvironment(process.env, name));
  configureTransport(node, transportFromEnvironment(process.env));
  return node;
}

async function serve(): Promise<StackServer> {
  const node = siteNode('bench-wan-server');
  await new Promise<void>((resolve, reject) => {
    node.spawn(async (self: ActorContext) => {
      publish(self, BENCH_NAME, { scope: 'wan' });
      const p = await self.select(Published, NotPublished);
      if (p instanceof NotPublished) {
        reject(new Error(`${p.code}: ${p.reason}`));
        return;
      }
      resolve();
      let expected = -1;
      let received = 0;
      let client: ActorAddress | undefined;
      for (;;) {
        const m = await self.select(Data, Echo, Begin, Stop);
        if (m instanceof Data) {
          received++;
          if (received === expected && client) self.send(new Done({ count: received }), client);
        } else if (m instanceof Echo) {
          self.reply(m);
        } else if (m instanceof Begin) {
          expected = m.count;
          received = 0;
          client = self.returnAddress;
        } else {
          return;
        }
      }
    });
  });
  return { endpoint: BENCH_NAME, close: () => node.stop() };
}

interface Pending {
  resolve(value: Echo | Done): void;
  reject(error: Error): void;
}

async function connect(name: string): Promise<StackClient> {
  const node = siteNode('bench-wan-client');
  let pending: Pending | undefined;
  let ready: (client: { self: ActorContext; server: ActorAddress } | Error) => void = () => {};
  const found = new Promise<{ self: ActorContext; server: ActorAddress } | Error>(
    (resolve) => (ready = resolve),
  );
  node.spawn(async (self: ActorContext) => {
    subscribe(self, name, { scope: 'wan' });
    const a = await self.select(Available, NotAvailable);
    if (a instanceof NotAvailable) {
      ready(new Error(`${a.code}: ${a.reason}`));
      return;
    }
    ready({ self, server: self.returnAddress as ActorAddress });
    for (;;) {
      const m = await self.select(Echo, Done, Stop);
      if (m instanceof Stop) return;
      const p = pending;
      pending = undefined;
      p?.resolve(m);
    }
  });
  const client = await found;
  if (client instanceof Error) throw client;
  const { self, server } = client;
  const reply = () =>
    new Promise<Echo | Done>((resolve, reject) => (pending = { resolve, reject }));
  return {
    async request(payload) {
      const answer = reply();
      self.send(new Echo({ data: payload }), server);
      return ((await answer) as Echo).data;
    },
    async push(payload: Uint8Array, count: number, options: PushOptions) {
      const done = reply();
      self.send(new Begin({ count }), server);
      const every = Math.max(1, Math.floor(DRAIN_EVERY_BYTES / payload.byteLength));
      const message = new Data({ data: payload });
      for (let i = 1; i <= count; i++) {
        self.send(message, server);
        if (i % every === 0) {
          await drain(self, server);
          options.signal.throwIfAborted();
        }
      }
      return ((await done) as Done).count;
    },
    async close() {
      pending?.reject(new Error('closed'));
      await node.stop();
    },
  };
}

export const stack: Stack = {
  name: 'callsign-wan',
  description: 'callsign actors found by name at wan scope (sealed end to end)',
  variants: [{ id: 'actor-send', label: 'actor send, drain every 256 KiB' }],
  available: async () => true,
  serve,
  connect,
};

if (isEntryModule(import.meta.url)) await runStackProcess(stack);
