/**
 * The link from a directory (a node's own, or a group, host or LAN
 * directory) to the directory above it: connected in the background,
 * retried with jittered backoff on the node's clock, moved when the
 * directory above hands its children over to another. The owner is an actor
 * that passes every message it receives to {@link ParentLink.handle} and acts
 * on the {@link ParentEvent}s it answers; the link never changes anything
 * outside the owner's own turn.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import type { ErrorCode, WireErrorCode } from '../errors.ts';
import { defineMessage, t } from '../messages/index.ts';
import type { Message } from '../messages/registry.ts';
import { Abandoned, Closed, Connected, NotConnected } from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import { type BackoffInit, background, RetrySchedule } from '../runtime/repeating-task.ts';
import { formatEndpoint, parseEndpoint } from '../transport/endpoint.ts';
import { close, connect } from '../transport/transport.ts';
import { Handover } from './protocol.ts';

/** The link's own timer, delivered to its owner. */
export class ParentLinkTimer extends defineMessage('callsign.dir.ParentLinkTimer', {
  what: t.enumOf(['retry', 'settle']),
}) {}

/** The answer of the owner's `find`, delivered to its owner. */
export class ParentFound extends defineMessage('callsign.dir.ParentFound', {
  endpoint: t.optional(t.string),
}) {}

/** Options of {@link ParentLink}. */
export interface ParentLinkInit {
  /** The directory above, when it is at a fixed endpoint. */
  endpoint?: string;
  /** Finds the directory above before each attempt instead (undefined: none yet, ask again soon). */
  find?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Told when a connection failed or was lost, with its code (so a finder can look elsewhere). */
  failed?: (endpoint: string, code: WireErrorCode) => void;
  /** How long one connection attempt may take, in seconds. Default 5. */
  connectSeconds?: number;
  /** Delays between failed attempts. Default 100 ms growing to 1 s. */
  backoff?: BackoffInit;
  /** Delays after a refusal (wrong realm, version, trust). Default 1 s growing to 15 s. */
  refusedBackoff?: BackoffInit;
  /** How long the first attempt may take before the link counts as settled, in ms. Default 3000. */
  settleMs?: number;
}

/** What a message meant for the link. */
export type ParentEvent =
  /** Connected (again, or to the directory it was handed over to): push the tables up. */
  | { kind: 'connected'; parent: ActorAddress; endpoint: string }
  /** The connection above ended; the link tries again. */
  | { kind: 'lost'; endpoint: string; code: WireErrorCode; reason: string }
  /** An attempt failed; `refused` when the directory refused this node (wrong realm, version, trust). */
  | {
      kind: 'failed';
      endpoint: string | undefined;
      code: WireErrorCode;
      reason: string;
      refused: boolean;
    }
  /** The directory above handed its children over to another: routes from above may be stale. */
  | { kind: 'moving'; from: string; to: string }
  /** The first attempt is still going after `settleMs`: answer what waited for it. */
  | { kind: 'settled' }
  /** Handled; nothing for the owner to do. */
  | { kind: 'quiet' };

/** Codes with which a directory refuses a node, as opposed to not being there. */
const REFUSALS: ReadonlySet<string> = new Set<ErrorCode>([
  'ERR_WRONG_REALM',
  'ERR_PROTOCOL_VERSION',
  'ERR_PEER_NOT_TRUSTED',
  'ERR_PEER_KEY_MISMATCH',
  'ERR_WAN_NOT_ADMITTED',
  'ERR_WAN_LIMIT',
]);

/** An endpoint of a transport with a scheme of its own (`wan:...`). */
const OTHER_SCHEME = /^[a-z][a-z0-9+.-]*:./;

/** True when `code` says a directory refused this node (rather than not answering). */
export function isRefusal(code: string): boolean {
  return REFUSALS.has(code);
}

type State = 'idle' | 'finding' | 'connecting' | 'connected' | 'waiting' | 'stopped';

/**
 * The link to the directory above.
 *
 * @example
 * ```ts
 * const link = new ParentLink(self, { endpoint: 'unix:/tmp/callsign-1000/host.sock' });
 * link.start();
 * for (;;) {
 *   const m = await self.select();
 *   const event = link.handle(m, self.returnAddress);
 *   if (event?.kind === 'connected') self.send(new Sync({ ... }), event.parent);
 * }
 * ```
 */
