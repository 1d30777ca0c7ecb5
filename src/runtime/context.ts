import { CallsignError } from '../errors.ts';
import type { Address } from '../messages/address.ts';
import { type Message, type MessageClass, typeNameOf } from '../messages/registry.ts';
import { SelectTimer } from '../messages/standard.ts';
import type { ActorAddress } from './address.ts';
import { type Cell, type Envelope, type Examiner, takeTypes } from './cell.ts';
import type { LogLevel } from './log.ts';
import type { ActorKind, Node, SpawnOptions } from './node.ts';

/** Options of {@link ActorContext.select}. */
export interface SelectOptions {
  /** Give up after this many seconds: select then returns a SelectTimer. */
  seconds?: number;
  /** Abort the wait: select then rejects with ERR_ABORTED. */
  signal?: AbortSignal;
}

/** The instance type of a message class. */
export type InstanceOf<C> = C extends MessageClass<infer M> ? M : never;

/** Options of {@link ActorBase.start}. */
export interface TimerOptions {
  /** Fire every `seconds` until cancelled, instead of once. */
  repeating?: boolean;
}

type TimerKey = MessageClass | Message;

/**
 * What every actor can do, whatever its kind: send, reply, create children,
 * run timers, log. Function actors get an {@link ActorContext}; machine
 * actors a `MachineContext`.
 */
export class ActorBase {
  /** The node this actor runs in. */
  readonly node: Node;
  /** This actor's address. */
  readonly address: ActorAddress;
  /** The actor that created this one, if any. */
  readonly parent: ActorAddress | undefined;
  /** The sender of the message most recently received. */
  returnAddress: ActorAddress | undefined;
  /** @internal */
  readonly cell: Cell;
  readonly #timers = new Map<string, unknown>();
  readonly #source: string;

  constructor(node: Node, cell: Cell) {
    this.node = node;
    this.cell = cell;
    this.address = cell.address;
    this.parent = cell.parent;
    this.#source = `${cell.address}${cell.name}`;
    cell.endHooks.push(() => this.cancelAllTimers());
  }

  /** The actor's name in logs. */
  get name(): string {
    return this.cell.name;
  }

  /** Sends `message` to `to`, local or remote alike. */
  send(message: Message, to: Address): void {
    this.node.send(message, to, this.address);
  }

  /** Sends `message` to the sender of the message most recently received. */
  reply(message: Message): void {
    if (!this.returnAddress) {
      throw new CallsignError(
        'ERR_NO_SUCH_ACTOR',
        `${this.#source} has no return address to reply to`,
      );
    }
    this.node.send(message, this.returnAddress, this.address);
  }

  /** Sends `message` to `to` so that its replies go to `returnAddress` rather than to this actor. */
  forward(message: Message, to: Address, returnAddress: ActorAddress): void {
    this.node.send(message, to, returnAddress);
  }

  /**
   * Starts a child actor. When it ends, this actor receives Completed (with
   * the child's result) or Faulted, with `returnAddress` set to the child;
   * when this actor ends first, the child is sent Stop.
   */
  create<S>(
    actor: ActorKind<S>,
    settings?: S,
    options: Omit<SpawnOptions, 'parent'> = {},
  ): ActorAddress {
    return this.node.spawn(actor, settings, { ...options, parent: this.address });
  }

  /**
   * Sends `timer` (a message, or a class constructible without arguments) to
   * this actor after `seconds`. Starting a timer of the same type again
   * restarts it.
   */
  start(timer: TimerKey, seconds: number, options: TimerOptions = {}): void {
    const message = typeof timer === 'function' ? new (timer as new () => Message)() : timer;
    const key = timerKey(timer);
    this.cancel(timer);
    const ms = seconds * 1000;
    const fire = () => {
      if (this.cell.ended) return;
      if (options.repeating) this.#timers.set(key, this.node.clock.after(ms, fire));
      else this.#timers.delete(key);
      this.cell.put({ message, from: this.address });
    };
    this.#timers.set(key, this.node.clock.after(ms, fire));
  }

  /** Cancels the timer of `timer`'s type, if one runs. */
  cancel(timer: TimerKey): void {
    const key = timerKey(timer);
    const handle = this.#timers.get(key);
    if (handle !== undefined) {
      this.node.clock.clear(handle);
      this.#timers.delete(key);
    }
  }

