import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { Completed, Faulted, SelectTimer, Stop, Undelivered } from '../../../src/messages/index.ts';
import { manualClock } from '../../../src/runtime/clock.ts';
import type { ActorContext } from '../../../src/runtime/context.ts';
import { Logger, memorySink } from '../../../src/runtime/log.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Knock, Ping2, Pong2, Tick } from './fixtures.ts';

describe('select', () => {
  it('returns the first message of a wanted type and keeps the others, in order', async () => {
    const node = new Node();
    const { address, result } = node.start(async (self: ActorContext) => {
      const first = await self.select(Pong2);
      const rest: number[] = [];
      for (let i = 0; i < 3; i++) rest.push((await self.select(Ping2)).n);
      return { first: first.n, rest };
    });
    node.send(new Ping2({ n: 1 }), address);
    node.send(new Ping2({ n: 2 }), address);
    node.send(new Pong2({ n: 9 }), address);
    node.send(new Ping2({ n: 3 }), address);
    await expect(result).resolves.toEqual({ first: 9, rest: [1, 2, 3] });
  });

  it('with no types takes any message', async () => {
    const node = new Node();
    const { address, result } = node.start(async (self: ActorContext) => self.select());
    node.send(new Knock({ who: 'x' }), address);
    const m = await result;
    expect(m).toBeInstanceOf(Knock);
  });

  it('sets returnAddress and reply reaches the sender', async () => {
    const node = new Node();
    const echo = node.spawn(async (self: ActorContext) => {
      const m = await self.select(Ping2);
      self.reply(new Pong2({ n: m.n + 1 }));
    });
    const { result } = node.start(async (self: ActorContext) => {
      self.send(new Ping2({ n: 41 }), echo);
      const m = await self.select(Pong2);
      return { n: m.n, from: self.returnAddress?.equals(echo) };
    });
    await expect(result).resolves.toEqual({ n: 42, from: true });
  });

  it('times out with SelectTimer on the clock', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const { address, result } = node.start(async (self: ActorContext) => {
      const a = await self.select(Ping2, { seconds: 2 });
      const b = await self.select(Ping2, { seconds: 2 });
      return [a, b];
    });
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(1999);
    node.send(new Ping2({ n: 1 }), address);
    await new Promise((r) => setImmediate(r));
    clock.advance(2000);
    const [a, b] = (await result) as [Ping2, SelectTimer];
    expect(a).toBeInstanceOf(Ping2);
    expect(b).toBeInstanceOf(SelectTimer);
    expect(b.seconds).toBe(2);
    expect(clock.pending).toBe(0);
  });

  it('a message that arrives after a timeout is kept for the next select', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const { address, result } = node.start(async (self: ActorContext) => {
      const a = await self.select(Ping2, { seconds: 1 });
      const b = await self.select(Ping2);
      return [a.constructor.name, (b as Ping2).n];
    });
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    node.send(new Ping2({ n: 7 }), address);
    const [, n] = (await result) as [string, number];
    expect(n).toBe(7);
  });

  it('rejects with ERR_ABORTED when the signal aborts', async () => {
    const node = new Node();
    const controller = new AbortController();
    const { result } = node.start(async (self: ActorContext) => {
      try {
        await self.select(Ping2, { signal: controller.signal });
        return 'no';
      } catch (err) {
        return isCallsignError(err, 'ERR_ABORTED') ? 'aborted' : 'other';
      }
    });
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await expect(result).resolves.toBe('aborted');
  });
});

