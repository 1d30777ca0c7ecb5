import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorAddress,
  type ActorContext,
  Available,
  configureDirectory,
  configureTransport,
  createRealm,
  Delivered,
  defineMessage,
  drain,
  generateNodeKeys,
  Node,
  Published,
  publish,
  type Realm,
  SelectTimer,
  Stop,
  subscribe,
  t,
  Undelivered,
} from '../../src/index.ts';
import { directoryService } from '../../src/internal.ts';
import { tempDir } from '../helpers/processes.ts';
import { until } from './directory/describe-directory.ts';

/**
 * A session's overflow option, end to end: the publisher chose `refuse` with
 * a small limit, the subscriber's node is another node that does not read
 * for a while. Whatever its node could not take comes back to the publisher
 * as Undelivered with a code, and nothing else is lost.
 */

class Reading extends defineMessage('test.overflow.Reading', { i: t.uint }) {}
class Done extends defineMessage('test.overflow.Done', { sent: t.uint }) {}
class Go extends defineMessage('test.overflow.Go', {}) {}

function nodeOf(realm: Realm, name: string, parent?: string): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  if (parent) configureDirectory(n, { parent });
  onTestFinished(() => n.stop());
  return n;
}

describe('the overflow option of a session', () => {
  it('refuse: what the slow subscriber’s node cannot take comes back as Undelivered; sent = received + refused', async () => {
    const realm = createRealm('overflow');
    const dir = tempDir();
    const host = await new Promise<string>((resolve) => {
      nodeOf(realm, 'host').spawn(directoryService, {
        level: 'host',
        endpoint: `unix:${join(dir, 'host.sock')}`,
        onListening: resolve,
      });
    });
    const COUNT = 40_000;
    const result = { sent: 0, refused: 0, codes: new Set<string>(), received: 0, done: -1 };

    const subscriberNode = nodeOf(realm, 'subscriber', host);
    let subscriber: ActorAddress | undefined;
    subscriber = subscriberNode.spawn(async (self: ActorContext) => {
      subscribe(self, 'readings');
      await self.select(Available);
      // Read nothing until told: the publisher fills this node's window and its own queue.
      await self.select(Go);
      for (;;) {
        const m = await self.select(Reading, Done, Stop);
        if (m instanceof Stop) return;
        if (m instanceof Reading) result.received++;
        else {
          result.done = m.sent;
          return;
        }
      }
    });

    const publisherNode = nodeOf(realm, 'publisher', host);
    publisherNode.spawn(async (self: ActorContext) => {
      publish(self, 'readings', { overflow: { policy: 'refuse', limit: 50 } });
      await self.select(Published);
      await self.select(Delivered);
      const to = self.returnAddress as ActorAddress;
      const told = async (seconds: number) => {
        for (;;) {
          const m = await self.select(Undelivered, { seconds });
          if (m instanceof SelectTimer) return;
          result.refused++;
          result.codes.add(String(m.code));
        }
      };
      for (let i = 0; i < COUNT; i++) {
        self.send(new Reading({ i }), to);
        result.sent++;
        // Read what came back now and then, as a sender that floods must: its own
        // mailbox is bounded too.
        if (result.sent % 1000 === 0) await told(0);
      }
      // Everything refused is told back; then let the subscriber read.
      await told(0.5);
      subscriberNode.send(new Go(), subscriber as ActorAddress);
      await drain(self, to);
      self.send(new Done({ sent: result.sent }), to);
      await self.select(Stop);
    });

    await until(() => result.done >= 0, 25_000);
    expect(result.sent).toBe(COUNT);
    expect(result.refused).toBeGreaterThan(0);
    expect([...result.codes]).toEqual(['ERR_OVERFLOW_REFUSED']);
    expect(result.received + result.refused).toBe(COUNT);
    expect(result.done).toBe(COUNT);
  });
});
