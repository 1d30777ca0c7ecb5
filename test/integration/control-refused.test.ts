import { describe, expect, it, onTestFinished } from 'vitest';
import {
  Abandoned,
  type ActorAddress,
  type ActorContext,
  Connected,
  configureDirectory,
  configureTransport,
  connect,
  createRealm,
  generateNodeKeys,
  Node,
  NotConnected,
  NotPublished,
  Published,
  publish,
  type Realm,
  Stop,
} from '../../src/index.ts';
import { NodeDirectory } from '../../src/internal.ts';
import { REFUSALS_FORGIVEN } from '../../src/transport/connection.ts';
import { until } from '../helpers/until.ts';

/**
 * A member of the realm that completes the handshake and then sends a node's
 * directory actor `Stop` (with no return address, as a peer's directory
 * actor would): the directory keeps running, the refusals are counted and
 * logged with ERR_CONTROL_REFUSED, and a peer that persists loses its
 * connection with that code.
 */

function node(realm: Realm, name: string): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  configureDirectory(n, { parent: null });
  onTestFinished(() => n.stop());
  return n;
}

/** Publishes `name` on `n` and resolves with the outcome's class name. */
function published(n: Node, name: string): Promise<string> {
  return new Promise((resolve) => {
    n.spawn(async (self: ActorContext) => {
      publish(self, name);
      const m = await self.select(Published, NotPublished);
      resolve(m.constructor.name);
      await self.select(Stop);
    });
  });
}

describe('control messages from a stranger', () => {
  it("cannot stop a node's directory actor; a peer that persists loses its connection", async () => {
    const realm = createRealm('control');
    const victim = node(realm, 'victim');
    expect(await published(victim, 'victim-one')).toBe('Published');
    const directory = NodeDirectory.peek(victim);
    const endpoint = directory?.report().endpoints[0];
    expect(endpoint).toBeDefined();

    const hostile = node(realm, 'hostile');
    let target: ActorAddress | undefined;
    let ended: Abandoned | undefined;
    const attacker = hostile.spawn(async (self: ActorContext) => {
      connect(self, endpoint as string);
      const c = await self.select(Connected, NotConnected);
      if (c instanceof NotConnected) throw new Error(`${c.code}: ${c.reason}`);
      target = self.returnAddress as ActorAddress; // the listener's owner: the directory actor
      hostile.send(new Stop(), target); // no return address, like a directory actor's
      await self.select(Stop); // told when to persist
      for (let i = 0; i < REFUSALS_FORGIVEN + 1; i++) hostile.send(new Stop(), target);
      ended = await self
        .select(Abandoned, { seconds: 10 })
        .then((m) => (m instanceof Abandoned ? m : undefined));
    });

    await until(() => (victim.counters.undelivered.ERR_CONTROL_REFUSED ?? 0) >= 1);
    const dirId = (target as ActorAddress).id;
    expect(victim.cell(dirId)).toBeDefined();
    // The directory still answers: a second publish is still served.
    expect(await published(victim, 'victim-two')).toBe('Published');

    hostile.send(new Stop(), attacker);
    await until(() => ended !== undefined);
    expect(ended?.code).toBe('ERR_CONTROL_REFUSED');
    expect(victim.counters.undelivered.ERR_CONTROL_REFUSED).toBeGreaterThan(REFUSALS_FORGIVEN);
    expect(victim.cell(dirId)).toBeDefined();
    expect(await published(victim, 'victim-three')).toBe('Published');
  });
});
