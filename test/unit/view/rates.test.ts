import { describe, expect, it } from 'vitest';
import { RateBook, RateWindow, WINDOW_SECONDS } from '../../../orchestrator/view/rates.ts';
import type { NetworkSnapshot, SessionDescription } from '../../../orchestrator/view/snapshot.ts';

function session(
  id: string,
  listingId: string,
  counts: { messages: number; bytes: number; meteredMs: number; at?: 'publisher' | 'subscriber' },
): SessionDescription {
  return {
    id,
    name: id,
    listingId,
    search: id,
    level: 'host',
    open: true,
    subscriber: { where: 's', node: 'S' },
    publisher: { where: 'p', node: 'P' },
    crossesConnection: true,
    countedAt: counts.at ?? 'publisher',
    toSubscriber: { messages: counts.messages, bytes: counts.bytes },
    toPublisher: { messages: 0, bytes: 0 },
    meteredMs: counts.meteredMs,
    rate: null,
  };
}

function snapshot(sessions: SessionDescription[]): NetworkSnapshot {
  const ids = [...new Set(sessions.map((s) => s.listingId))];
  return {
    home: null,
    at: '',
    directories: [],
    nodes: [],
    sessions,
    listings: ids.map((id) => ({
      id,
      name: id,
      scope: 'host',
      multi: false,
      where: 'p',
      heldBy: [],
      sessions: 0,
      traffic: { messages: 0, bytes: 0 },
      rate: null,
    })),
    unreachable: [],
  };
}

describe('rates over the last minute', () => {
  it('come from the steps between counts, timed by the counting node', () => {
    const book = new RateBook();
    const first = snapshot([session('a', 'L', { messages: 100, bytes: 1000, meteredMs: 10_000 })]);
    expect(book.update(first, 1_000_000)).toEqual({});
    expect(first.sessions[0]?.rate).toBeNull();
    // The report took long to come (3 s of wall time) but the node counted over 2 s.
    const second = snapshot([session('a', 'L', { messages: 120, bytes: 1400, meteredMs: 12_000 })]);
    const series = book.update(second, 1_003_000);
    expect(second.sessions[0]?.rate).toEqual({
      messagesPerSecond: 10,
      bytesPerSecond: 200,
      seconds: 2,
    });
    expect(second.listings[0]?.rate).toEqual({
      messagesPerSecond: 10,
      bytesPerSecond: 200,
      seconds: 2,
    });
    expect(series['session:a']).toEqual({ t: [1003], messages: [10], bytes: [200] });
    // The same reading again (reported twice): no step.
    const again = snapshot([session('a', 'L', { messages: 120, bytes: 1400, meteredMs: 12_000 })]);
    book.update(again, 1_003_500);
    expect(again.sessions[0]?.rate?.seconds).toBe(2);
  });

  it('add up the sessions of a listing', () => {
    const book = new RateBook();
    book.update(
      snapshot([
        session('a', 'L', { messages: 0, bytes: 0, meteredMs: 0 }),
        session('b', 'L', { messages: 0, bytes: 0, meteredMs: 0 }),
      ]),
      0,
    );
    const s = snapshot([
      session('a', 'L', { messages: 5, bytes: 50, meteredMs: 1000 }),
      session('b', 'L', { messages: 3, bytes: 30, meteredMs: 1000 }),
    ]);
    book.update(s, 1000);
    expect(s.listings[0]?.rate?.messagesPerSecond).toBe(8);
    expect(s.listings[0]?.rate?.bytesPerSecond).toBe(80);
  });

  it('start afresh when metering began again or the other end counts', () => {
    const book = new RateBook();
    book.update(
      snapshot([session('a', 'L', { messages: 500, bytes: 5000, meteredMs: 50_000 })]),
      0,
    );
    const restarted = snapshot([session('a', 'L', { messages: 4, bytes: 40, meteredMs: 400 })]);
    book.update(restarted, 1000);
    expect(restarted.sessions[0]?.rate).toBeNull();
    const other = snapshot([
      session('a', 'L', { messages: 9, bytes: 90, meteredMs: 900, at: 'subscriber' }),
    ]);
    book.update(other, 2000);
    expect(other.sessions[0]?.rate).toBeNull();
    const next = snapshot([
      session('a', 'L', { messages: 19, bytes: 190, meteredMs: 1900, at: 'subscriber' }),
    ]);
    book.update(next, 3000);
    expect(next.sessions[0]?.rate?.messagesPerSecond).toBe(10);
  });

  it('forget what is older than the window, and sessions that ended', () => {
    const w = new RateWindow();
    w.add(1000, 1000, 10, 100);
    w.add(2000, 1000, 30, 300);
    expect(w.rate()).toEqual({ messagesPerSecond: 20, bytesPerSecond: 200, seconds: 2 });
    w.prune(2000 + WINDOW_SECONDS * 1000);
    expect(w.rate()).toBeNull();
    w.add(5000, 0, 10, 10); // no time: not a step
    expect(w.rate()).toBeNull();

    const book = new RateBook();
    book.update(snapshot([session('a', 'L', { messages: 0, bytes: 0, meteredMs: 0 })]), 0);
    book.update(snapshot([session('a', 'L', { messages: 1, bytes: 1, meteredMs: 1000 })]), 1000);
    expect(book.update(snapshot([]), 2000)).toEqual({});
    const back = snapshot([session('a', 'L', { messages: 2, bytes: 2, meteredMs: 2000 })]);
    book.update(back, 3000);
    expect(back.sessions[0]?.rate).toBeNull();
  });
});
