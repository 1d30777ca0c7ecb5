import { describe, expect, it } from 'vitest';
import { RECEIVERS_PER_SENDER, SentPairs } from '../../../src/transport/sent-pairs.ts';

describe('SentPairs (who may say a message was not delivered)', () => {
  it('vouches for exactly the pairs that sent', () => {
    const pairs = new SentPairs(() => true);
    pairs.note(1, 7);
    pairs.note(1, 7);
    pairs.note(2, 8);
    expect([pairs.has(1, 7), pairs.has(2, 8)]).toEqual([true, true]);
    expect([pairs.has(1, 8), pairs.has(2, 7), pairs.has(3, 7)]).toEqual([false, false, false]);
  });

  it('past its bound of receivers a sender is vouched for with any of the peer', () => {
    const pairs = new SentPairs(() => true);
    for (let to = 0; to < RECEIVERS_PER_SENDER; to++) pairs.note(1, to);
    expect(pairs.has(1, RECEIVERS_PER_SENDER + 5)).toBe(false);
    pairs.note(1, RECEIVERS_PER_SENDER);
    expect(pairs.has(1, RECEIVERS_PER_SENDER + 5)).toBe(true);
    expect(pairs.has(2, 0)).toBe(false);
  });

  it('forgets senders that no longer exist as their number grows', () => {
    const live = new Set<number>();
    const pairs = new SentPairs((id) => live.has(id));
    for (let from = 1; from <= 100_000; from++) {
      pairs.note(from, 1);
      if (from % 1000 === 0) live.add(from); // one sender in a thousand still runs
    }
    expect(pairs.senders).toBeLessThan(2100);
    expect(pairs.has(100_000, 1)).toBe(true);
    expect(pairs.has(5000, 1)).toBe(true);
  });
});
