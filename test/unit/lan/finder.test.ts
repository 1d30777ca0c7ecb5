import { EventEmitter } from 'node:events';
import type { Bonjour } from 'bonjour-service';
import { describe, expect, it, vi } from 'vitest';
import { lanDirectoryFinder } from '../../../scopes/lan/finder.ts';

const REALM = 'un2znz7litbr76us4rdxdpb524';

/** A stand-in for bonjour-service: one browser whose services the test sets. No sockets. */
function fakeBonjour() {
  const browser = Object.assign(new EventEmitter(), {
    services: [] as unknown[],
    updates: 0,
    stopped: false,
    update() {
      browser.updates++;
    },
    stop() {
      browser.stopped = true;
    },
  });
  const bonjour = {
    find: () => browser,
    destroy: (cb?: () => void) => cb?.(),
  } as unknown as Bonjour;
  const add = (id: string, address: string, realm = REALM) => {
    const service = {
      name: `callsign-lan-${id}`,
      fqdn: `callsign-lan-${id}._callsign-lan._tcp.local`,
      port: 7000,
      txt: { realm, id, v: '1' },
      addresses: [address],
      referer: { address, family: 'IPv4', port: 5353, size: 0 },
    };
    browser.services.push(service);
    browser.emit('up', service);
  };
  return { bonjour, browser, add };
}

describe('the LAN directory finder', () => {
  it('waits for a directory of its realm to appear, and answers its endpoint', async () => {
    const { bonjour, add } = fakeBonjour();
    const finder = lanDirectoryFinder({ fingerprint: REALM, bonjour, waitMs: 5_000 });
    const found = finder.find();
    add('0', '10.0.0.9', 'another-realm');
    add('lan-b', '10.0.0.2');
    expect(await found).toBe('10.0.0.2:7000');
    await finder.close();
  });

  it('answers undefined after waitMs, or when the signal aborts, when none is known', async () => {
    const { bonjour } = fakeBonjour();
    const finder = lanDirectoryFinder({ fingerprint: REALM, bonjour, waitMs: 50 });
    expect(await finder.find()).toBeUndefined();
    const aborted = new AbortController();
    const pending = finder.find(aborted.signal);
    aborted.abort();
    expect(await pending).toBeUndefined();
    await finder.close();
  });

  it('moves to the next directory after failed(), and back once the time is up', async () => {
    const { bonjour, add } = fakeBonjour();
    let now = 1_000_000;
    const finder = lanDirectoryFinder({
      fingerprint: REALM,
      bonjour,
      waitMs: 10,
      setAsideMs: 100,
      now: () => now,
    });
    add('lan-a', '10.0.0.1');
    add('lan-b', '10.0.0.2');
    expect(await finder.find()).toBe('10.0.0.1:7000');
    finder.failed('10.0.0.1:7000');
    expect(await finder.find()).toBe('10.0.0.2:7000');
    expect(finder.candidates().map((c) => [c.id, c.setAside, c.chosen])).toEqual([
      ['lan-a', true, false],
      ['lan-b', false, true],
    ]);
    finder.failed('10.0.0.2:7000');
    expect(await finder.find()).toBeUndefined();
    now += 120;
    expect(await finder.find()).toBe('10.0.0.1:7000');
    await finder.close();
  });

  it('queries the LAN again every refreshMs, and stops on close (a pending find answers undefined)', async () => {
    vi.useFakeTimers();
    try {
      const { bonjour, browser } = fakeBonjour();
      const finder = lanDirectoryFinder({
        fingerprint: REALM,
        bonjour,
        refreshMs: 20,
        waitMs: 5_000,
      });
      const pending = finder.find();
      const before = browser.updates;
      await vi.advanceTimersByTimeAsync(60);
      expect(browser.updates - before).toBe(3);
      await finder.close();
      expect(await pending).toBeUndefined();
      expect(browser.stopped).toBe(true);
      const after = browser.updates;
      await vi.advanceTimersByTimeAsync(200);
      expect(browser.updates).toBe(after);
      expect(await finder.find()).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the LAN directory finder and announcements that fail the realm handshake', () => {
  it('passes over one whose handshake failed for a long while, longer each time, and not one that only did not answer', async () => {
    const { bonjour, add } = fakeBonjour();
    let now = 1_000_000;
    const finder = lanDirectoryFinder({
      fingerprint: REALM,
      bonjour,
      now: () => now,
      setAsideMs: 3_000,
      distrustMs: 60_000,
      distrustMaxMs: 100_000,
    });
    // Announces the realm's (public) fingerprint, with the lowest id, but has no secret.
    add('0-impostor', '10.0.0.1');
    add('lan-b', '10.0.0.2');
    const impostor = '10.0.0.1:7000';
    expect(await finder.find()).toBe(impostor);
    finder.failed(impostor, 'ERR_WRONG_REALM');
    expect(await finder.find()).toBe('10.0.0.2:7000');
    now += 3_001;
    expect(await finder.find()).toBe('10.0.0.2:7000');
    now += 57_000;
    expect(await finder.find()).toBe(impostor);
    // Fails again: twice as long this time (and never more than the most).
    finder.failed(impostor, 'ERR_HANDSHAKE_FAILED');
    now += 99_999;
    expect(await finder.find()).toBe('10.0.0.2:7000');
    now += 1;
    expect(await finder.find()).toBe(impostor);
    // A plain failure to connect only sets it aside for a moment.
    finder.failed(impostor, 'ERR_CONNECT_FAILED');
    now += 3_000;
    expect(await finder.find()).toBe(impostor);
    // One that completed a handshake is trusted again: the next failure counts from the start.
    finder.succeeded(impostor);
    finder.failed(impostor, 'ERR_WRONG_REALM');
    now += 60_000;
    expect(await finder.find()).toBe(impostor);
    await finder.close();
  });
});
