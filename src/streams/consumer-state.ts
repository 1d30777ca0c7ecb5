/**
 * A consumer's position in one partition, and the rules of delivery and
 * acknowledgement. Pure: the store asks which sequences to deliver and tells
 * what was acknowledged; it reads and writes.
 *
 * The position is the next sequence never delivered and the deliveries
 * awaiting acknowledgement (at most `maxAckPending`). Every sequence below
 * the next one that is not pending is done: acknowledged, terminated,
 * filtered out, or removed. So what is stored is small and bounded, and a
 * restarted consumer sends again exactly what was never acknowledged.
 *
 * @module
 */

/** A delivery awaiting acknowledgement. */
interface Pending {
  /** Times delivered. */
  count: number;
  /** When it is due to be sent again (ms); undefined while a delivery is out and not yet timed. */
  due: number;
}

/** What a position is stored as. */
export interface SavedPosition {
  readonly next: number;
  /**
   * The deliveries awaiting acknowledgement, as the bytes of 64-bit floats:
   * sequence, deliveries, sequence, deliveries, ... (compact to store at every change).
   */
  readonly pending: Uint8Array;
  /** With a last-per-subject start: below `below`, only these sequences are delivered. */
  readonly only?: readonly number[];
  readonly below?: number;
}

/** The position of one consumer in one partition. */
export class PartitionPosition {
  /** The next sequence never delivered. */
  next: number;
  readonly #pending = new Map<number, Pending>();
  #only: Set<number> | undefined;
  #below: number;

  constructor(saved: SavedPosition, now: number) {
    this.next = saved.next;
    // After a restart every pending delivery is due at once.
    const pending = pairs(saved.pending);
    for (let i = 0; i + 1 < pending.length; i += 2) {
      this.#pending.set(pending[i] as number, { count: pending[i + 1] as number, due: now });
    }
    this.#only = saved.only ? new Set(saved.only) : undefined;
    this.#below = saved.below ?? 0;
  }

  /** How many deliveries await acknowledgement. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Every sequence up to this one is done. */
  get ackFloor(): number {
    let floor = this.next - 1;
    for (const seq of this.#pending.keys()) if (seq - 1 < floor) floor = seq - 1;
    return floor;
  }

  /** True when `seq` is done for this consumer (acknowledged, terminated, or skipped). */
  isDone(seq: number): boolean {
    return seq < this.next && !this.#pending.has(seq);
  }

  /** True when `seq` waits for its acknowledgement. */
  isPending(seq: number): boolean {
    return this.#pending.has(seq);
  }

  /** True when a first delivery of `seq` (at or after `next`) is wanted by the start. */
  wants(seq: number): boolean {
    if (!this.#only || seq >= this.#below) return true;
    return this.#only.has(seq);
  }

  /** Pending sequences due again at `now`, in order, with their deliveries so far. */
  due(now: number): [number, number][] {
    const out: [number, number][] = [];
    for (const [seq, p] of this.#pending) if (p.due <= now) out.push([seq, p.count]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** When the earliest pending delivery is due again. */
  nextDue(): number | undefined {
    let soonest: number | undefined;
    for (const p of this.#pending.values())
      if (soonest === undefined || p.due < soonest) soonest = p.due;
    return soonest;
  }

  /** Records a delivery of `seq` at `now`; it is due again after `ackWaitMs`. Returns its count. */
  delivered(seq: number, now: number, ackWaitMs: number): number {
    const p = this.#pending.get(seq);
    const count = (p?.count ?? 0) + 1;
    this.#pending.set(seq, { count, due: now + ackWaitMs });
    if (seq >= this.next) this.next = seq + 1;
    if (this.#only && this.next >= this.#below) this.#only = undefined;
    return count;
  }

  /** Passes over `seq` without delivering it (filtered out, removed, not wanted). */
  skip(seq: number): void {
    if (seq >= this.next) this.next = seq + 1;
    if (this.#only && this.next >= this.#below) this.#only = undefined;
  }

  /** Acknowledges (or terminates) `seq`; false when it was not pending. */
  done(seq: number): boolean {
    return this.#pending.delete(seq);
  }

  /** Asks for `seq` again at `due`; false when it was not pending. */
  again(seq: number, due: number): boolean {
    const p = this.#pending.get(seq);
    if (!p) return false;
    p.due = due;
    return true;
  }

  /** Makes every pending delivery due at `now` (a failover, a detached client). */
  resetDue(now: number): void {
    for (const p of this.#pending.values()) p.due = now;
  }

  /** What to store. */
  save(): SavedPosition {
    const floats = new Float64Array(this.#pending.size * 2);
    let i = 0;
    for (const [seq, p] of this.#pending) {
      floats[i++] = seq;
      floats[i++] = p.count;
    }
    const pending = new Uint8Array(floats.buffer);
    if (!this.#only) return { next: this.next, pending };
    return { next: this.next, pending, only: [...this.#only], below: this.#below };
  }
}

/** The first position of a consumer that delivers from `next` (only `only` below `below`). */
export function startingPosition(
  next: number,
  only?: { seqs: number[]; below: number },
): SavedPosition {
  if (!only) return { next, pending: new Uint8Array(0) };
  const first = only.seqs.reduce((a, b) => Math.min(a, b), only.below);
  return { next: first, pending: new Uint8Array(0), only: only.seqs, below: only.below };
}

/** The floats in the bytes of a saved position (copied: stored bytes need not be aligned). */
function pairs(bytes: Uint8Array): Float64Array {
  const n = Math.floor(bytes.byteLength / 8);
  const out = new Float64Array(n);
  new Uint8Array(out.buffer).set(bytes.subarray(0, n * 8));
  return out;
}