export class ParentLink {
  readonly #owner: ActorBase;
  readonly #init: ParentLinkInit;
  readonly #retries: RetrySchedule;
  readonly #refusedRetries: RetrySchedule;
  readonly #stopping = new AbortController();
  #state: State = 'idle';
  #target: string | undefined;
  /** The next attempt goes here rather than to `find` (a handover). */
  #handedTo: string | undefined;
  #parent: ActorAddress | undefined;
  /** Parents left behind (a move): their Closed/Abandoned is not news. */
  readonly #retired: ActorAddress[] = [];
  #settled = false;
  #settleTimer: unknown;
  #refusal: { endpoint: string | undefined; code: WireErrorCode; reason: string } | undefined;

  constructor(owner: ActorBase, init: ParentLinkInit) {
    this.#owner = owner;
    this.#init = init;
    const clock = owner.node.clock;
    this.#retries = new RetrySchedule({ clock, initialMs: 100, maxMs: 1000, ...init.backoff });
    this.#refusedRetries = new RetrySchedule({
      clock,
      initialMs: 1000,
      maxMs: 15_000,
      ...init.refusedBackoff,
    });
  }

  /** The directory above while connected to it. */
  get parent(): ActorAddress | undefined {
    return this.#parent;
  }

  /** The endpoint connected to, or tried last. */
  get endpoint(): string | undefined {
    return this.#target;
  }

  /** True once the first attempt has ended (or taken longer than `settleMs`). */
  get settled(): boolean {
    return this.#settled;
  }

  /** The refusal of the last attempt, until an attempt connects. */
  get refusal(): { endpoint: string | undefined; code: WireErrorCode; reason: string } | undefined {
    return this.#refusal;
  }

  /** Starts connecting; answers the first event when it is known at once (no socket there). */
  start(): ParentEvent | undefined {
    if (this.#state !== 'idle') return undefined;
    const ms = this.#init.settleMs ?? 3000;
    this.#settleTimer = background(
      this.#owner.node.clock.after(ms, () => this.#post(new ParentLinkTimer({ what: 'settle' }))),
    );
    return this.#attempt();
  }

  /** What `m` (from `from`) means for the link; undefined when it is not about the parent. */
  handle(m: Message, from: ActorAddress | undefined): ParentEvent | undefined {
    if (this.#state === 'stopped') return undefined;
    const own = from?.equals(this.#owner.address) === true;
    if (m instanceof ParentLinkTimer && own) {
      if (m.what === 'retry') return this.#attempt() ?? { kind: 'quiet' };
      if (this.#settled) return { kind: 'quiet' };
      this.#settled = true;
      return { kind: 'settled' };
    }
    if (m instanceof ParentFound && own) {
      if (this.#state !== 'finding') return { kind: 'quiet' };
      if (m.endpoint === undefined) {
        this.#state = 'waiting';
        this.#retries.after(500, () => this.#post(new ParentLinkTimer({ what: 'retry' })));
        return { kind: 'quiet' };
      }
      return this.#connectTo(m.endpoint) ?? { kind: 'quiet' };
    }
    if (m instanceof Connected && from && this.#state === 'connecting') {
      if (m.endpoint !== this.#target) return undefined;
      this.#state = 'connected';
      this.#parent = from;
      this.#refusal = undefined;
      this.#settle();
      this.#retries.succeeded();
      this.#refusedRetries.succeeded();
      return { kind: 'connected', parent: from, endpoint: m.endpoint };
    }
    if (m instanceof NotConnected && this.#state === 'connecting') {
      if (m.endpoint !== this.#target) return undefined;
      return this.#failed(m.code, m.reason);
    }
    if ((m instanceof Abandoned || m instanceof Closed) && from) {
      const retired = this.#retired.findIndex((r) => r.equals(from));
      if (retired >= 0) {
        this.#retired.splice(retired, 1);
        return { kind: 'quiet' };
      }
      if (!this.#parent?.equals(from)) return undefined;
      const endpoint = this.#target as string;
      const code = m instanceof Abandoned ? m.code : (m.code ?? 'ERR_CLOSED');
      this.#parent = undefined;
      this.#state = 'waiting';
      this.#init.failed?.(endpoint, code);
      // Connected for a while: start again quickly.
      this.#retries.after(100, () => this.#post(new ParentLinkTimer({ what: 'retry' })));
      return { kind: 'lost', endpoint, code, reason: m.reason ?? 'the connection ended' };
    }
    if (m instanceof Handover && from && this.#parent?.equals(from)) {
      const to = formatEndpoint(parseEndpoint(m.endpoint));
      const previous = this.#target as string;
      if (to === previous) return { kind: 'quiet' };
      this.moveTo(to);
      return { kind: 'moving', from: previous, to };
    }
    return undefined;
  }

  /** Leaves the directory above (if connected) for the one at `endpoint`. */
  moveTo(endpoint: string): void {
    if (this.#state === 'stopped') return;
    if (this.#parent) {
      this.#retired.push(this.#parent);
      close(this.#owner, this.#parent, `moving to ${endpoint}`);
      this.#parent = undefined;
    }
    this.#handedTo = endpoint;
    this.#retries.cancel();
    this.#refusedRetries.cancel();
    this.#state = 'waiting';
    this.#attempt();
  }

  /** Stops trying; the connection itself ends with the node. Safe to call twice. */
  stop(): void {
    this.#state = 'stopped';
    this.#retries.stop();
    this.#refusedRetries.stop();
    this.#stopping.abort();
    if (this.#settleTimer !== undefined) this.#owner.node.clock.clear(this.#settleTimer);
  }

  #attempt(): ParentEvent | undefined {
    if (this.#state === 'stopped' || this.#state === 'connected') return undefined;
    const handedTo = this.#handedTo;
    this.#handedTo = undefined;
    if (handedTo !== undefined) return this.#connectTo(handedTo);
    if (this.#init.find) {
      this.#state = 'finding';
      this.#init.find(this.#stopping.signal).then(
        (endpoint) => this.#post(new ParentFound({ endpoint })),
        () => this.#post(new ParentFound({})),
      );
      return undefined;
    }
    if (this.#init.endpoint === undefined) return undefined;
    return this.#connectTo(this.#init.endpoint);
  }

  #connectTo(text: string): ParentEvent | undefined {
    let target: string;
    let p: ReturnType<typeof parseEndpoint> | undefined;
    try {
      p = parseEndpoint(text);
      target = formatEndpoint(p);
    } catch {
      // Another transport's endpoint (`wan:<access file>`, for a WAN directory): as it is.
      if (!OTHER_SCHEME.test(text)) {
        return this.#failed('ERR_INVALID_ENDPOINT', `not an endpoint: ${text}`);
      }
      target = text;
    }
    this.#target = target;
    if (p?.kind === 'unix' && !existsSync(p.path)) {
      // Nobody there yet: no need to try the socket.
      return this.#failed('ERR_CONNECT_FAILED', `no socket at ${p.path}`, false);
    }
    this.#state = 'connecting';
    connect(this.#owner, target, { seconds: this.#init.connectSeconds ?? 5 });
    return undefined;
  }

  #failed(code: WireErrorCode, reason: string, tell = true): ParentEvent {
    const refused = isRefusal(code);
    const endpoint = this.#target;
    this.#state = 'waiting';
    this.#refusal = refused ? { endpoint, code, reason } : undefined;
    this.#settle();
    if (tell && endpoint !== undefined) this.#init.failed?.(endpoint, code);
    const retry = () => this.#post(new ParentLinkTimer({ what: 'retry' }));
    if (refused) this.#refusedRetries.failed(retry);
    else this.#retries.failed(retry);
    return { kind: 'failed', endpoint, code, reason, refused };
  }

  #settle(): void {
    this.#settled = true;
    if (this.#settleTimer !== undefined) this.#owner.node.clock.clear(this.#settleTimer);
    this.#settleTimer = undefined;
  }

  #post(m: Message): void {
    if (this.#state === 'stopped') return;
    this.#owner.node.send(m, this.#owner.address, this.#owner.address);
  }
}
