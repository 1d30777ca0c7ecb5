import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { Aborted, Completed, Faulted, Start, Stop } from '../../../src/messages/index.ts';
import { manualClock } from '../../../src/runtime/clock.ts';
import type { ActorContext } from '../../../src/runtime/context.ts';
import { Logger, memorySink } from '../../../src/runtime/log.ts';
import { defineMachine } from '../../../src/runtime/machine.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Close, Knock, Open, Ping2, Pong2, Tick } from './fixtures.ts';

const door = defineMachine<
  'CLOSED' | 'OPEN',
  { owner: string },
  { knocks: string[]; started: boolean }
>({
  name: 'door',
  states: ['CLOSED', 'OPEN'],
  initial: 'CLOSED',
  data: () => ({ knocks: [], started: false }),
})
  .on('CLOSED', Start, (self) => {
    self.data.started = true;
  })
  .on('CLOSED', Open, () => 'OPEN')
  .save('CLOSED', Knock)
  .on('OPEN', Knock, (self, m) => {
    self.data.knocks.push(`${m.who}@${self.settings.owner}`);
  })
  .on('OPEN', Close, () => 'CLOSED')
  .on('*', Ping2, (self, m) => self.reply(new Pong2({ n: m.n })))
  .on('*', Stop, (self) => self.complete({ state: self.state, ...self.data }));

describe('machine actors', () => {
  it('handles per state, saves per state and replays saved messages after a change of state', async () => {
    const node = new Node();
    const { address, result } = node.start(door, { owner: 'ann' });
    node.send(new Knock({ who: 'a' }), address);
    node.send(new Knock({ who: 'b' }), address);
    node.send(new Open(), address);
    node.send(new Knock({ who: 'c' }), address);
    node.send(new Close(), address);
    node.send(new Stop(), address);
    await expect(result).resolves.toEqual({
      state: 'CLOSED',
      knocks: ['a@ann', 'b@ann', 'c@ann'],
      started: true,
    });
  });

  it("answers through the '*' state with reply to the sender", async () => {
    const node = new Node();
    const { result } = node.start(async (self: ActorContext) => {
      const machine = self.create(door, { owner: 'x' });
      self.send(new Ping2({ n: 5 }), machine);
      const m = await self.select(Pong2);
      self.send(new Stop(), machine);
      const end = await self.select(Completed);
      return [m.n, self.returnAddress?.equals(machine), (end.value as { state: string }).state];
    });
    await expect(result).resolves.toEqual([5, true, 'CLOSED']);
  });

  it('drops a message with no handler in its state, with a warning', async () => {
    const sink = memorySink();
    const node = new Node({ logger: new Logger('WARNING', sink) });
    const { address, result } = node.start(door, { owner: 'x' });
    node.send(new Close(), address); // CLOSED has no Close handler and does not save it
    node.send(new Stop(), address);
    await result;
    expect(node.counters.dropped).toBe(1);
    expect(
      sink.records.some((r) => r.text.includes('test.runtime.Close') && r.text.includes('dropped')),
    ).toBe(true);
  });

  it('ends with Aborted on a Stop it has no handler for', async () => {
    const node = new Node();
    const plain = defineMachine({ name: 'plain', states: ['READY'], initial: 'READY' });
    const { address, result } = node.start(plain);
    node.send(new Stop(), address);
    await expect(result).resolves.toBeInstanceOf(Aborted);
  });

  it('a handler that throws faults the machine and its parent hears of it', async () => {
    const node = new Node();
    const fragile = defineMachine({ name: 'fragile', states: ['READY'], initial: 'READY' }).on(
      'READY',
      Knock,
      () => {
        throw new Error('no visitors');
      },
    );
    const { result } = node.start(async (self: ActorContext) => {
      const m = self.create(fragile);
      self.send(new Knock({ who: 'z' }), m);
      const f = await self.select(Faulted);
      return f.message;
    });
    await expect(result).resolves.toBe('no visitors');
  });

  it('a transition to an unknown state is a fault with ERR_INVALID_STATE', async () => {
    const node = new Node();
    const bad = defineMachine({ name: 'bad', states: ['A'], initial: 'A' }).on(
      'A',
      Knock,
      () => 'B' as 'A',
    );
    const { address, result } = node.start(bad);
    node.send(new Knock({ who: 'q' }), address);
    await expect(result).rejects.toSatisfy((e: unknown) => isCallsignError(e, 'ERR_INVALID_STATE'));
  });

  it('runs timers like a function actor', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const timed = defineMachine({
      name: 'timed',
      states: ['WAITING'],
      initial: 'WAITING',
      data: () => ({ ticks: 0 }),
    })
      .on('WAITING', Start, (self) => self.start(Tick, 2, { repeating: true }))
      .on('WAITING', Tick, (self) => {
        self.data.ticks++;
        if (self.data.ticks === 2) self.complete(self.data.ticks);
      });
    const { result } = node.start(timed);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(2000);
    }
    await expect(result).resolves.toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('refuses handlers for states it does not have', () => {
    expect(() =>
      defineMachine({ name: 'm', states: ['A'], initial: 'A' }).on('B' as 'A', Knock, () => {}),
    ).toThrow(/no state B/);
  });
});
