/**
 * Runs a connection's {@link KeepAlive} decisions on the node's clock: a tick
 * every `tickMs`, a PING when the keep-alive says so, and the end of the
 * connection when the peer has been silent too long. Through the clock, so
 * tests drive it with `manualClock`.
 *
 * @module
 */
import type { Clock } from '../runtime/clock.ts';
import type { KeepAlive } from './keepalive.ts';

/** What the timer does to its connection. */
export interface KeepAliveHooks {
  /** Send a PING. */
  ping(): void;
  /** The peer has been silent for `silentMs`: end the connection. */
  dead(silentMs: number): void;
  /** True once the connection has ended: the timer stops ticking. */
  ended(): boolean;
}

/** Starts ticking; `stop()` cancels the pending tick. */
export function keepAliveTimer(
  keepalive: KeepAlive,
  clock: Clock,
  hooks: KeepAliveHooks,
): { stop(): void } {
  let due = clock.now() + keepalive.tickMs;
  let handle: unknown;
  const tick = () => {
    if (hooks.ended()) return;
    const now = clock.now();
    const action = keepalive.tick(now, due);
    if (action === 'dead') {
      hooks.dead(Math.round(keepalive.silence(now)));
      return;
    }
    if (action === 'ping') hooks.ping();
    due = now + keepalive.tickMs;
    handle = clock.after(keepalive.tickMs, tick);
  };
  handle = clock.after(keepalive.tickMs, tick);
  return { stop: () => clock.clear(handle) };
}
