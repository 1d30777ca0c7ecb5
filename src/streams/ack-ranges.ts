/**
 * Acknowledgements as ranges: what a consumer acknowledged in one turn,
 * sent as runs of consecutive sequences per partition (partition, first
 * sequence, count: varuints, repeated). Acknowledging in order, as most
 * consumers do, costs a few bytes per batch of deliveries. Pure.
 *
 * @module
 */
import { CallsignError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';

/** Collects acknowledgements in the order they are made, as ranges. */
export class AckRanges {
  /** partition, first, count, partition, first, count, ... */
  readonly #runs: number[] = [];

  get empty(): boolean {
    return this.#runs.length === 0;
  }

  add(partition: number, sequence: number): void {
    const runs = this.#runs;
    const n = runs.length;
    if (n > 0 && runs[n - 3] === partition) {
      const first = runs[n - 2] as number;
      const count = runs[n - 1] as number;
      if (sequence === first + count) {
        runs[n - 1] = count + 1;
        return;
      }
    }
    runs.push(partition, sequence, 1);
  }

  /** The packed ranges, and a fresh start. */
  take(): Uint8Array {
    const runs = this.#runs.splice(0);
    const out = Buffer.allocUnsafe(runs.length * 8);
    let at = 0;
    for (let n of runs) {
      while (n >= 0x80) {
        out[at++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      out[at++] = n;
    }
    return out.subarray(0, at);
  }
}

/**
 * Calls `fn` with each range of packed `bytes` (`to` included); at most `max` ranges.
 *
 * @throws CallsignError `ERR_INVALID_MESSAGE` for bytes that are not ranges
 */
export function forEachAckRange(
  bytes: Uint8Array,
  fn: (partition: number, from: number, to: number) => void,
  max: number,
): void {
  const bad = () => new CallsignError('ERR_INVALID_MESSAGE', 'packed acknowledgements are damaged');
  const r = new ByteReader(bytes, bad);
  let ranges = 0;
  while (r.more) {
    if (++ranges > max) throw bad();
    const partition = r.uint();
    const first = r.uint();
    const count = r.uint();
    if (count === 0) throw bad();
    fn(partition, first, first + count - 1);
  }
}
