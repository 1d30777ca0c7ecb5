/**
 * Append notices: how a `nats` store hears the appends of other processes
 * on the same servers, so that a stream host delivers them at once rather
 * than at its next tick. Each store, once an append is acknowledged (so
 * stored), publishes a small core NATS message on
 * `_CALLSIGN.<prefix>.appended` (`<store id> <partition> <sequence>
 * <stream>`, one per stream and partition per turn, with the last
 * sequence); a store that is watched subscribes to it. Appends published
 * by other JetStream clients (not callsign's driver) send no notice: a
 * host hears of them at its tick.
 *
 * @module
 */
import { type NatsConnection, nuid, type Subscription } from '@nats-io/transport-node';
import { isValidStreamName } from '../config.ts';
import type { StoreEvent } from '../store.ts';

/** The subject of a layout's append notices (outside every stream's subjects). */
export function noticeSubject(prefix: string): string {
  return `_CALLSIGN.${prefix}.appended`;
}

/** The appended event a notice tells of, or undefined for bytes that are not one (from anyone). */
export function readNotice(
  text: string,
  self: string,
): (StoreEvent & { kind: 'appended' }) | undefined {
  if (text.length > 200) return undefined;
  const m = /^([A-Za-z0-9]{1,32}) (\d{1,6}) (\d{1,16}) (\S+)$/.exec(text);
  if (!m || m[1] === self || !isValidStreamName(m[4])) return undefined;
  const partition = Number(m[2]);
  const sequence = Number(m[3]);
  if (!Number.isSafeInteger(sequence) || sequence < 1) return undefined;
  return { kind: 'appended', stream: m[4] as string, partition, sequence };
}

/** Sends this store's notices and hears the others'. */
export class AppendNotices {
  readonly #id = nuid.next();
  readonly #subject: string;
  /** `stream partition` → the last sequence appended this turn. */
  #pending = new Map<string, number>();
  #subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    prefix: string,
  ) {
    this.#subject = noticeSubject(prefix);
  }

  /** Tells the others, at the end of this turn, that `sequence` of `stream`'s `partition` is stored. */
  appended(stream: string, partition: number, sequence: number): void {
    const key = `${stream} ${partition}`;
    if (this.#pending.size === 0) queueMicrotask(() => this.#send());
    this.#pending.set(key, Math.max(sequence, this.#pending.get(key) ?? 0));
  }

  #send(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    if (this.nc.isClosed()) return;
    for (const [key, sequence] of pending) {
      const space = key.indexOf(' ');
      const text = `${this.#id} ${key.slice(space + 1)} ${sequence} ${key.slice(0, space)}`;
      try {
        this.nc.publish(this.#subject, text);
      } catch {
        // A notice is a hint: a closed or draining connection sends none; the tick delivers.
      }
    }
  }

  /** Starts hearing the notices of other stores; `emit` gets each as an appended event. */
  listen(emit: (event: StoreEvent) => void): void {
    if (this.#subscription || this.nc.isClosed()) return;
    this.#subscription = this.nc.subscribe(this.#subject, {
      callback: (error, msg) => {
        if (error) return;
        const event = readNotice(msg.string(), this.#id);
        if (event) emit(event);
      },
    });
  }

  /** Stops hearing them. */
  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }
}
