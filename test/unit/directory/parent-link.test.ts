import { describe, expect, it, onTestFinished } from 'vitest';
import { isRefusal, ParentLink } from '../../../src/directory/parent-link.ts';
import { NotConnected } from '../../../src/messages/standard.ts';
import { manualClock } from '../../../src/runtime/clock.ts';
import type { ActorContext } from '../../../src/runtime/context.ts';
import { Node } from '../../../src/runtime/node.ts';
import { RetrySchedule } from '../../../src/runtime/repeating-task.ts';
import { configureTransport } from '../../../src/transport/transport.ts';
import { generateNodeKeys } from '../../../src/wire/keys.ts';
import { createRealm } from '../../../src/wire/realm.ts';

describe('RetrySchedule', () => {
  it('waits jittered, growing delays on its clock, and starts again after a success', () => {
    const clock = manualClock();
    const random = [1, 0, 0.5];
    let i = 0;
    const retries = new RetrySchedule({
      clock,
      initialMs: 100,
      maxMs: 400,
      random: () => random[i++ % 3] ?? 0,
    });
    const fired: number[] = [];
    const attempt = () => fired.push(clock.now());
    expect(retries.failed(attempt)).toBe(50); // 100 × (1 − 0.5 × 1)
    clock.advance(49);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([50]);
    expect(retries.failed(attempt)).toBe(200); // 200 × (1 − 0)
    expect(retries.failed(attempt)).toBe(300); // 400 × 0.75, and it replaced the one before
    clock.advance(1000);
    expect(fired).toEqual([50, 350]);
    retries.succeeded();
    expect(retries.failed(attempt)).toBe(50);
    retries.stop();
    clock.advance(1000);
    expect(fired).toEqual([50, 350]);
    expect(clock.pending).toBe(0);
  });
});

describe('ParentLink', () => {
  it('retries a directory that is not there on the node clock, with backoff, and settles at the first failure', async () => {
    const clock = manualClock();
    const node = new Node({ clock });
    const attempts: string[] = [];
    const { result } = node.start(async (self: ActorContext) => {
      const link = new ParentLink(self, {
        endpoint: 'unix:/nonexistent/callsign-test/host.sock',
        backoff: { random: () => 0 },
        failed: (endpoint, code) => attempts.push(`${endpoint} ${code}`),
      });
      const first = link.start();
      const events = [first?.kind, link.settled];
      // Each retry is a message the clock sends to the owner.
      for (const ms of [100, 200, 400]) {
        clock.advance(ms - 1);
        expect(node.cell(self.address.id)?.mailbox.length ?? 0).toBe(0);
        clock.advance(1);
        const m = await self.select();
        events.push(link.handle(m, self.returnAddress)?.kind);
      }
      link.stop();
      return events;
    });
    expect(await result).toEqual(['failed', true, 'failed', 'failed', 'failed']);
    // Nobody listens there: not a refusal, and no connection was tried.
    expect(attempts).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('tells a refusal from an absence, and passes failures to `failed`', async () => {
    const node = new Node({ clock: manualClock() });
    configureTransport(node, { realm: createRealm('unit'), keys: generateNodeKeys() });
    onTestFinished(() => node.stop());
    const told: string[] = [];
    const { result } = node.start(async (self: ActorContext) => {
      const link = new ParentLink(self, {
        find: async () => undefined,
        failed: (endpoint, code) => told.push(`${endpoint} ${code}`),
      });
      link.moveTo('127.0.0.1:9');
      const refused = link.handle(
        new NotConnected({
          endpoint: '127.0.0.1:9',
          code: 'ERR_WRONG_REALM',
          reason: 'other realm',
        }),
        undefined,
      );
      const other = link.handle(
        new NotConnected({ endpoint: '127.0.0.1:19', code: 'ERR_CONNECT_FAILED', reason: 'x' }),
        undefined,
      );
      const refusal = link.refusal;
      link.stop();
      return { refused, other, refusal };
    });
    const { refused, other, refusal } = await result;
    expect(refused).toMatchObject({ kind: 'failed', refused: true, code: 'ERR_WRONG_REALM' });
    expect(other).toBeUndefined();
    expect(refusal).toEqual({
      endpoint: '127.0.0.1:9',
      code: 'ERR_WRONG_REALM',
      reason: 'other realm',
    });
    expect(told).toEqual(['127.0.0.1:9 ERR_WRONG_REALM']);
    expect(isRefusal('ERR_PROTOCOL_VERSION')).toBe(true);
    expect(isRefusal('ERR_CONNECT_FAILED')).toBe(false);
  });
});