  /** @internal Cancels every timer; the runtime calls it when the actor ends. */
  cancelAllTimers(): void {
    for (const handle of this.#timers.values()) this.node.clock.clear(handle);
    this.#timers.clear();
  }

  /** Logs at DEBUG. */
  debug(text: string): void {
    this.log('DEBUG', text);
  }
  /** Logs at TRACE. */
  trace(text: string): void {
    this.log('TRACE', text);
  }
  /** Logs at CONSOLE: what the actor wants an operator to see. */
  console(text: string): void {
    this.log('CONSOLE', text);
  }
  /** Logs at WARNING. */
  warning(text: string): void {
    this.log('WARNING', text);
  }
  /** Logs at FAULT. */
  fault(text: string): void {
    this.log('FAULT', text);
  }

  /** Logs `text` at `level`, as this actor. */
  log(level: LogLevel, text: string): void {
    this.node.logger.log(level, this.#source, text);
  }
}

/**
 * The `self` of a function actor.
 *
 * @example
 * ```ts
 * async function server(self: ActorContext) {
 *   for (;;) {
 *     const m = await self.select(Hello, Stop);
 *     if (m instanceof Stop) return 'bye';
 *     self.reply(new Welcome({ text: `hi ${m.name}` }));
 *   }
 * }
 * ```
 */
export class ActorContext extends ActorBase {
  /** The examiner of the last select, kept for a loop that selects the same types each time. */
  #lastTypes: readonly MessageClass[] = [];
  #lastExaminer: Examiner | undefined;

  #examinerOf(types: readonly MessageClass[]): Examiner {
    const last = this.#lastTypes;
    let same = this.#lastExaminer !== undefined && last.length === types.length;
    for (let i = 0; same && i < types.length; i++) same = last[i] === types[i];
    if (same) return this.#lastExaminer as Examiner;
    this.#lastTypes = types;
    this.#lastExaminer = takeTypes(types);
    return this.#lastExaminer;
  }

  /**
   * Waits for the first message of one of `types` (any message when none are
   * given). Messages of other types are saved, in order, for a later select;
   * see docs/runtime.md for the bound. With `{ seconds }` as the last
   * argument, returns a SelectTimer if nothing came in time. Sets
   * {@link ActorBase.returnAddress} to the sender.
   */
  select<const C extends readonly MessageClass[]>(...types: C): Promise<SelectResult<C>>;
  select<const C extends readonly MessageClass[]>(
    ...args: [...C, SelectOptions]
  ): Promise<SelectResult<C> | SelectTimer>;
  async select(...args: (MessageClass | SelectOptions)[]): Promise<Message> {
    const last = args[args.length - 1];
    const options =
      last !== undefined && typeof last !== 'function' ? (args.pop() as SelectOptions) : {};
    const types = args as MessageClass[];
    if (this.cell.ended) throw new CallsignError('ERR_ACTOR_STOPPED', `${this.name} has ended`);
    const got = this.cell.next(this.#examinerOf(types));
    if (!(got instanceof Promise)) {
      this.returnAddress = got.from;
      return got.message;
    }
    if (options.seconds === undefined && !options.signal) {
      const envelope = await got;
      this.returnAddress = envelope.from;
      return envelope.message;
    }
    return this.#waitWithLimits(got, options);
  }

  async #waitWithLimits(got: Promise<Envelope>, options: SelectOptions): Promise<Message> {
    const { seconds, signal } = options;
    signal?.throwIfAborted();
    let timer: unknown;
    let onAbort: (() => void) | undefined;
    const limits = new Promise<Message>((resolve, reject) => {
      if (seconds !== undefined) {
        timer = this.node.clock.after(seconds * 1000, () => {
          this.cell.cancelWait();
          this.returnAddress = undefined;
          resolve(new SelectTimer({ seconds }));
        });
      }
      if (signal) {
        onAbort = () => {
          this.cell.cancelWait();
          reject(new CallsignError('ERR_ABORTED', 'select aborted', { cause: signal.reason }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([
        got.then((envelope) => {
          this.returnAddress = envelope.from;
          return envelope.message;
        }),
        limits,
      ]);
    } finally {
      if (timer !== undefined) this.node.clock.clear(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** The message type `select` resolves to for the given classes. */
export type SelectResult<C extends readonly MessageClass[]> = C extends readonly []
  ? Message
  : InstanceOf<C[number]>;

/** @internal */
export function createFunctionContext(node: Node, cell: Cell): ActorContext {
  return new ActorContext(node, cell);
}

function timerKey(timer: TimerKey): string {
  return typeof timer === 'function' ? timer.typeName : typeNameOf(timer);
}
