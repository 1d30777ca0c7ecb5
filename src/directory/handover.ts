/**
 * How a directory hands its children over to a preferred directory of its
 * realm: every `everyMs` (while it has children) it asks `find` for one
 * (for a LAN directory: one of its realm with a lower id, seen on the LAN
 * again after a partition healed); it connects to it, which proves it is of
 * the realm (the handshake) and reachable; then it sends every child a
 * `Handover` to it and lets the probe go. A directory that fails the probe
 * is reported to `failed`, so a finder can pass over it for a while. The
 * reasoning is in docs/lan.md.
 *
 * @module
 */
import type { WireErrorCode } from '../errors.ts';
import { defineMessage, t } from '../messages/index.ts';
import type { Message } from '../messages/registry.ts';
import { Connected, NotConnected } from '../messages/standard.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase } from '../runtime/context.ts';
import { RetrySchedule } from '../runtime/repeating-task.ts';
import { formatEndpoint, parseEndpoint } from '../transport/endpoint.ts';
import { close, connect } from '../transport/transport.ts';

/** The watch's own timer and finder answers, delivered to its owner. */
export class HandoverCheck extends defineMessage('callsign.dir.HandoverCheck', {
  found: t.optional(t.string),
  /** False for the timer; true when `found` is the finder's answer. */
  answer: t.bool,
}) {}

/** Options of {@link HandoverWatch}. */
export interface HandoverWatchInit {
  /** The endpoint of a preferred directory of the realm, if one is seen now. */
  find: (signal: AbortSignal) => Promise<string | undefined>;
  /** The probe of `endpoint` failed with `code`. */
  failed?: (endpoint: string, code: WireErrorCode) => void;
  /** How often to look, in ms. Default 1000. */
  everyMs?: number;
  /** How long the probe may take, in seconds. Default 2. */
  connectSeconds?: number;
}

/** What a message meant for the watch. */
export type HandoverEvent =
  | { kind: 'hand-over'; endpoint: string }
  | { kind: 'probe-failed'; endpoint: string; code: WireErrorCode; reason: string }
  | { kind: 'quiet' };

/** Watches for a preferred directory and says when to hand the children over to it. */
export class HandoverWatch {
  readonly #owner: ActorBase;
  readonly #init: HandoverWatchInit;
  readonly #timer: RetrySchedule;
  readonly #stopping = new AbortController();
  #probe: string | undefined;
  #asking = false;
  #stopped = false;

  constructor(owner: ActorBase, init: HandoverWatchInit) {
    this.#owner = owner;
    this.#init = init;
    this.#timer = new RetrySchedule({ clock: owner.node.clock });
  }

  /** Starts looking. */
  start(): void {
    this.#next();
  }

  /**
   * What `m` means for the watch (undefined when it is not about it).
   * `hasChildren` says whether there is anyone to hand over.
   */
  handle(
    m: Message,
    from: ActorAddress | undefined,
    hasChildren: boolean,
  ): HandoverEvent | undefined {
    if (this.#stopped) return undefined;
    if (m instanceof HandoverCheck && from?.equals(this.#owner.address)) {
      if (!m.answer) {
        if (hasChildren && !this.#asking && this.#probe === undefined) {
          this.#asking = true;
          this.#init.find(this.#stopping.signal).then(
            (found) => this.#post(new HandoverCheck({ found, answer: true })),
            () => this.#post(new HandoverCheck({ answer: true })),
          );
        } else {
          this.#next();
        }
        return { kind: 'quiet' };
      }
      this.#asking = false;
      if (m.found === undefined || !hasChildren) {
        this.#next();
        return { kind: 'quiet' };
      }
      this.#probe = formatEndpoint(parseEndpoint(m.found));
      connect(this.#owner, this.#probe, { seconds: this.#init.connectSeconds ?? 2 });
      return { kind: 'quiet' };
    }
    if (m instanceof Connected && from && this.#probe !== undefined && m.endpoint === this.#probe) {
      const endpoint = this.#probe;
      this.#probe = undefined;
      close(this.#owner, from, 'handing over');
      this.#next();
      return { kind: 'hand-over', endpoint };
    }
    if (m instanceof NotConnected && this.#probe !== undefined && m.endpoint === this.#probe) {
      const endpoint = this.#probe;
      this.#probe = undefined;
      this.#init.failed?.(endpoint, m.code);
      this.#next();
      return { kind: 'probe-failed', endpoint, code: m.code, reason: m.reason };
    }
    return undefined;
  }

  /** Stops looking. Safe to call twice. */
  stop(): void {
    this.#stopped = true;
    this.#timer.stop();
    this.#stopping.abort();
  }

  #next(): void {
    this.#timer.after(this.#init.everyMs ?? 1000, () =>
      this.#post(new HandoverCheck({ answer: false })),
    );
  }

  #post(m: Message): void {
    if (!this.#stopped) this.#owner.node.send(m, this.#owner.address, this.#owner.address);
  }
}
