/**
 * callsign across the WAN, as a {@link Stack} for bench/wan.ts: the server
 * publishes `bench-wan` at `wan` scope, the client subscribes to it at `wan`
 * scope and talks to the publisher through whatever route the directories
 * give (the relay between two NATed sites, or a direct address). Both join
 * their site's host directory from the environment (`CALLSIGN_REALM`,
 * `CALLSIGN_HOST`), as any callsign program does.
 *
 * The messages, the server actor and the client actor (with `drain` every
 * 256 KiB) are those of bench/stacks/callsign.ts; only how the two meet
 * differs.
 *
 * @module
 */
import {
  type ActorContext,
  Available,
  configureDirectory,
  configureTransport,
  directoryFromEnvironment,
  Node,
  NotAvailable,
  NotPublished,
  Published,
  publish,
  subscribe,
  transportFromEnvironment,
} from '../../src/index.ts';
import type { Stack, StackServer } from '../lib/stack.ts';
import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';
import { actorClient, server } from '../stacks/callsign.ts';

/** The name the server publishes. */
export const BENCH_NAME = 'bench-wan';

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
      await server(self);
    });
  });
  return { endpoint: BENCH_NAME, close: () => node.stop() };
}

export const stack: Stack = {
  name: 'callsign-wan',
  description: 'callsign actors found by name at wan scope (sealed end to end)',
  variants: [{ id: 'actor-send', label: 'actor send, drain every 256 KiB' }],
  available: async () => true,
  serve,
  connect: (name) =>
    actorClient(siteNode('bench-wan-client'), async (self) => {
      subscribe(self, name, { scope: 'wan' });
      const a = await self.select(Available, NotAvailable);
      return a instanceof NotAvailable ? new Error(`${a.code}: ${a.reason}`) : undefined;
    }),
};

if (isEntryModule(import.meta.url)) await runStackProcess(stack);
