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
  defineMessage,
  generateNodeKeys,
  Listening,
  listen,
  Node,
  NotConnected,
  NotPublished,
  Published,
  publish,
  type Realm,
  Stop,
  t,
  Undelivered,
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

class Hello extends defineMessage('test.controlRefused.Hello', { n: t.int }) {}

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

  it('a forged Undelivered is refused; only the actor a message went to can say it was not delivered', async () => {
    const realm = createRealm('control-undelivered');
    const victim = node(realm, 'victim');
    let endpoint = '';
    const seen: string[] = [];
    let peer: ActorAddress | undefined;
    victim.spawn(async (self: ActorContext) => {
      listen(self, '127.0.0.1:0');
      endpoint = (await self.select(Listening)).endpoint;
      for (;;) {
        const m = await self.select();
        if (m instanceof Hello) {
          peer = self.returnAddress as ActorAddress;
          self.reply(new Hello({ n: m.n + 1 }));
        } else if (m instanceof Undelivered) {
          seen.push(`${m.typeName}:${m.code}:${self.returnAddress?.equals(peer)}`);
        } else if (m instanceof Stop) return;
      }
    });
    await until(() => endpoint !== '');

    const hostile = node(realm, 'hostile');
    const bystander = hostile.spawn(async (self: ActorContext) => {
      await self.select(Stop);
    });
    let ended: Abandoned | undefined;
    let target: ActorAddress | undefined;
    const attacker = hostile.spawn(async (self: ActorContext) => {
      connect(self, endpoint);
      const c = await self.select(Connected, NotConnected);
      if (c instanceof NotConnected) throw new Error(`${c.code}: ${c.reason}`);
      self.send(new Hello({ n: 1 }), self.returnAddress as ActorAddress);
      await self.select(Hello); // the victim has now sent to this actor, and to no other
      target = self.returnAddress as ActorAddress;
      const lie = (code: string) =>
        new Undelivered({ typeName: Hello.typeName, reason: 'refused', code });
      hostile.send(lie('ERR_FORGED_NO_ADDRESS'), target); // no return address
      hostile.send(lie('ERR_FORGED_BYSTANDER'), target, bystander); // an actor it never sent to
      hostile.send(lie('ERR_TRUE'), target, self.address); // the actor it did send to
      await self.select(Stop); // told when to persist
      for (let i = 0; i < REFUSALS_FORGIVEN; i++) hostile.send(lie('ERR_AGAIN'), target, bystander);
      ended = await self
        .select(Abandoned, { seconds: 10 })
        .then((m) => (m instanceof Abandoned ? m : undefined));
    });

    // What comes after the forgeries on the same connection is the positive event to wait for.
    await until(() => seen.length >= 1);
    expect(seen).toEqual([`${Hello.typeName}:ERR_TRUE:true`]);
    expect(victim.counters.undelivered.ERR_CONTROL_REFUSED).toBe(2);

    hostile.send(new Stop(), attacker);
    await until(() => ended !== undefined);
    expect(ended?.code).toBe('ERR_CONTROL_REFUSED');
    expect(seen).toHaveLength(1);
    expect(victim.counters.undelivered.ERR_CONTROL_REFUSED).toBe(REFUSALS_FORGIVEN + 2);
    expect(target).toBeDefined();
  });
});
