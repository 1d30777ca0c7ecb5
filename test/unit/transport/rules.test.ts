import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { ReceiveFlow, SendFlow } from '../../../src/transport/flow.ts';
import { HandshakeGuard } from '../../../src/transport/handshake-guard.ts';
import { KeepAlive } from '../../../src/transport/keepalive.ts';
import { SendQueues } from '../../../src/transport/overflow.ts';

const WINDOWS = { actorMessages: 4, actorBytes: 1000, connectionBytes: 3000 };

function code(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return isCallsignError(err) ? err.code : String(err);
  }
  return undefined;
}

/** What {@link ReceiveFlow.takeCredit} hands on, as a list. */
function creditOf(receive: ReceiveFlow) {
  const out: { to: number; messages: number; bytes: number }[] = [];
  receive.takeCredit((to, messages, bytes) => out.push({ to, messages, bytes }));
  return out;
}

describe('send and receive windows', () => {
  it('a sender may have what the peer granted in flight, per actor and per connection', () => {
    const send = new SendFlow();
    expect(send.fits(1, 10)).toBe(false); // before OPEN
    send.open(WINDOWS);
    for (let i = 0; i < 4; i++) {
      expect(send.fits(1, 100)).toBe(true);
      send.sent(1, 100, 9, 'T');
    }
    expect(send.fits(1, 100)).toBe(false); // four messages to actor 1
    expect(send.fits(2, 900)).toBe(true); // another actor has its own window
    send.sent(2, 900, 9, 'T');
    expect(send.fits(3, 2000)).toBe(false); // the connection's window
    send.credit(1, 2, 200);
    expect(send.fits(1, 100)).toBe(true);
    expect(send.takeInFlight().map((f) => f.to)).toEqual([1, 1, 2]);
  });

  it('a message larger than a window may go when nothing else is in flight to that actor', () => {
    const send = new SendFlow();
    send.open(WINDOWS);
    expect(send.fits(1, 5000)).toBe(true);
    send.sent(1, 5000, 9, 'Big');
    expect(send.fits(1, 1)).toBe(false);
    expect(send.fits(2, 1)).toBe(false); // the connection is over its window until credit comes
  });

  it('credit beyond what was in flight is a violation (ERR_FLOW_CONTROL)', () => {
    const send = new SendFlow();
    send.open(WINDOWS);
    send.sent(1, 100, 9, 'T');
    expect(code(() => send.credit(1, 2, 100))).toBe('ERR_FLOW_CONTROL');
    expect(code(() => send.credit(7, 1, 1))).toBe('ERR_FLOW_CONTROL');
  });

  it('a receiver refuses what is beyond its grant, and gives credit back as actors take', () => {
    const receive = new ReceiveFlow(WINDOWS);
    for (let i = 0; i < 4; i++) receive.arrived(1, 100);
    expect(code(() => receive.arrived(1, 100))).toBe('ERR_FLOW_CONTROL');
    expect(receive.hasCredit).toBe(false);
    receive.taken(1, 100); // a quarter of the message window
    expect(receive.hasCredit).toBe(true);
    expect(creditOf(receive)).toEqual([{ to: 1, messages: 1, bytes: 100 }]);
    receive.arrived(1, 100);
    for (let i = 0; i < 3; i++) receive.taken(1, 100);
    receive.taken(1, 100);
    expect(creditOf(receive)).toEqual([{ to: 1, messages: 4, bytes: 400 }]);
    expect(creditOf(receive)).toEqual([]);
  });
});

describe('overflow policies', () => {
  const item = (from: number, n: number) => ({
    from,
    to: 1,
    typeName: `T${n}`,
    body: new Uint8Array(10),
  });

  it('block keeps everything in order; refuse refuses past the limit; drop-oldest drops the oldest', () => {
    const q = new SendQueues();
    for (let i = 0; i < 5; i++)
      expect(q.add(item(1, i), { policy: 'block', limit: 2 }).kind).toBe('queued');
    expect(q.add(item(2, 0), { policy: 'refuse', limit: 1 }).kind).toBe('queued');
    expect(q.add(item(2, 1), { policy: 'refuse', limit: 1 })).toEqual({
      kind: 'refused',
      code: 'ERR_OVERFLOW_REFUSED',
    });
    q.add(item(3, 0), { policy: 'drop-oldest', limit: 1 });
    const dropped = q.add(item(3, 1), { policy: 'drop-oldest', limit: 1 });
    expect(dropped.kind === 'dropped' && dropped.oldest.typeName).toBe('T0');
    expect(q.size).toBe(7);
    // Released in turn across senders, oldest first per sender.
    const out = [...q.release(1, () => true)].map((w) => `${w.from}:${w.typeName}`);
    expect(out).toEqual(['1:T0', '2:T0', '3:T1', '1:T1', '1:T2', '1:T3', '1:T4']);
    expect(q.size).toBe(0);
  });

  it('release stops at the first message that does not fit', () => {
    const q = new SendQueues();
    for (let i = 0; i < 3; i++) q.add(item(1, i), { policy: 'block', limit: 10 });
    let room = 2;
    const out = [...q.release(1, () => room-- > 0)];
    expect(out).toHaveLength(2);
    expect(q.waiting(1, 1)).toBe(1);
  });
});

describe('keep-alive', () => {
  it('pings after silence, once per period, and gives up after the deadline', () => {
    const k = new KeepAlive({ keepaliveMs: 1000, deadAfterMs: 2500 }, 0);
    expect(k.tick(500)).toBe('none');
    expect(k.tick(1000)).toBe('ping');
    expect(k.tick(1250)).toBe('none');
    expect(k.tick(2000)).toBe('ping');
    expect(k.tick(2500)).toBe('dead');
    k.heard(2500);
    expect(k.tick(2750)).toBe('none');
  });

  it('does not count time this process was frozen against the peer', () => {
    const k = new KeepAlive({ keepaliveMs: 1000, deadAfterMs: 2500 }, 0);
    // Due at 250, run at 10 000: we were not running in between.
    expect(k.tick(10_000, 250)).toBe('none');
    expect(k.tick(12_600, 12_600)).toBe('dead');
  });
});

describe('the handshake guard', () => {
  const frame = (length: number, fin = true) => {
    if (length < 126) return Uint8Array.of(fin ? 0x82 : 0x02, 0x80 | length, 1, 2, 3, 4);
    return Uint8Array.of(fin ? 0x82 : 0x02, 0x80 | 126, length >> 8, length & 0xff, 1, 2, 3, 4);
  };

  it('lets handshake-sized frames through and refuses the first larger one, even split across chunks', () => {
    const g = new HandshakeGuard({ maxPayload: 256 });
    const m1 = new Uint8Array([...frame(66), ...new Uint8Array(66)]);
    expect(g.feed(m1).kind).toBe('ok');
    const big = frame(300);
    expect(g.feed(big.subarray(0, 2)).kind).toBe('ok');
    expect(g.feed(big.subarray(2)).kind).toBe('refuse');
  });

  it('adds up the fragments of one message', () => {
    const g = new HandshakeGuard({ maxPayload: 256 });
    expect(g.feed(new Uint8Array([...frame(200, false), ...new Uint8Array(200)])).kind).toBe('ok');
    expect(g.feed(frame(100)).kind).toBe('refuse');
  });

  it('refuses a 64-bit length of 2^62 from its header alone', () => {
    const g = new HandshakeGuard({ maxPayload: 256 });
    expect(g.feed(Uint8Array.of(0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4)).kind).toBe(
      'refuse',
    );
  });
});
