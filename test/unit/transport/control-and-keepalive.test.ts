import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../src/runtime/clock.ts';
import { controlReceiver } from '../../../src/transport/control-receiver.ts';
import { KeepAlive } from '../../../src/transport/keepalive.ts';
import { keepAliveTimer } from '../../../src/transport/keepalive-timer.ts';
import { CONTROL, encodeClose, encodeType } from '../../../src/wire/control.ts';

describe('a connection’s control records', () => {
  it('hands each record, decoded, to what it means, and refuses what it does not know', () => {
    const seen: string[] = [];
    const receive = controlReceiver({
      ping: () => seen.push('ping'),
      open: (o) => seen.push(`open ${o.owner}`),
      close: (c) => seen.push(`close ${c.code} ${c.reason}`),
      type: (t) => seen.push(`type ${t.id} ${t.name}`),
      credit: (p) => seen.push(`credit ${p.length}`),
    });
    receive(CONTROL.ping, new Uint8Array());
    receive(CONTROL.pong, new Uint8Array());
    receive(CONTROL.close, encodeClose({ code: 'ERR_CLOSED', reason: 'bye' }));
    receive(CONTROL.type, encodeType({ id: 7, name: 'app.Hello' }));
    receive(CONTROL.credit, new Uint8Array(3));
    expect(seen).toEqual(['ping', 'close ERR_CLOSED bye', 'type 7 app.Hello', 'credit 3']);
    expect(() => receive(250, new Uint8Array())).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
    );
    expect(() => receive(CONTROL.open, new Uint8Array([0xff]))).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
    );
  });
});

describe('the keep-alive timer', () => {
  it('pings after silence, gives the peer up after longer silence, and stops when told', () => {
    const clock = manualClock();
    const keepalive = new KeepAlive({ keepaliveMs: 1000, deadAfterMs: 2500 }, clock.now());
    const events: string[] = [];
    let ended = false;
    keepAliveTimer(keepalive, clock, {
      ping: () => events.push(`ping at ${clock.now()}`),
      dead: (silent) => {
        events.push(`dead after ${silent}`);
        ended = true;
      },
      ended: () => ended,
    });
    clock.advance(900);
    expect(events).toEqual([]);
    clock.advance(200);
    expect(events).toEqual(['ping at 1000']);
    clock.advance(2000);
    expect(events.at(-1)).toBe('dead after 2500');
    expect(clock.pending).toBe(0);

    const heardOften = new KeepAlive({ keepaliveMs: 1000, deadAfterMs: 2500 }, clock.now());
    const timer = keepAliveTimer(heardOften, clock, {
      ping: () => events.push('unexpected ping'),
      dead: () => events.push('unexpected death'),
      ended: () => false,
    });
    for (let i = 0; i < 20; i++) {
      heardOften.heard(clock.now());
      clock.advance(250);
    }
    timer.stop();
    expect(clock.pending).toBe(0);
    expect(events).not.toContain('unexpected ping');
    expect(events).not.toContain('unexpected death');
  });
});
