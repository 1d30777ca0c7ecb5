/**
 * Runtime control messages from the network. `Stop`, `Start`, `Completed`,
 * `Faulted`, the transport's `Connected`, `Closed`, `Abandoned` and the like
 * are this node's own word to its actors: most actors end on `Stop`, and a
 * directory actor takes `Connected` and `Abandoned` for news about its
 * links. A peer may still encode them, so a node admits one that arrives
 * over a connection only to an actor that has a session with its sender,
 * as a {@link ControlGate} (the node's directory) knows; every other is
 * refused with `ERR_CONTROL_REFUSED` (see Node.deliver).
 *
 * @module
 */
import type { Message } from '../messages/registry.ts';
import {
  Abandoned,
  Aborted,
  Accepted,
  Closed,
  Completed,
  Connected,
  Faulted,
  Listening,
  NotConnected,
  NotListening,
  SelectTimer,
  Start,
  Stop,
  TimedOut,
} from '../messages/standard.ts';
import type { ActorAddress } from './address.ts';

/** Type names of the messages only this node's runtime and transport send its actors. */
export const CONTROL_MESSAGES: ReadonlySet<string> = new Set(
  [
    Start,
    Stop,
    Completed,
    Aborted,
    TimedOut,
    Faulted,
    SelectTimer,
    Listening,
    NotListening,
    Connected,
    NotConnected,
    Accepted,
    Closed,
    Abandoned,
  ].map((c) => c.typeName),
);

/** True when local actor `to` has a session with remote actor `from`, so `from` may send it control messages. */
export type ControlGate = (to: ActorAddress, from: ActorAddress) => boolean;

/** True when `message` is one of {@link CONTROL_MESSAGES}. */
export function isControlMessage(message: Message): boolean {
  const name = (message.constructor as { typeName?: string }).typeName;
  return name !== undefined && CONTROL_MESSAGES.has(name);
}
