import { describe, expect, it } from 'vitest';
import {
  type ActorContext,
  defineMessage,
  Node,
  Stop,
  t,
  Undelivered,
} from '../../../src/index.ts';
import { ActorAddress, type Channel } from '../../../src/runtime/address.ts';
import { NOTICE_RESERVE } from '../../../src/runtime/cell.ts';
import { until } from '../../helpers/until.ts';

class Work extends defineMessage('test.notices.Work', { n: t.int }) {}
class Go extends defineMessage('test.notices.Go', {}) {}

/** The address of an actor behind a connection that has been lost. */
function deadPeer(id: number): ActorAddress {
  const channel = {
    label: 'dead',
    closed: true,
    closeCode: 'ERR_CONNECTION_LOST',
    post: () => false,
  } as unknown as Channel;
  return new ActorAddress(id, channel);
}

/** Runs a sender that floods `targets` in one turn, then reads every notice it got. */
async function flood(node: Node, targets: ActorAddress[], n: number, fillFirst = 0) {
  let lost = 0;
  const kinds = new Set<string>();
  let done = false;
  const sender = node.spawn(async (self: ActorContext) => {
    await self.select(Go);
    for (let i = 0; i < n; i++)
      self.send(new Work({ n: i }), targets[i % targets.length] as ActorAddress);
    for (;;) {
      const m = await self.select(Undelivered, Stop);
      if (m instanceof Stop) break;
      lost += m.count ?? 1;
      kinds.add(`${m.reason} ${m.code}`);
    }
    done = true;
  });
  // Its mailbox already holds other mail when the flood starts.
  for (let i = 0; i < fillFirst; i++) node.send(new Work({ n: -1 }), sender);
  node.send(new Go(), sender);
  await until(() => node.counters.undelivered.ERR_CONNECTION_LOST === n);
  node.send(new Stop(), sender);
  await until(() => done);
  return { lost, kinds };
}

describe('Undelivered notices survive the sender’s full mailbox', () => {
  it('a sender that floods a dead peer learns of every message, merged, not lost', async () => {
    const node = new Node({ name: 'flooder', mailboxCapacity: 64 });
    const n = 64 * 50;
    const { lost, kinds } = await flood(node, [deadPeer(5)], n);
    expect(lost).toBe(n);
    expect([...kinds]).toEqual(['closed ERR_CONNECTION_LOST']);
    expect(node.counters.noticesLost).toBe(0);
    expect(node.counters.mailboxFull).toBe(0);
    await node.stop();
  });

  it('notices find the reserve behind a mailbox full of other mail, and count what cannot fit', async () => {
    const node = new Node({ name: 'flooder', mailboxCapacity: 16 });
    // Alternating receivers: no notice is like the one before it, so none can merge.
    const targets = [deadPeer(5), deadPeer(6)];
    const n = NOTICE_RESERVE + 200;
    // The sender selects only Undelivered: the Work it passes over is saved, so fill less than
    // its saved capacity.
    const { lost } = await flood(node, targets, n, 15);
    expect(lost + node.counters.noticesLost).toBe(n);
    expect(node.counters.noticesLost).toBeGreaterThan(0);
    expect(lost).toBeGreaterThanOrEqual(NOTICE_RESERVE);
    await node.stop();
  });
});
