import { CallsignError } from '../errors.ts';
import {
  infoOf,
  infoOfClass,
  type Message,
  type MessageClass,
  type MessageInfo,
} from '../messages/registry.ts';
import { Aborted, Start, Stop } from '../messages/standard.ts';
import type { Cell, Verdict } from './cell.ts';
import { ActorBase } from './context.ts';
import type { Node } from './node.ts';

/** A handler's answer: the next state, or nothing to stay. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers that return nothing stay in their state.
type Next<St extends string> = St | undefined | void;

/** Handles one message type in one state. */
export type MachineHandler<St extends string, S, D, M extends Message> = (
  self: MachineContext<St, S, D>,
  message: M,
) => Next<St> | Promise<Next<St>>;

/** The `self` of a machine actor. */
export class MachineContext<
  St extends string = string,
  S = unknown,
  D = unknown,
> extends ActorBase {
  /** The current state. */
  state: St;
  /** The settings the machine was created with. */
  readonly settings: S;
  /** The machine's own data, made by the definition's `data` function. */
  data: D;
  /** @internal */
  done: { value: unknown } | undefined;

  /** @internal */
  constructor(node: Node, cell: Cell, initial: St, settings: S) {
    super(node, cell);
    this.state = initial;
    this.settings = settings;
    this.data = undefined as D;
  }

  /** Ends the machine after the current handler, with `value` as its result. */
  complete(value?: unknown): void {
    this.done ??= { value };
  }
}

/** Anything `Node.spawn` accepts as a machine. */
// biome-ignore lint/suspicious/noExplicitAny: settings are contravariant; see ActorFunction.
export interface MachineDefinition<S = any> {
  readonly kind: 'machine';
  readonly name: string;
  /** @internal The settings type, for inference only. */
  readonly settingsType?: S;
  /** @internal */
  readonly spec: unknown;
}

interface MachineSpec<St extends string, S, D> {
  name: string;
  states: readonly St[];
  initial: St;
  data?: (self: MachineContext<St, S, undefined>, settings: S) => D;
  /** By state, then by message type (its registry entry, so subclasses and decoded messages agree). */
  handlers: Map<string, Map<MessageInfo, MachineHandler<St, S, D, Message>>>;
  saves: Map<string, Set<MessageInfo>>;
}

/** True when `x` was made by {@link defineMachine}. */
export function isMachineDefinition(x: unknown): x is MachineDefinition {
  return typeof x === 'object' && x !== null && (x as MachineDefinition).kind === 'machine';
}

/**
 * Builds a machine actor: handlers per (state, message type), messages saved
 * per state, and the same send/reply/timers as a function actor. A machine
 * receives Start first. In each state a message is handled (its handler's
 * return value is the next state), saved (when the state saves its type; it
 * is looked at again after the next change of state), or dropped with a
 * warning. The state `'*'` stands for every state that has no handler or
 * save of its own for that type. A Stop with no handler ends the machine
 * with Aborted.
 *
 * @example
 * ```ts
 * const door = defineMachine({ name: 'door', states: ['CLOSED', 'OPEN'], initial: 'CLOSED' })
 *   .on('CLOSED', Open, () => 'OPEN')
 *   .save('OPEN', Open)
 *   .on('OPEN', Close, () => 'CLOSED')
 *   .on('*', Stop, (self) => self.complete(self.state));
 * ```
 */
export function defineMachine<const St extends string, S = unknown, D = undefined>(init: {
  name: string;
  states: readonly St[];
  initial: NoInfer<St>;
  data?: (self: MachineContext<St, S, undefined>, settings: S) => D;
}): MachineBuilder<St, S, D> {
  if (!init.states.includes(init.initial)) {
    throw new CallsignError(
      'ERR_INVALID_STATE',
      `initial state ${init.initial} is not one of the states`,
    );
  }
  return new MachineBuilder<St, S, D>({
    ...init,
    handlers: new Map(),
    saves: new Map(),
  });
}

/** The machine definition under construction; see {@link defineMachine}. */
export class MachineBuilder<St extends string, S, D> implements MachineDefinition<S> {
  readonly kind = 'machine' as const;
  /** @internal */
  readonly spec: MachineSpec<St, S, D>;

  /** @internal */
  constructor(spec: MachineSpec<St, S, D>) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Handles messages of `type` in `state` (or `'*'`). */
  on<M extends Message>(
    state: St | '*',
    type: MessageClass<M>,
    handler: MachineHandler<St, S, D, M>,
  ): this {
    this.#checkState(state);
    let byType = this.spec.handlers.get(state);
    if (!byType) {
      byType = new Map();
      this.spec.handlers.set(state, byType);
    }
    byType.set(infoOfClass(type), handler as MachineHandler<St, S, D, Message>);
    return this;
  }

  /** Keeps messages of `types` that arrive in `state` until the state changes. */
  save(state: St | '*', ...types: MessageClass[]): this {
    this.#checkState(state);
    let set = this.spec.saves.get(state);
    if (!set) {
      set = new Set();
      this.spec.saves.set(state, set);
    }
    for (const t of types) set.add(infoOfClass(t));
    return this;
  }

  #checkState(state: string): void {
    if (state !== '*' && !this.spec.states.includes(state as St)) {
      throw new CallsignError('ERR_INVALID_STATE', `${this.spec.name} has no state ${state}`);
    }
  }
}

/** @internal Runs a machine in its cell until it completes. */
export async function runMachine<S>(
  node: Node,
  cell: Cell,
  definition: MachineDefinition<S>,
  settings: S | undefined,
): Promise<unknown> {
  const spec = definition.spec as MachineSpec<string, S | undefined, unknown>;
  const self = new MachineContext<string, S | undefined, unknown>(
    node,
    cell,
    spec.initial,
    settings,
  );
  cell.put({ message: new Start(), from: cell.parent });
  await Promise.resolve();
  if (spec.data)
    self.data = spec.data(self as MachineContext<string, S | undefined, undefined>, settings);

  const handlerFor = (type: MessageInfo | undefined) =>
    type && (spec.handlers.get(self.state)?.get(type) ?? spec.handlers.get('*')?.get(type));
  const examine = (message: Message): Verdict => {
    const type = infoOf(message);
    if (handlerFor(type)) return 'take';
    if (type && (spec.saves.get(self.state)?.has(type) || spec.saves.get('*')?.has(type)))
      return 'save';
    if (message instanceof Stop || message instanceof Start) return 'take';
    return 'drop';
  };

  while (!self.done) {
    const got = cell.next(examine);
    const envelope = got instanceof Promise ? await got : got;
    self.returnAddress = envelope.from;
    const message = envelope.message;
    const handler = handlerFor(infoOf(message));
    if (!handler) {
      if (message instanceof Stop) self.complete(new Aborted({ reason: 'stopped' }));
      continue;
    }
    let next = handler(self, message);
    if (next instanceof Promise) next = await next;
    if (typeof next === 'string') {
      if (!spec.states.includes(next)) {
        throw new CallsignError('ERR_INVALID_STATE', `${spec.name} has no state ${next}`);
      }
      self.state = next;
    }
  }
  return self.done.value;
}
