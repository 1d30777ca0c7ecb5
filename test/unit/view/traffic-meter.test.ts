import { describe, expect, it } from 'vitest';
import { MAX_METERED_PAIRS, TrafficMeter } from '../../../src/transport/traffic-meter.ts';

describe('the traffic meter of a connection', () => {
  it('counts messages and bytes each way, per pair of actors', () => {
    const m = new TrafficMeter(5);
    m.sent(1, 40, 100);
    m.sent(1, 40, 20);
    m.received(1, 40, 7);
    m.sent(2, 40, 1);
    expect(m.since).toBe(5);
    expect(m.between(1, 40)).toEqual({ messagesOut: 2, bytesOut: 120, messagesIn: 1, bytesIn: 7 });
    expect(m.between(2, 40)).toEqual({ messagesOut: 1, bytesOut: 1, messagesIn: 0, bytesIn: 0 });
    expect(m.between(3, 40)).toEqual({ messagesOut: 0, bytesOut: 0, messagesIn: 0, bytesIn: 0 });
  });

  it('counts a bounded number of pairs, and how much went between the others', () => {
    const m = new TrafficMeter(0);
    for (let i = 0; i < MAX_METERED_PAIRS + 10; i++) m.sent(i, 1, 1);
    expect(m.untracked).toBe(10);
    expect(m.between(0, 1).messagesOut).toBe(1);
    expect(m.between(MAX_METERED_PAIRS + 5, 1).messagesOut).toBe(0);
    // A pair already counted goes on being counted.
    m.received(0, 1, 3);
    expect(m.between(0, 1).bytesIn).toBe(3);
  });
});
