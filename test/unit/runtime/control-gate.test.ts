import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../src/errors.ts';
import {
  type ActorContext,
  Connected,
  defineMessage,
  Node,
  Stop,
  t,
  Undelivered,
} from '../../../src/index.ts';
import { ActorAddress, type Channel } from '../../../src/runtime/address.ts';
import type { Receipt } from '../../../src/runtime/cell.ts';
import { until } from '../../helpers/until.ts';

class Note extends defineMessage('test.controlGate.Note', { n: t.int }) {}

/** A connection as the node sees it: it posts what the node answers and hears what the node refuses. */
function fakeConnection() {
  const posted: { to: number; from: number; message: unknown }[] = [];
  const refusals: ErrorCode[] = [];
  let taken = 0;
  const channel = {
    label: 'fake',
    closeCode: undefined,
    post(to: number, from: number, message: unknown) {
      posted.push({ to, from, message });
      return true;
    },
  } as unknown as Channel;
  const receipt: Receipt = {
    taken() {
      taken++;
    },
    refused(code) {
      refusals.push(code);
    },
  };
  return { channel, receipt, posted, refusals, taken: () => taken };
}

describe('runtime control messages from the network', () => {
  it('are refused for an actor without a session with the sender, and answered with Undelivered', async () => {
    const node = new Node({ name: 'victim' });
    const seen: string[] = [];
    const actor = node.spawn(async (self: ActorContext) => {
      for (;;) {
        const m = await self.select();
        seen.push(m.constructor.name);
        if (m instanceof Stop) return;
      }
    });
    const peer = fakeConnection();
    const remote = new ActorAddress(7, peer.channel);
    // With no return address (sender id 0) and with one: both refused.
    expect(node.deliver(actor.id, new Stop(), undefined, peer.receipt, 10)).toBe(false);
    expect(
      node.deliver(
        actor.id,
        new Connected({ endpoint: 'x', peerKey: 'k' }),
        remote,
        peer.receipt,
        10,
      ),
    ).toBe(false);
    expect(peer.refusals).toEqual(['ERR_CONTROL_REFUSED', 'ERR_CONTROL_REFUSED']);
    expect(peer.taken()).toBe(2);
    expect(node.counters.undelivered.ERR_CONTROL_REFUSED).toBe(2);
    // Only the sender with an address could be told.
    expect(peer.posted).toHaveLength(1);
    const answer = peer.posted[0]?.message as Undelivered;
    expect(answer).toBeInstanceOf(Undelivered);
    expect([answer.reason, answer.code, answer.typeName]).toEqual([
      'refused',
      'ERR_CONTROL_REFUSED',
      Connected.typeName,
    ]);
    // Application messages pass, and the actor is still there to take them.
    expect(node.deliver(actor.id, new Note({ n: 1 }), remote, peer.receipt, 10)).toBe(true);
    await until(() => seen.includes('Note'));
    expect(node.cell(actor.id)).toBeDefined();
    // The node's own Stop (not over a connection) still works.
    node.send(new Stop(), actor);
    await until(() => node.cell(actor.id) === undefined);
    await node.stop();
  });

  it('reach an actor a gate says is in session with the sender, until the gate is removed', async () => {
    const node = new Node({ name: 'victim' });
    const actor = node.spawn(async (self: ActorContext) => {
      await self.select(Stop);
    });
    const peer = fakeConnection();
    const partner = new ActorAddress(7, peer.channel);
    const stranger = new ActorAddress(8, peer.channel);
    const ungate = node.admitControl((to, from) => to.equals(actor) && from.equals(partner));
    expect(node.deliver(actor.id, new Stop(), stranger, peer.receipt, 1)).toBe(false);
    expect(node.deliver(actor.id, new Stop(), undefined, peer.receipt, 1)).toBe(false);
    ungate();
    expect(node.deliver(actor.id, new Stop(), partner, peer.receipt, 1)).toBe(false);
    node.admitControl((to, from) => to.equals(actor) && from.equals(partner));
    expect(node.deliver(actor.id, new Stop(), partner, peer.receipt, 1)).toBe(true);
    await until(() => node.cell(actor.id) === undefined);
    expect(peer.refusals).toHaveLength(3);
    await node.stop();
  });
});
