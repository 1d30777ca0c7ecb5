import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { hasStopKey, onStopKeys } from '../../../orchestrator/stop-keys.ts';

/** A terminal's input as onStopKeys sees it, recording its mode. */
class FakeInput extends EventEmitter {
  modes: boolean[] = [];
  flowing = false;
  constructor(readonly isTTY: boolean) {
    super();
  }
  setRawMode(raw: boolean) {
    this.modes.push(raw);
  }
  resume() {
    this.flowing = true;
  }
  pause() {
    this.flowing = false;
  }
}

describe('stop keys', () => {
  it('are Ctrl-C, Ctrl-D, Ctrl-\\ and q, anywhere in what was read', () => {
    for (const key of ['\x03', '\x04', '\x1c', 'q', 'abc\x03']) {
      expect(hasStopKey(Buffer.from(key))).toBe(true);
    }
    for (const other of ['', 'a', '\r', '\x1b[A', 'Q'])
      expect(hasStopKey(Buffer.from(other))).toBe(false);
  });

  it('on a terminal: raw mode while following, stop called once, the terminal given back', () => {
    const input = new FakeInput(true);
    let stops = 0;
    const giveBack = onStopKeys(input, () => stops++);
    expect(input.modes).toEqual([true]);
    expect(input.flowing).toBe(true);
    input.emit('data', Buffer.from('x'));
    expect(stops).toBe(0);
    input.emit('data', Buffer.from('\x03'));
    input.emit('data', Buffer.from('\x03'));
    expect(stops).toBe(1);
    giveBack();
    expect(input.modes).toEqual([true, false]);
    expect(input.flowing).toBe(false);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('leaves input that is not a terminal alone', () => {
    const input = new FakeInput(false);
    onStopKeys(input, () => {
      throw new Error('no key is read from a pipe');
    })();
    expect(input.modes).toEqual([]);
    expect(input.listenerCount('data')).toBe(0);
  });
});
