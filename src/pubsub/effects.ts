/**
 * What the pure parts of a node's directory decide, for its actor to do.
 * The decisions are data, so tests read them without sockets or timers.
 *
 * @module
 */
import type { Message } from '../messages/registry.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { OverflowPolicy } from '../transport/overflow.ts';
import type { RelayPass } from '../transport/relay/pass.ts';

/** One thing for the directory actor to do. */
export type Effect =
  /** Send `message` to `to` (a local actor, or another node's directory), as from `from`. */
  | { kind: 'send'; message: Message; to: ActorAddress; from?: ActorAddress }
  /** Send `message` to the directory above, if connected (what is not sent goes in the next Sync). */
  | { kind: 'up'; message: Message }
  /**
   * Reach the directory of the node at `endpoints` for session `sessionId`
   * (`local`: on this host), giving up after `seconds` (the pool's default
   * when absent).
   */
  | {
      kind: 'connect';
      sessionId: string;
      endpoints: readonly string[];
      local: boolean;
      seconds?: number;
    }
  /** Tell the directory `RetryRoute` for this route after `ms`. */
  | { kind: 'retry'; searchId: string; key: string; listingId: string; ms: number }
  /** Tell the directory `OpenDeadline` for `sessionId` after `ms`. */
  | { kind: 'deadline'; sessionId: string; ms: number }
  /** Session `sessionId` waits no more (open, or ended): cancel its deadline and connection wait. */
  | { kind: 'cancel-open'; sessionId: string }
  /**
   * Hold `pass` to the WAN relay (the node's relay session), and with
   * `listen` accept the circuits other nodes open to this one through it.
   */
  | { kind: 'relay'; pass: RelayPass; listen: boolean }
  /**
   * What `sender` (local) sends `remote` (the other party of a session, on
   * another node) waits or is dropped by `policy` when that node cannot take
   * more (`limit`: the node's default when undefined).
   */
  | {
      kind: 'overflow';
      sender: ActorAddress;
      remote: ActorAddress;
      policy: OverflowPolicy;
      limit: number | undefined;
    }
  /** Tell the directory `ActorEnded` when local actor `actor` ends. */
  | { kind: 'watch'; actor: ActorAddress }
  /** Log `text`. */
  | { kind: 'log'; level: 'WARNING' | 'DEBUG'; text: string };

/** An effect that sends `message` to `to`. */
export function send(message: Message, to: ActorAddress, from?: ActorAddress): Effect {
  return from === undefined ? { kind: 'send', message, to } : { kind: 'send', message, to, from };
}
