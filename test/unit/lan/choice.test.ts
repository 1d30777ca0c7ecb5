import { describe, expect, it } from 'vitest';
import { newLanDirectoryId } from '../../../scopes/lan/announce.ts';
import {
  candidateEndpoint,
  chooseLanDirectory,
  type LanCandidate,
  type LanChoiceContext,
} from '../../../scopes/lan/choice.ts';

const REALM = 'un2znz7litbr76us4rdxdpb524';
const OTHER = 'zadihikcpm2j27hsf7gu5zkx2u';
const NOW = 1_000_000;

function candidate(id: string, address: string, over: Partial<LanCandidate> = {}): LanCandidate {
  return { id, realm: REALM, version: '1', address, port: 7000, lastSeen: NOW, ...over };
}

function ctx(over: Partial<LanChoiceContext> = {}): LanChoiceContext {
  return { fingerprint: REALM, setAside: new Map(), now: NOW, staleAfterMs: 5_000, ...over };
}

const endpointOf = (c: LanCandidate | undefined) => c && candidateEndpoint(c);

describe('the choice of a LAN directory', () => {
  it('is undefined when there is no candidate', () => {
    expect(chooseLanDirectory([], ctx())).toBeUndefined();
  });

  it('is the lowest id, whatever the order they were seen in', () => {
    const a = candidate('lan-a', '10.0.0.2');
    const b = candidate('lan-b', '10.0.0.1');
    const c = candidate('lan-c', '10.0.0.3');
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, c, a],
    ]) {
      expect(endpointOf(chooseLanDirectory(order, ctx()))).toBe('10.0.0.2:7000');
    }
  });

  it('orders ids by code unit, not by locale', () => {
    const upper = candidate('lan-10', '10.0.0.1');
    const lower = candidate('lan-9', '10.0.0.2');
    expect(chooseLanDirectory([lower, upper], ctx())?.id).toBe('lan-10');
  });

  it('breaks a tie of ids by endpoint', () => {
    const x = candidate('same', '10.0.0.9');
    const y = candidate('same', '10.0.0.10');
    expect(endpointOf(chooseLanDirectory([x, y], ctx()))).toBe('10.0.0.10:7000');
    expect(endpointOf(chooseLanDirectory([y, x], ctx()))).toBe('10.0.0.10:7000');
  });

  it('ignores directories of other realms, other versions, and without an IPv4 endpoint', () => {
    const others = [
      candidate('0-other-realm', '10.0.0.1', { realm: OTHER }),
      candidate('0-version-2', '10.0.0.2', { version: '2' }),
      candidate('0-ipv6', 'fe80::1'),
      candidate('0-no-address', '10.0.0.3', { address: undefined }),
      candidate('0-no-port', '10.0.0.4', { port: 0 }),
      candidate('0-BAD-ID', '10.0.0.5'),
    ];
    expect(chooseLanDirectory(others, ctx())).toBeUndefined();
    const mine = candidate('lan-z', '10.0.0.7');
    expect(endpointOf(chooseLanDirectory([...others, mine], ctx()))).toBe('10.0.0.7:7000');
  });

  it('sets a failed directory aside until its time is up, then takes it back', () => {
    const a = candidate('lan-a', '10.0.0.1');
    const b = candidate('lan-b', '10.0.0.2');
    const setAside = new Map([['10.0.0.1:7000', NOW + 3_000]]);
    expect(chooseLanDirectory([a, b], ctx({ setAside }))?.id).toBe('lan-b');
    expect(chooseLanDirectory([a, b], ctx({ setAside, now: NOW + 2_999 }))?.id).toBe('lan-b');
    expect(chooseLanDirectory([a, b], ctx({ setAside, now: NOW + 3_000 }))?.id).toBe('lan-a');
  });

  it('is undefined while every directory of the realm is set aside', () => {
    const a = candidate('lan-a', '10.0.0.1');
    const setAside = new Map([['10.0.0.1:7000', NOW + 1]]);
    expect(chooseLanDirectory([a], ctx({ setAside }))).toBeUndefined();
    expect(chooseLanDirectory([a], ctx({ setAside, now: NOW + 1 }))?.id).toBe('lan-a');
  });

  it('prefers directories that still answer to a lower id that went quiet, and uses the quiet one if it is all there is', () => {
    const quiet = candidate('lan-a', '10.0.0.1', { lastSeen: NOW - 5_001 });
    const answering = candidate('lan-b', '10.0.0.2', { lastSeen: NOW - 100 });
    expect(chooseLanDirectory([quiet, answering], ctx())?.id).toBe('lan-b');
    expect(chooseLanDirectory([answering, quiet], ctx())?.id).toBe('lan-b');
    expect(chooseLanDirectory([quiet], ctx())?.id).toBe('lan-a');
    // Unknown freshness (Infinity) counts as fresh.
    const unknown = candidate('lan-0', '10.0.0.3', { lastSeen: Number.POSITIVE_INFINITY });
    expect(chooseLanDirectory([answering, unknown], ctx())?.id).toBe('lan-0');
  });

  it('gives every host the same answer for the same directories', () => {
    const seen = [
      candidate('lan-c', '10.0.0.3'),
      candidate('lan-a', '10.0.0.1'),
      candidate('lan-b', '10.0.0.2'),
      candidate('0', '10.0.0.9', { realm: OTHER }),
    ];
    const answers = new Set(
      [0, 1, 2, 3].map((shift) =>
        endpointOf(chooseLanDirectory([...seen.slice(shift), ...seen.slice(0, shift)], ctx())),
      ),
    );
    expect([...answers]).toEqual(['10.0.0.1:7000']);
  });
});

describe('a LAN directory id', () => {
  it('sorts by start time, and two made at once differ', () => {
    const early = newLanDirectoryId(1_700_000_000_000);
    const late = newLanDirectoryId(1_700_000_000_001);
    expect(early < late).toBe(true);
    expect(newLanDirectoryId(5)).toMatch(/^0{8}5-[0-9a-f]{6}$/);
    expect(newLanDirectoryId(5)).not.toBe(newLanDirectoryId(5));
  });
});
