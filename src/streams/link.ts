/**
 * A link to a stream host, found by the stream's name: a small actor
 * subscribes to the name and holds the session; requests wait for it, go
 * out with ids, and resolve with the host's answer (or reject with the code
 * of its refusal). Producers, consumers and the command line each use one.
 *
 * @module
 */
import type { Scope } from '../directory/scope.ts';
import { CallsignError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import { Stop } from '../messages/standard.ts';
import { subscribe } from '../pubsub/api.ts';
import { Available, Dropped, NotAvailable, NotSubscribed } from '../pubsub/messages.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { ActorBase, ActorContext } from '../runtime/context.ts';
import {
  ConsumerActive,
  type ConsumerAttached,
  type ConsumerSettled,
  type StreamAnswer,
  type StreamAppended,
  type StreamAppendedBatch,
  type StreamData,
  StreamDeliveries,
  StreamDelivery,
  type StreamFlushed,
  type StreamRecords,
  StreamRefused,
} from './protocol.ts';

/** Options of a link: where to look for the stream, and how long to wait for it. */
export interface StreamLinkOptions {
  /** How far the search reaches. Default `host`. */
  readonly scope?: Scope;
  /** How long a request waits for the stream to be available, in seconds. Default 10. */
  readonly seconds?: number;
}

type Reply = InstanceType<
  | typeof StreamAppended
  | typeof StreamAppendedBatch
  | typeof StreamRefused
  | typeof StreamFlushed
  | typeof ConsumerAttached
  | typeof ConsumerSettled
  | typeof StreamData
  | typeof StreamAnswer
  | typeof StreamRecords
>;

interface Request {
  readonly build: (id: number) => Message;
  readonly resolve: (m: Reply) => void;
  readonly reject: (err: Error) => void;
  /** Sent again when the session comes back (appends); else it fails with the session. */
  readonly again: boolean;
}

/** A session with the host of one stream (or of the management listing). */
export class StreamLink {
  readonly name: string;
  readonly #owner: ActorBase;
  readonly #seconds: number;
  #actor: ActorAddress | undefined;
  /** The listing actor, while the session is open. */
  #host: ActorAddress | undefined;
  /** The host itself, once it answered: requests go straight to it. */
  #direct: ActorAddress | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Request>();
  readonly #waiting: Request[] = [];
  #closed = false;
  readonly #readyWaiters = new Set<(err?: Error) => void>();
  /** Called with deliveries and other pushes from the host. */
  onPush: (m: Message, from: ActorAddress) => void = () => {};
  /** Called when the session opens (again). */
  onAvailable: () => void = () => {};

  constructor(owner: ActorBase, name: string, options: StreamLinkOptions = {}) {
    this.name = name;
    this.#owner = owner;
    this.#seconds = options.seconds ?? 10;
    const scope = options.scope ?? 'host';
    this.#actor = owner.create(async (self: ActorContext) => this.#run(self, scope), undefined, {
      name: `stream link ${name}`,
    });
  }

  /** True while the session with the host is open. */
  get available(): boolean {
    return this.#host !== undefined;
  }

  /** The link's own actor (the sender of its requests). */
  get address(): ActorAddress {
    return this.#actor as ActorAddress;
  }

  async #run(self: ActorContext, scope: Scope): Promise<void> {
    subscribe(self, this.name, { scope });
    for (;;) {
      const m = await self.select();
      const from = self.returnAddress;
      if (m instanceof Stop) break;
      if (m instanceof Available && from) {
        this.#host = from;
        this.#direct = undefined;
        for (const r of this.#pending.values()) if (r.again) this.#waiting.push(r);
        this.#pending.clear();
        for (const r of this.#waiting.splice(0)) this.#send(r);
        for (const done of [...this.#readyWaiters]) done();
        this.onAvailable();
      } else if (m instanceof Dropped) {
        if (!this.#host || !from?.equals(this.#host)) continue;
        this.#host = undefined;
        this.#direct = undefined;
        for (const [id, r] of this.#pending) {
          if (r.again) continue;
          this.#pending.delete(id);
          r.reject(
            new CallsignError(
              'ERR_NOT_AVAILABLE',
              `the session with ${this.name} ended: ${m.reason} (${m.code})`,
            ),
          );
        }
      } else if (m instanceof NotSubscribed || m instanceof NotAvailable) {
        self.warning(`stream ${this.name}: ${m.reason} (${m.code})`);
      } else if ('id' in m && typeof m.id === 'number' && this.#pending.has(m.id)) {
        const r = this.#pending.get(m.id) as Request;
        this.#pending.delete(m.id);
        if (from && this.#host) this.#direct = from;
        if (m instanceof StreamRefused) r.reject(new CallsignError(m.code as never, m.reason));
        else r.resolve(m as Reply);
      } else if (
        (m instanceof StreamDelivery ||
          m instanceof StreamDeliveries ||
          m instanceof ConsumerActive) &&
        from
      ) {
        this.onPush(m, from);
      }
    }
    this.#close('the link ended');
  }

  #send(r: Request): void {
    const to = this.#direct ?? this.#host;
    if (!to || this.#closed) {
      this.#waiting.push(r);
      return;
    }
    const id = this.#nextId++;
    this.#pending.set(id, r);
    this.#owner.node.send(r.build(id), to, this.address);
  }

  /** Sends a message that has no answer (acknowledgements); false when there is no session. */
  tell(m: Message): boolean {
    const to = this.#direct ?? this.#host;
    if (!to || this.#closed) return false;
    this.#owner.node.send(m, to, this.address);
    return true;
  }

  /**
   * Sends a request built with its id and resolves with the answer. It waits
   * for the session (at most the link's `seconds`, else `ERR_NOT_AVAILABLE`).
   */
  request<R extends Reply>(build: (id: number) => Message, again = false): Promise<R> {
    if (this.#closed)
      return Promise.reject(new CallsignError('ERR_CLOSED', `the link to ${this.name} is closed`));
    return new Promise<R>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r: Request = {
        build,
        again,
        resolve: (m) => {
          if (timer) clearTimeout(timer);
          resolve(m as R);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      if (!this.available) {
        timer = setTimeout(() => {
          const i = this.#waiting.indexOf(r);
          if (i < 0) return;
          this.#waiting.splice(i, 1);
          reject(
            new CallsignError(
              'ERR_NOT_AVAILABLE',
              `stream ${this.name} was not available within ${this.#seconds} s`,
            ),
          );
        }, this.#seconds * 1000);
        timer.unref?.();
      }
      this.#send(r);
    });
  }

  /** Resolves once the session is open (rejects after the link's `seconds`). */
  ready(): Promise<void> {
    if (this.available) return Promise.resolve();
    if (this.#closed)
      return Promise.reject(new CallsignError('ERR_CLOSED', `the link to ${this.name} is closed`));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(done);
        reject(
          new CallsignError(
            'ERR_NOT_AVAILABLE',
            `stream ${this.name} was not available within ${this.#seconds} s`,
          ),
        );
      }, this.#seconds * 1000);
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.#readyWaiters.delete(done);
        if (err) reject(err);
        else resolve();
      };
      this.#readyWaiters.add(done);
    });
  }

  #close(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new CallsignError('ERR_CLOSED', `the link to ${this.name} closed: ${why}`);
    for (const r of [...this.#pending.values(), ...this.#waiting.splice(0)]) r.reject(err);
    this.#pending.clear();
    for (const done of [...this.#readyWaiters]) done(err);
  }

  /** Ends the link (its session ends; what waits fails with `ERR_CLOSED`). */
  close(): void {
    if (this.#actor && !this.#closed) this.#owner.node.send(new Stop(), this.#actor);
    this.#close('closed by its owner');
  }
}
