/**
 * Listeners made when first needed: a node listens on a unix socket once
 * something of its must be reached from another process of the host, and on
 * TCP (all interfaces, an ephemeral port) once something must be reached
 * from another host. Built only on the transport's public `listen` and its
 * messages, for an actor that owns the listeners and passes them the
 * messages it receives.
 *
 * @module
 */
import type { WireErrorCode } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { Listening, NotListening } from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import { listen } from './transport.ts';

/** The kinds of listener: one on this host only, one on the network. */
export type ListenerKind = 'unix' | 'tcp';

/** Options of {@link OnDemandListeners}. */
export interface OnDemandListenersInit {
  /** The endpoint of a new unix listener (a fresh socket path), asked when one is first needed. */
  unixEndpoint: () => string;
  /** The endpoint of a new TCP listener. Default `0.0.0.0:0`: every interface, a free port. */
  tcpEndpoint?: string;
}

/** What {@link OnDemandListeners.need} answers. */
export type ListenAnswer = { kind: 'ready'; endpoints: string[] } | { kind: 'waiting' };

/** What a transport message meant for the listeners. */
export type ListenEvent =
  | { kind: 'listening'; endpoint: string }
  | { kind: 'failed'; listener: ListenerKind; code: WireErrorCode; reason: string };

type State =
  | { state: 'starting'; requested: string }
  | { state: 'listening'; endpoint: string }
  | { state: 'failed'; code: WireErrorCode; reason: string };

/**
 * The node's listeners for sessions, made on demand and kept until the node
 * stops. A failed listener is tried again at the next need.
 *
 * @example
 * ```ts
 * const listeners = new OnDemandListeners(self, { unixEndpoint: () => `unix:${path}` });
 * listeners.need(['unix', 'tcp']); // 'ready' with the endpoints, 'waiting' or 'failed'
 * // later, for every message: listeners.handle(m, self.returnAddress);
 * ```
 */
export class OnDemandListeners {
  readonly #owner: ActorBase;
  readonly #init: OnDemandListenersInit;
  readonly #kinds = new Map<ListenerKind, State>();

  constructor(owner: ActorBase, init: OnDemandListenersInit) {
    this.#owner = owner;
    this.#init = init;
  }

  /**
   * Starts the listeners of `kinds` that do not run (or failed before), and
   * says whether all of them run. A failure comes as a {@link ListenEvent}.
   */
  need(kinds: readonly ListenerKind[]): ListenAnswer {
    let waiting = false;
    for (const kind of kinds) {
      const s = this.#kinds.get(kind);
      if (s?.state === 'listening') continue;
      waiting = true;
      if (s?.state !== 'starting') {
        const requested =
          kind === 'unix' ? this.#init.unixEndpoint() : (this.#init.tcpEndpoint ?? '0.0.0.0:0');
        this.#kinds.set(kind, { state: 'starting', requested });
        listen(this.#owner, requested);
      }
    }
    return waiting ? { kind: 'waiting' } : { kind: 'ready', endpoints: this.endpoints };
  }

  /** What `m` means for the listeners, or undefined when it is not about them. */
  handle(m: Message, from: ActorAddress | undefined): ListenEvent | undefined {
    // The transport sends these with no return address.
    if (from !== undefined) return undefined;
    if (m instanceof Listening) {
      const kind: ListenerKind = m.endpoint.startsWith('unix:') ? 'unix' : 'tcp';
      if (this.#kinds.get(kind)?.state !== 'starting') return undefined;
      this.#kinds.set(kind, { state: 'listening', endpoint: m.endpoint });
      return { kind: 'listening', endpoint: m.endpoint };
    }
    if (m instanceof NotListening) {
      for (const [kind, s] of this.#kinds) {
        if (s.state === 'starting' && s.requested === m.endpoint) {
          this.#kinds.set(kind, { state: 'failed', code: m.code, reason: m.reason });
          return { kind: 'failed', listener: kind, code: m.code, reason: m.reason };
        }
      }
    }
    return undefined;
  }

  /** Where the node listens now: the unix socket first. */
  get endpoints(): string[] {
    const out: string[] = [];
    for (const kind of ['unix', 'tcp'] as const) {
      const s = this.#kinds.get(kind);
      if (s?.state === 'listening') out.push(s.endpoint);
    }
    return out;
  }
}
