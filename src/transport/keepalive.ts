/**
 * Keep-alive decisions for one connection, apart from any timer or socket:
 * the connection says when it heard from the peer and asks, on each tick,
 * what to do. Liveness is judged only by what the peer sends; a receiver
 * never stops reading (flow control is by credit, see flow.ts), so a slow
 * actor never makes a healthy peer look dead.
 *
 * @module
 */

/** Timing of keep-alive, in ms. */
export interface KeepAliveInit {
  /** Ping after this much silence from the peer. */
  keepaliveMs: number;
  /** Give the peer up after this much silence. */
  deadAfterMs: number;
}

/** What a tick decides. */
export type KeepAliveAction = 'none' | 'ping' | 'dead';

/** The keep-alive state of one connection. */
export class KeepAlive {
  readonly #keepaliveMs: number;
  readonly #deadAfterMs: number;
  #lastHeard: number;
  #lastPing = Number.NEGATIVE_INFINITY;

  constructor(init: KeepAliveInit, now: number) {
    this.#keepaliveMs = init.keepaliveMs;
    this.#deadAfterMs = init.deadAfterMs;
    this.#lastHeard = now;
  }

  /** How often to tick: four times per period, so a dead peer is noticed within a quarter period. */
  get tickMs(): number {
    return Math.max(10, Math.min(this.#keepaliveMs, this.#deadAfterMs) / 4);
  }

  /** Milliseconds of silence from the peer at `now`. */
  silence(now: number): number {
    return now - this.#lastHeard;
  }

  /** Something (anything) came from the peer at `now`. */
  heard(now: number): void {
    this.#lastHeard = now;
  }

  /**
   * What to do at `now`, for a tick that was due at `due`. A tick much later
   * than due means this process was not running (frozen, suspended, or its
   * event loop blocked): that time is not counted against the peer, whose
   * frames may be waiting unread.
   */
  tick(now: number, due = now): KeepAliveAction {
    const late = now - due;
    if (late > this.tickMs) this.#lastHeard += late;
    const silent = now - this.#lastHeard;
    if (silent >= this.#deadAfterMs) return 'dead';
    if (silent >= this.#keepaliveMs && now - this.#lastPing >= this.#keepaliveMs) {
      this.#lastPing = now;
      return 'ping';
    }
    return 'none';
  }
}
