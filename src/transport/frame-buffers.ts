/**
 * Buffers for the sealed frames of one connection, used again once the link
 * has written them.
 *
 * A new buffer of some kilobytes per frame is costly beyond its allocation:
 * V8 frees it only at the next garbage collection, so the memory written by
 * each seal is memory the CPU has not touched lately, and enough of it
 * brings on full collections (bench/README.md). Frames below
 * {@link POOLED_FROM} bytes come from Node's shared slab anyway and are not
 * kept; larger ones up to {@link POOLED_SIZE} are sealed into one of at most
 * {@link MAX_SPARES} buffers kept per connection.
 *
 * @module
 */

/** Frames of at least this many bytes are sealed into kept buffers. */
export const POOLED_FROM = 4 * 1024;
/** The size of a kept buffer: a batched frame (64 KiB of plaintext) and its overhead. */
export const POOLED_SIZE = 64 * 1024 + 64;
/** Buffers kept per connection, at most (a few frames are in the socket at a time). */
export const MAX_SPARES = 4;

/** The kept buffers of one connection. */
export class FrameBuffers {
  #spares: Buffer[] = [];

  /** A buffer to seal a frame of `size` bytes into, or undefined to let the sealer allocate. */
  take(size: number): Buffer | undefined {
    if (size < POOLED_FROM || size > POOLED_SIZE) return undefined;
    return this.#spares.pop() ?? Buffer.allocUnsafe(POOLED_SIZE);
  }

  /** `buffer`, from {@link FrameBuffers.take}, was written by the link: it may be filled again. */
  giveBack(buffer: Buffer): void {
    if (this.#spares.length < MAX_SPARES) this.#spares.push(buffer);
  }

  /** Forgets the kept buffers (the connection ended). */
  release(): void {
    this.#spares = [];
  }
}