describe('actors', () => {
  it('a child that completes reaches its parent as Completed with its value', async () => {
    const node = new Node();
    const { result } = node.start(async (self: ActorContext) => {
      const child = self.create(async (_c: ActorContext, s: { x: number }) => s.x * 2, { x: 21 });
      const m = await self.select(Completed);
      return { value: m.value, fromChild: self.returnAddress?.equals(child) };
    });
    await expect(result).resolves.toEqual({ value: 42, fromChild: true });
  });

  it('an actor that throws is stopped and its parent gets Faulted', async () => {
    const node = new Node();
    const { result } = node.start(async (self: ActorContext) => {
      self.create(async () => {
        throw new Error('boom');
      });
      const m = await self.select(Faulted);
      return { code: m.code, message: m.message };
    });
    await expect(result).resolves.toEqual({ code: 'ERR_ACTOR_FAULTED', message: 'boom' });
    expect(node.size).toBe(0);
  });

  it('children of an ended actor are sent Stop', async () => {
    const node = new Node();
    let childStopped = false;
    const { result } = node.start(async (self: ActorContext) => {
      self.create(async (c: ActorContext) => {
        await c.select(Stop);
        childStopped = true;
      });
      return 'done';
    });
    await result;
    await new Promise((r) => setImmediate(r));
    expect(childStopped).toBe(true);
  });

  it('repeating timers fire until cancelled', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const { address, result } = node.start(async (self: ActorContext) => {
      self.start(Tick, 1, { repeating: true });
      let ticks = 0;
      for (;;) {
        const m = await self.select(Tick, Stop);
        if (m instanceof Stop) return ticks;
        ticks++;
        if (ticks === 3) self.cancel(Tick);
      }
    });
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
    node.send(new Stop(), address);
    await expect(result).resolves.toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('forward keeps the original sender as the return address', async () => {
    const node = new Node();
    const echo = node.spawn(async (self: ActorContext) => {
      const m = await self.select(Ping2);
      self.reply(new Pong2({ n: m.n }));
    });
    const relay = node.spawn(async (self: ActorContext) => {
      const m = await self.select(Ping2);
      self.forward(m, echo, self.returnAddress!);
    });
    const { result } = node.start(async (self: ActorContext) => {
      self.send(new Ping2({ n: 3 }), relay);
      const m = await self.select(Pong2);
      return { n: m.n, fromEcho: self.returnAddress?.equals(echo) };
    });
    await expect(result).resolves.toEqual({ n: 3, fromEcho: true });
  });

  it('a timer started again restarts', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const { result } = node.start(async (self: ActorContext) => {
      self.start(Tick, 1);
      self.start(Tick, 5);
      return clock.pending;
    });
    await expect(result).resolves.toBe(1);
  });
});

describe('mailbox overflow', () => {
  it('is counted, logged and reported to the sender, never silent', async () => {
    const sink = memorySink();
    const node = new Node({ mailboxCapacity: 4, logger: new Logger('WARNING', sink) });
    let wake: () => void = () => {};
    const busy = new Promise<void>((r) => {
      wake = r;
    });
    // Busy elsewhere, so nothing leaves its mailbox.
    const slow = node.spawn(async (self: ActorContext) => {
      await busy;
      await self.select(Stop);
    });
    const { result } = node.start(async (self: ActorContext) => {
      for (let i = 0; i < 10; i++) self.send(new Ping2({ n: i }), slow);
      let told = 0;
      let m: Undelivered | undefined;
      while (told < 6) {
        m = await self.select(Undelivered);
        told += m.count ?? 1;
      }
      return { typeName: m?.typeName, reason: m?.reason, told };
    });
    // 6 refused by the busy actor; the 6 reports overflow the sender's own 4-slot
    // mailbox, and the last 2 are merged into the newest one there, not lost.
    await expect(result).resolves.toEqual({
      typeName: 'test.runtime.Ping2',
      reason: 'mailbox-full',
      told: 6,
    });
    expect(node.counters.mailboxFull).toBe(6);
    expect(node.counters.noticesLost).toBe(0);
    wake();
    expect(sink.records.some((r) => r.level === 'WARNING' && r.text.includes('mailbox-full'))).toBe(
      true,
    );
  });

  it('the saved queue drops its oldest message when full, and says so', async () => {
    const sink = memorySink();
    const node = new Node({ savedCapacity: 2, logger: new Logger('WARNING', sink) });
    const { address, result } = node.start(async (self: ActorContext) => {
      await self.select(Stop);
      const kept: number[] = [];
      for (let i = 0; i < 2; i++) kept.push((await self.select(Ping2)).n);
      return kept;
    });
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) node.send(new Ping2({ n: i }), address);
    node.send(new Stop(), address);
    await expect(result).resolves.toEqual([3, 4]);
    expect(node.counters.savedOverflow).toBe(3);
  });
});
