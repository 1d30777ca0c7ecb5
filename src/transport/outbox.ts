import type { ErrorCode } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { SendFlow, type Windows } from './flow.ts';
import { type Overflow, SendQueues, type Waiting } from './overflow.ts';

/** {@link Outbox.drained} waits while more than this is buffered for the link. */
const SEND_HIGH_WATER = 1024 * 1024;

/** Why a message of ours did not go, in the words of `Undelivered`. */
export type OutboxLoss = 'closed' | 'overflow' | 'unconfirmed';

/** What an {@link Outbox} needs from its connection. */
export interface OutboxInit {
  /** The policy of senders that chose none. */
  readonly overflow: Overflow;
  /** Writes a message that may go now into the frame being built. */
  write(item: Waiting): void;
  /** Tells a sender (and the node's counters) that a message of its did not go. */
  report(
    item: { from: number; to: number; typeName: string },
    message: Message | undefined,
    reason: OutboxLoss,
    code: ErrorCode,
  ): void;
  /** Bytes buffered for the link. */
  buffered(): number;
  log(text: string): void;
}

interface DrainWaiter {
  from: number;
  to: number;
  resolve: () => void;
}

/**
 * The sending side of one connection: the windows the peer granted
 * (flow.ts), what waits for them under each sender's overflow policy
 * (overflow.ts), and the senders that await `drain()`.
 */
export class Outbox {
  readonly #init: OutboxInit;
  readonly #flow = new SendFlow();
  readonly #queues = new SendQueues();
  readonly #policies = new Map<string, Overflow>();
  readonly #warned = new Set<string>();
  #drainWaiters: DrainWaiter[] = [];

  constructor(init: OutboxInit) {
    this.#init = init;
  }

  /** Messages waiting for the peer's windows, in all. */
  get waiting(): number {
    return this.#queues.size;
  }

  /** The peer's OPEN: what it grants; what waited may go. */
  open(windows: Windows): void {
    this.#flow.open(windows);
    this.#release(this.#queues.receivers());
  }

  setOverflow(from: number, to: number, overflow: Overflow): void {
    this.#policies.set(`${from}:${to}`, overflow);
  }

  /** Whether a message of `size` from `from` may go to `to` now, ahead of nothing. */
  mayGo(from: number, to: number, size: number): boolean {
    return this.#queues.waiting(from, to) === 0 && this.#flow.fits(to, size);
  }

  /** A message of `size` bytes and type `typeName` from `from` to `to` went (written into the frame). */
  sent(from: number, to: number, typeName: string, size: number): void {
    this.#flow.sent(to, size, from, typeName);
  }

  /** A message that may not go yet waits, under its sender's policy. */
  wait(item: Waiting, message: Message | undefined): void {
    const key = `${item.from}:${item.to}`;
    const overflow = this.#policies.get(key) ?? this.#init.overflow;
    const added = this.#queues.add(item, overflow);
    if (added.kind === 'refused') {
      this.#init.report(item, message, 'overflow', added.code);
    } else if (added.kind === 'dropped') {
      this.#init.report(added.oldest, undefined, 'overflow', added.code);
    } else if (
      overflow.policy === 'block' &&
      !this.#warned.has(key) &&
      this.#queues.waiting(item.from, item.to) > overflow.limit
    ) {
      this.#warned.add(key);
      this.#init.log(
        `more than ${overflow.limit} messages of <${item.from}> wait for a slow receiver; await drain() between sends`,
      );
    }
  }

  /**
   * The peer gave back credit of `messages` and `bytes` for actor `to`; call
   * {@link Outbox.credited} after the last credit of a record.
   * @throws CallsignError ERR_FLOW_CONTROL for credit beyond what was in flight.
   */
  credit(to: number, messages: number, bytes: number): void {
    this.#flow.credit(to, messages, bytes);
  }

  /** Credit came back: what waited for it may go, and senders awaiting drain may go on. */
  credited(): void {
    if (this.#queues.size > 0) this.#release(this.#queues.receivers());
    else this.wake();
  }

  /** Resolves once nothing of `from` waits for `to`, its window is at most half used and the link has room. */
  drained(from: number, to: number): Promise<void> {
    if (this.#canTakeMore(from, to)) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push({ from, to, resolve }));
  }

  /** Wakes the senders awaiting drain that may go on (all of them when `ended`). */
  wake(ended = false): void {
    if (this.#drainWaiters.length === 0) return;
    const still: DrainWaiter[] = [];
    for (const w of this.#drainWaiters) {
      if (ended || this.#canTakeMore(w.from, w.to)) w.resolve();
      else still.push(w);
    }
    this.#drainWaiters = still;
  }

  /** The connection ended with `code`: reports what waited, and (after a loss) what was in flight. */
  end(code: ErrorCode, lost: boolean): void {
    for (const item of this.#queues.takeAll()) this.#init.report(item, undefined, 'closed', code);
    const inFlight = this.#flow.takeInFlight();
    if (lost) for (const item of inFlight) this.#init.report(item, undefined, 'unconfirmed', code);
    this.wake(true);
  }

  #release(receivers: Iterable<number>): void {
    for (const to of [...receivers]) {
      for (const item of this.#queues.release(to, (w) => this.#flow.fits(w.to, w.body.length))) {
        this.#init.write(item);
      }
    }
    this.wake();
  }

  #canTakeMore(from: number, to: number): boolean {
    return (
      this.#queues.waiting(from, to) === 0 &&
      this.#init.buffered() < SEND_HIGH_WATER &&
      this.#flow.halfOpen(to)
    );
  }
}
