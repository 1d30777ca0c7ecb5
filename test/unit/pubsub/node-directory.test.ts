import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorContext,
  Available,
  Cleared,
  clear,
  configureDirectory,
  configureTransport,
  createRealm,
  Delivered,
  Dropped,
  generateNodeKeys,
  isCallsignError,
  Node,
  Published,
  publish,
  Retracted,
  retract,
  Stop,
  Subscribed,
  subscribe,
} from '../../../src/index.ts';
import { NodeDirectory } from '../../../src/internal.ts';
import { PublishRequest } from '../../../src/pubsub/requests.ts';
import { ActorAddress } from '../../../src/runtime/address.ts';

/** A node whose directory has no parent: everything stays in the process, no socket is made. */
function processNode(): Node {
  const node = new Node({ name: 'unit' });
  configureTransport(node, { realm: createRealm('unit'), keys: generateNodeKeys() });
  configureDirectory(node, { parent: null, where: 'unit test' });
  onTestFinished(() => node.stop());
  return node;
}

/** Runs `body` as an actor and resolves with what it returns. */
function run<T>(node: Node, body: (self: ActorContext) => Promise<T>): Promise<T> {
  return node.start(body).result as Promise<T>;
}

describe('the node directory actor, within one process', () => {
  it('takes publish, subscribe, clear and retract through its mailbox', async () => {
    const node = processNode();
    const publisher = node.spawn(async (self: ActorContext) => {
      publish(self, 'svc', { scope: 'process' });
      await self.select(Published);
      for (;;) {
        const m = await self.select(Delivered, Dropped, Stop);
        if (m instanceof Stop) return;
      }
    });
    const seen = await run(node, async (self) => {
      const events: string[] = [];
      subscribe(self, /s.c/, { scope: 'process' });
      events.push((await self.select(Subscribed)).search);
      const a = await self.select(Available);
      events.push(`${a.name} ${a.scope} ${self.returnAddress?.equals(publisher)}`);
      events.push(`clear ${clear(self, publisher)}`);
      await self.select(Cleared);
      events.push(`clear again ${clear(self, publisher)}`);
      retract(self);
      const r = await self.select(Retracted);
      events.push(`retracted ${r.listings}/${r.searches}`);
      return events;
    });
    expect(seen).toEqual([
      's.c',
      'svc process true',
      'clear true',
      'clear again false',
      'retracted 0/1',
    ]);
    expect(NodeDirectory.of(node).report()).toMatchObject({
      where: 'unit test',
      parent: undefined,
      endpoints: [],
      listings: [{ name: 'svc', scope: 'process', subscribers: 0 }],
      searches: [],
    });
  });

  it('refuses configureDirectory once it runs, with ERR_INVALID_STATE', async () => {
    const node = processNode();
    await run(node, async (self) => {
      publish(self, 'x', { scope: 'process' });
      await self.select(Published);
    });
    let caught: unknown;
    try {
      configureDirectory(node, { parent: null });
    } catch (err) {
      caught = err;
    }
    expect(isCallsignError(caught, 'ERR_INVALID_STATE')).toBe(true);
  });

  it('hears requests only from local actors', async () => {
    const node = processNode();
    const directory = NodeDirectory.of(node).address;
    const stranger = new ActorAddress(7, { label: 'stranger', closed: false, post: () => true });
    const answers = await run(node, async (self) => {
      // A request that claims to come from another node is not heard...
      node.deliver(
        directory.id,
        new PublishRequest({ name: 'taken', scope: 'process', multi: false, interest: false }),
        stranger,
      );
      // ... so the name is still free for this actor.
      publish(self, 'taken', { scope: 'process' });
      return (await self.select(Published)).name;
    });
    expect(answers).toBe('taken');
  });

  it('withdraws what an actor published when it ends: its subscribers get Dropped', async () => {
    const node = processNode();
    const publisher = node.spawn(async (self: ActorContext) => {
      publish(self, 'short-lived', { scope: 'process' });
      await self.select(Published);
      await self.select(Delivered);
    });
    const code = await run(node, async (self) => {
      subscribe(self, 'short-lived', { scope: 'process' });
      await self.select(Available);
      const d = await self.select(Dropped);
      return `${d.code} ${self.returnAddress?.equals(publisher)}`;
    });
    expect(code).toBe('ERR_PUBLISHER_ENDED true');
  });
});
