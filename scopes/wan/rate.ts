/**
 * A token bucket, pure: how many bytes per second a session (or a tenant)
 * may have forwarded, with a burst of one second's worth. The forwarder
 * takes what it forwarded; when the bucket is in debt it stops reading from
 * the session until `waitMs` has passed. Nothing is dropped: a sealed
 * stream cannot lose a frame, so the excess is slowed, never refused.
 *
 * @module
 */

/** A token bucket: see the module. */
export class RateBucket {
  readonly #rate: number;
  #tokens: number;
  #at: number;

  /** `bytesPerSecond` sustained, a burst of the same; `now` in ms. */
  constructor(bytesPerSecond: number, now: number) {
    this.#rate = bytesPerSecond;
    this.#tokens = bytesPerSecond;
    this.#at = now;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#rate, this.#tokens + (elapsed * this.#rate) / 1000);
  }

  /** Takes `bytes` at `now`; answers how long to wait before reading more (0: go on). */
  take(bytes: number, now: number): number {
    this.#refill(now);
    this.#tokens -= bytes;
    return this.waitMs(now);
  }

  /** How long until the bucket is out of debt, in ms, at `now`. */
  waitMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#rate);
  }
}
