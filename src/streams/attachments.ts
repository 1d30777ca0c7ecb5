/**
 * Who is attached to which named consumer, and the rules of the
 * subscription modes: exclusive (one, a second is refused), shared (each
 * delivery to one of them, in turn, within each one's window), failover
 * (one active, the others wait; the first waiting takes over when it goes).
 * Pure: the stream host asks and performs.
 *
 * @module
 */
import type { ConsumerMode } from './config.ts';

/** One client attached to one consumer. */
export interface Attachment<C> {
  readonly client: C;
  readonly window: number;
  readonly metadataOnly: boolean;
  /** Deliveries sent to it and not yet settled: `partition:sequence`. */
  readonly inFlight: Set<string>;
  active: boolean;
}

/** The outcome of {@link ConsumerAttachments.attach}. */
export type AttachOutcome<C> =
  | { readonly kind: 'attached'; readonly attachment: Attachment<C> }
  | { readonly kind: 'busy'; readonly reason: string };

/** The outcome of {@link ConsumerAttachments.detach}. */
export interface DetachOutcome<C> {
  /** A failover standby that is now active. */
  readonly promoted?: Attachment<C>;
  /** Deliveries that were in flight to the client that went: send them again now. */
  readonly orphaned: string[];
}

/** The key of a delivery in an attachment's window. */
export function deliveryKey(partition: number, sequence: number): string {
  return `${partition}:${sequence}`;
}

/** The clients of one named consumer. */
export class ConsumerAttachments<C> {
  readonly mode: ConsumerMode;
  readonly #list: Attachment<C>[] = [];
  /** Which attachment has each delivery in flight. */
  readonly #holder = new Map<string, Attachment<C>>();
  #turn = 0;

  constructor(mode: ConsumerMode) {
    this.mode = mode;
  }

  get size(): number {
    return this.#list.length;
  }

  get attachments(): readonly Attachment<C>[] {
    return this.#list;
  }

  /** Attaches `client`; an exclusive consumer with someone attached refuses. */
  attach(client: C, window: number, metadataOnly: boolean): AttachOutcome<C> {
    const existing = this.#list.find((a) => a.client === client);
    if (existing) return { kind: 'attached', attachment: existing };
    if (this.mode === 'exclusive' && this.#list.length > 0) {
      return { kind: 'busy', reason: 'the consumer is exclusive and already attached' };
    }
    const active = this.mode !== 'failover' || !this.#list.some((a) => a.active);
    const attachment: Attachment<C> = {
      client,
      window: Math.max(1, window),
      metadataOnly,
      inFlight: new Set(),
      active,
    };
    this.#list.push(attachment);
    return { kind: 'attached', attachment };
  }

  /** Detaches `client`; a failover standby takes over from an active one that goes. */
  detach(client: C): DetachOutcome<C> {
    const i = this.#list.findIndex((a) => a.client === client);
    if (i < 0) return { orphaned: [] };
    const [gone] = this.#list.splice(i, 1) as [Attachment<C>];
    const orphaned = [...gone.inFlight];
    for (const key of orphaned) this.#holder.delete(key);
    let promoted: Attachment<C> | undefined;
    if (gone.active && this.mode === 'failover') {
      promoted = this.#list[0];
      if (promoted) promoted.active = true;
    }
    return promoted ? { promoted, orphaned } : { orphaned };
  }

  /** Active attachments with room in their window, the next in turn first (shared mode rotates). */
  ready(): Attachment<C>[] {
    const open = this.#list.filter((a) => a.active && a.inFlight.size < a.window);
    if (open.length <= 1) return open;
    const start = this.#turn++ % open.length;
    return [...open.slice(start), ...open.slice(0, start)];
  }

  /** Records that `key` was sent to `to` (taking it from any other that had it). */
  sent(to: Attachment<C>, key: string): void {
    const before = this.#holder.get(key);
    if (before && before !== to) before.inFlight.delete(key);
    this.#holder.set(key, to);
    to.inFlight.add(key);
  }

  /** Records that `key` was settled (acknowledged, terminated, or asked again). */
  settled(key: string): void {
    const holder = this.#holder.get(key);
    if (!holder) return;
    holder.inFlight.delete(key);
    this.#holder.delete(key);
  }

  /** The attachment of `client`, if it is attached. */
  of(client: C): Attachment<C> | undefined {
    return this.#list.find((a) => a.client === client);
  }
}
