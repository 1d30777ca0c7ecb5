import { CallsignError, type ErrorCode, toError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import type { Message } from '../messages/registry.ts';
import {
  Completed,
  Faulted,
  Stop,
  type UNDELIVERED_REASONS,
  Undelivered,
} from '../messages/standard.ts';
import { ActorAddress } from './address.ts';
import { Cell, type Envelope, type Receipt, type Refusal } from './cell.ts';
import { type Clock, systemClock } from './clock.ts';
import { type ActorContext, createFunctionContext } from './context.ts';
import { type ControlGate, isControlMessage } from './control-gate.ts';
import { Logger, type LogLevel } from './log.ts';
import { isMachineDefinition, type MachineDefinition, runMachine } from './machine.ts';

/** A function actor: an async function of its context and settings; its result ends it. */
// biome-ignore lint/suspicious/noExplicitAny: settings are contravariant; any lets every actor be an ActorFunction.
export type ActorFunction<S = any, R = unknown> = (self: ActorContext, settings: S) => Promise<R>;

/** What an actor's result resolves to: the function's value; unknown for machines. */
// biome-ignore lint/suspicious/noExplicitAny: matches any settings type.
export type ResultOf<A> = A extends ActorFunction<any, infer R> ? Awaited<R> : unknown;

/** Anything that can be spawned as an actor. */
// biome-ignore lint/suspicious/noExplicitAny: settings are contravariant; see ActorFunction.
export type ActorKind<S = any> = ActorFunction<S> | MachineDefinition<S>;

/** Options of {@link Node}. */
export interface NodeInit {
  /** The node's name in logs. Default: `node`. */
  name?: string;
  /** Where time comes from. Default: the system clock. */
  clock?: Clock;
  /** Where logs go. Default: nowhere. */
  logger?: Logger;
  /** Messages an actor's mailbox holds before it refuses more. Default 16384. */
  mailboxCapacity?: number;
  /** Messages an actor keeps for a later select. Default 16384. */
  savedCapacity?: number;
}

/** Counters a node keeps about messages that did not reach an actor. */
export interface NodeCounters {
  /** Refused because the mailbox was full. */
  mailboxFull: number;
  /** Sent to an actor that had already ended or never existed. */
  noSuchActor: number;
  /** Discarded from a saved queue that was full (oldest first). */
  savedOverflow: number;
  /** Discarded by a machine actor with no handler in its state. */
  dropped: number;
  /**
   * `Undelivered` notices a local sender could not be given: its mailbox,
   * its reserve for notices and the newest notice to merge into were all
   * taken (see Undelivered's `count`). Zero unless a sender ignores its
   * notices by the thousand.
   */
  noticesLost: number;
  /**
   * Messages reported `Undelivered` by this node, by code (`ERR_MAILBOX_FULL`,
   * `ERR_NO_SUCH_ACTOR`, `ERR_CONNECTION_LOST`, `ERR_OVERFLOW_REFUSED`, ...):
   * every loss this node saw, whether or not its sender could be told.
   */
  undelivered: Partial<Record<ErrorCode, number>>;
}

/** Who may send an actor runtime control messages over a connection (see control-gate.ts). */
const CONTROL_RULE =
  'only this node sends its actors control messages, or a peer they have a session with';
/** Who may send an actor `Undelivered` over a connection. */
const UNDELIVERED_RULE =
  'only the actor it sent a message to can say that message was not delivered';

/** Why a message was undelivered, in the words of {@link Undelivered}. */
export type UndeliveredReason = (typeof UNDELIVERED_REASONS)[number];

/** Options of {@link Node.spawn}. */
export interface SpawnOptions {
  /** The parent; it receives Completed or Faulted when the actor ends. */
  parent?: ActorAddress;
  /** The name in logs. Default: the function's or machine's name. */
  name?: string;
}

/**
 * The actors of one process: their cells, delivery between them, and the
 * hooks that lower layers (transport) run when the node stops. Usually made
 * by `createNode`; tests make them directly.
 */
export class Node {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: NodeCounters = {
    mailboxFull: 0,
    noSuchActor: 0,
    savedOverflow: 0,
    dropped: 0,
    noticesLost: 0,
    undelivered: {},
  };
  readonly #cells = new Map<number, Cell>();
  readonly #mailboxCapacity: number;
  readonly #savedCapacity: number;
  readonly #stopHooks: (() => Promise<void> | void)[] = [];
  readonly #extensions = new Map<symbol, unknown>();
  readonly #controlGates: ControlGate[] = [];
  #nextId = 1;
  #stopping: Promise<void> | undefined;

  constructor(init: NodeInit = {}) {
    this.name = init.name ?? 'node';
    this.clock = init.clock ?? systemClock;
    this.logger = init.logger ?? new Logger();
    this.#mailboxCapacity = init.mailboxCapacity ?? 16384;
    this.#savedCapacity = init.savedCapacity ?? 16384;
  }

  /** How many actors are running. */
  get size(): number {
    return this.#cells.size;
  }

  /** The cell of a running local actor. */
  cell(id: number): Cell | undefined {
    return this.#cells.get(id);
  }

  /**
   * Starts an actor and returns its address, together with a promise of its
   * result (rejected with the error when it faults).
   */
  start<S, A extends ActorKind<S> = ActorKind<S>>(
    actor: A & ActorKind<S>,
    settings?: S,
    options: SpawnOptions = {},
  ): { address: ActorAddress; result: Promise<ResultOf<A>> } {
    if (this.#stopping)
      throw new CallsignError('ERR_ACTOR_STOPPED', `node ${this.name} is stopping`);
    const id = this.#nextId++;
    const address = new ActorAddress(id);
    const name = options.name ?? actorName(actor);
    const cell = new Cell({
      id,
      name,
      address,
      parent: options.parent,
      mailboxCapacity: this.#mailboxCapacity,
      savedCapacity: this.#savedCapacity,
      onRefusal: (c, envelope, reason) => this.#refused(c, envelope, reason),
      merge: mergeNotices,
    });
    this.#cells.set(id, cell);
    if (options.parent?.isLocal) this.#cells.get(options.parent.id)?.children.add(cell);
    const run = isMachineDefinition(actor)
      ? runMachine(this, cell, actor, settings)
      : this.#runFunction(cell, actor as ActorFunction<S>, settings as S);
    const result = run.then(
      (value) => {
        this.#ended(cell, { value });
        return value;
      },
      (err: unknown) => {
        this.#ended(cell, { error: toError(err) });
        throw err;
      },
    );
    // The parent (or the caller of start) hears of a fault; never an unhandled rejection.
    result.catch(() => {});
    return { address, result: result as Promise<ResultOf<A>> };
  }

  async #runFunction<S>(cell: Cell, actor: ActorFunction<S>, settings: S): Promise<unknown> {
    // Let the caller finish (e.g. record the address) before the actor runs.
    await Promise.resolve();
    return actor(createFunctionContext(this, cell), settings);
  }

  /** Starts an actor; see {@link Node.start}. */
  spawn<S>(actor: ActorKind<S>, settings?: S, options?: SpawnOptions): ActorAddress {
    return this.start(actor, settings, options).address;
  }

  /**
   * Sends `message` to `to` as if from `from`. Local delivery is
   * synchronous; remote delivery goes through the address's channel.
   * Returns false when it could not be delivered or queued.
   */
  send(message: Message, to: Address, from?: ActorAddress): boolean {
    if (!(to instanceof ActorAddress)) {
      throw new CallsignError('ERR_NO_SUCH_ACTOR', `not an actor address: ${String(to)}`);
    }
    if (to.channel) {
      if (from && !from.isLocal) {
        throw new CallsignError(
          'ERR_NO_SUCH_ACTOR',
          `cannot send to ${to} on behalf of ${from}: a return address must be local or on the same connection`,
        );
      }
      const ok = to.channel.post(to.id, from?.id ?? 0, message);
      if (!ok) {
        const code = to.channel.closeCode ?? 'ERR_CLOSED';
        this.undelivered(messageName(message), 'closed', code, message, from, to);
      }
      return ok;
    }
    return this.deliver(to.id, message, from);
  }

  /**
   * Puts a message into local actor `to`'s mailbox. `via` and `size` are
   * given for a message that came over a connection: `via` is told when it
   * leaves the mailbox. A message for an actor that does not exist is
   * answered with `Undelivered` when its sender is on another node.
   */
  deliver(
    to: number,
    message: Message,
    from: ActorAddress | undefined,
    via?: Receipt,
    size?: number,
  ): boolean {
    const cell = this.#cells.get(to);
    if (!cell) {
      this.counters.noSuchActor++;
      via?.taken(to, size ?? 0);
      this.logger.log(
        'DEBUG',
        this.name,
        `${messageName(message)} from ${from} to <${to.toString(16).padStart(8, '0')}> undelivered: no such actor`,
      );
      // Only what came over a connection is answered there (not the transport's own notices).
      if (via && from && !from.isLocal) {
        this.undelivered(
          messageName(message),
          'no-such-actor',
          'ERR_NO_SUCH_ACTOR',
          message,
          from,
          new ActorAddress(to),
        );
      }
      return false;
    }
    if (via && isControlMessage(message) && !this.#admitsControl(cell.address, from)) {
      this.#refuseControl(cell, message, from, via, size ?? 0, CONTROL_RULE);
      return false;
    }
    if (message instanceof Undelivered) {
      // From the network, only the peer the original went to can say it was not delivered.
      if (via && !(from && via.sentTo?.(to, from.id))) {
        this.#refuseControl(cell, message, from, via, size ?? 0, UNDELIVERED_RULE);
        return false;
      }
      return this.#notify(cell, { message, from, via, size });
    }
    return cell.put({ message, from, via, size });
  }

  /** Gives a local sender an Undelivered notice that a full mailbox must not lose (see {@link Cell.putNotice}). */
  #notify(cell: Cell, envelope: Envelope): boolean {
    if (cell.putNotice(envelope)) return true;
    if (cell.ended) return false;
    this.counters.noticesLost++;
    // Logged at powers of two: a sender that ignores its notices must not flood the log.
    const n = this.counters.noticesLost;
    if ((n & (n - 1)) === 0) {
      this.logger.log(
        'WARNING',
        `${cell.address}${cell.name}`,
        `${n} Undelivered notice(s) lost in all: mailbox and its reserve for notices full`,
      );
    }
    return false;
  }

  /**
   * Lets `gate` admit runtime control messages (see control-gate.ts) that
   * arrive over a connection: one is delivered when some gate says its
   * receiver has a session with its sender. Returns a function that removes
   * the gate.
   */
  admitControl(gate: ControlGate): () => void {
    this.#controlGates.push(gate);
    return () => {
      const i = this.#controlGates.indexOf(gate);
      if (i >= 0) this.#controlGates.splice(i, 1);
    };
  }

  #admitsControl(to: ActorAddress, from: ActorAddress | undefined): boolean {
    return from !== undefined && this.#controlGates.some((gate) => gate(to, from));
  }

  /** A control message from the network that its sender had no right to send (`rule` says who may): refused, counted, logged. */
  #refuseControl(
    cell: Cell,
    message: Message,
    from: ActorAddress | undefined,
    via: Receipt,
    size: number,
    rule: string,
  ): void {
    via.taken(cell.id, size);
    const what = messageName(message);
    const reason = `${what} from ${from ?? 'a peer with no return address'} to ${cell.address}${cell.name}: ${rule}`;
    this.logger.log('WARNING', this.name, `refused ${reason} (ERR_CONTROL_REFUSED)`);
    this.undelivered(what, 'refused', 'ERR_CONTROL_REFUSED', message, from, cell.address);
    via.refused?.('ERR_CONTROL_REFUSED', reason);
  }

  /**
   * Counts a message that could not be delivered and tells its sender with
   * `Undelivered` (sent as if from `about`, the intended receiver), unless
   * there is no sender or the message is itself an `Undelivered`.
   */
  undelivered(
    typeName: string,
    reason: UndeliveredReason,
    code: ErrorCode,
    message: Message | undefined,
    sender: ActorAddress | undefined,
    about: ActorAddress | undefined,
  ): void {
    const counts = this.counters.undelivered;
    counts[code] = (counts[code] ?? 0) + 1;
    if (!sender || message instanceof Undelivered || typeName === Undelivered.typeName) return;
    const report = new Undelivered({ typeName, reason, code });
    if (sender.isLocal) {
      const cell = this.#cells.get(sender.id);
      if (cell) this.#notify(cell, { message: report, from: about });
    } else if (about?.isLocal) {
      sender.channel?.post(sender.id, about.id, report);
    }
  }

  /**
   * Calls `fn` once when local actor `id` ends (at once if it is not
   * running). Returns a function that cancels the watch.
   */
  watch(id: number, fn: () => void): () => void {
    const cell = this.#cells.get(id);
    if (!cell) {
      fn();
      return () => {};
    }
    let active = true;
    cell.endHooks.push(() => {
      if (active) fn();
    });
    return () => {
      active = false;
    };
  }

  /** Logs `text` at `level` with the node's name as source. */
  log(level: LogLevel, text: string): void {
    this.logger.log(level, this.name, text);
  }

  /** A value kept per node by a lower layer (such as the transport), made on first use. */
  extension<T>(key: symbol, make: () => T): T {
    let value = this.#extensions.get(key) as T | undefined;
    if (value === undefined) {
      value = make();
      this.#extensions.set(key, value);
    }
    return value;
  }

  /** Registers work to do when the node stops (close listeners, connections). */
  onStop(hook: () => Promise<void> | void): void {
    this.#stopHooks.push(hook);
  }

  /**
   * Stops the node: every actor still running is sent Stop, then the stop
   * hooks run (newest first). Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const cell of this.#cells.values()) cell.put({ message: new Stop(), from: undefined });
      for (const hook of this.#stopHooks.reverse()) {
        try {
          await hook();
        } catch (err) {
          this.log('WARNING', `stop hook failed: ${toError(err).message}`);
        }
      }
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #ended(cell: Cell, outcome: { value: unknown } | { error: Error }): void {
    const left = cell.end();
    this.#cells.delete(cell.id);
    if (cell.parent?.isLocal) this.#cells.get(cell.parent.id)?.children.delete(cell);
    for (const child of cell.children) child.put({ message: new Stop(), from: cell.address });
    const source = `${cell.address}${cell.name}`;
    if ('error' in outcome) {
      this.logger.log('FAULT', source, `faulted: ${outcome.error.stack ?? outcome.error.message}`);
    } else {
      this.logger.log('TRACE', source, 'completed');
    }
    if (left.length > 0) {
      this.logger.log('DEBUG', source, `ended with ${left.length} message(s) unread`);
    }
    if (!cell.parent) return;
    const report =
      'error' in outcome
        ? faultedFrom(outcome.error)
        : new Completed({ value: outcome.value as Completed['value'] });
    this.send(report, cell.parent, cell.address);
  }

  #refused(cell: Cell, envelope: Envelope, reason: Refusal | 'dropped'): void {
    const source = `${cell.address}${cell.name}`;
    const what = messageName(envelope.message);
    switch (reason) {
      case 'mailbox-full':
        this.counters.mailboxFull++;
        break;
      case 'saved-overflow':
        this.counters.savedOverflow++;
        break;
      case 'no-such-actor':
        this.counters.noSuchActor++;
        this.logger.log(
          'DEBUG',
          source,
          `${what} from ${envelope.from} arrived after the actor ended`,
        );
        if (envelope.via && envelope.from && !envelope.from.isLocal) {
          this.undelivered(
            what,
            'no-such-actor',
            'ERR_NO_SUCH_ACTOR',
            envelope.message,
            envelope.from,
            cell.address,
          );
        }
        return;
      case 'dropped':
        this.counters.dropped++;
        this.logger.log('WARNING', source, `${what} from ${envelope.from} dropped: no handler`);
        return;
      case 'closed':
        return;
    }
    this.logger.log('WARNING', source, `${what} from ${envelope.from} discarded: ${reason}`);
    // Tell the sender, who can slow down or retry; never answer an Undelivered with one.
    const code: ErrorCode = reason === 'mailbox-full' ? 'ERR_MAILBOX_FULL' : 'ERR_SAVED_OVERFLOW';
    this.undelivered(what, reason, code, envelope.message, envelope.from, cell.address);
  }
}

/** Merges Undelivered notice `next` into queued `into` when they say the same thing (see {@link NoticeMerger}). */
function mergeNotices(into: Envelope, next: Envelope): boolean {
  const a = into.message;
  const b = next.message;
  if (!(a instanceof Undelivered) || !(b instanceof Undelivered)) return false;
  if (a.typeName !== b.typeName || a.reason !== b.reason || a.code !== b.code) return false;
  if (into.from === undefined ? next.from !== undefined : !into.from.equals(next.from))
    return false;
  // Not yet seen by its actor: the queued notice may still change.
  (a as { count?: number }).count = (a.count ?? 1) + (b.count ?? 1);
  return true;
}

/** The Faulted message that reports `error`. */
export function faultedFrom(error: Error): Faulted {
  const code = error instanceof CallsignError ? error.code : 'ERR_ACTOR_FAULTED';
  return new Faulted({ code, message: error.message, stack: error.stack });
}

function actorName(actor: ActorKind): string {
  return isMachineDefinition(actor) ? actor.name : actor.name || 'actor';
}

function messageName(m: Message): string {
  return (m.constructor as { typeName?: string }).typeName ?? m.constructor.name;
}
