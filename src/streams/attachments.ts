/**
 * Who is attached to which named consumer, and the rules of the
 * subscription modes: exclusive (one, a second is refused), shared (each
 * delivery to one of them, in turn, within each one's window), failover
 * (one active, the others wait; the first waiting takes over when it goes).
 * Pure: the stream host asks and performs.
 *
 * @module
 */
import type { ConsumerMode } from './consumer-config.ts';

/** One client attached to one consumer. */
export interface Attachment<C> {
  readonly client: C;
  readonly window: number;
  readonly metadataOnly: boolean;
  /** Deliveries sent to it and not yet settled, by partition. */
  readonly inFlight: Map<number, Set<number>>;
  /** How many deliveries are in flight to it. */
  count: number;
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
  /** Deliveries that were in flight to the client that went (partition, sequence, ...): send them again now. */
  readonly orphaned: number[];
}

/** The clients of one named consumer. */
export class ConsumerAttachments<C> {
  readonly mode: ConsumerMode;
  readonly #list: Attachment<C>[] = [];
  /** Which attachment has each delivery in flight, by partition and sequence. */
  readonly #holder = new Map<number, Map<number, Attachment<C>>>();
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
      inFlight: new Map(),
      count: 0,
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
    const orphaned: number[] = [];
    for (const [partition, seqs] of gone.inFlight) {
      const held = this.#holder.get(partition);
      for (const seq of seqs) {
        orphaned.push(partition, seq);
        held?.delete(seq);
      }
    }
    gone.inFlight.clear();
    gone.count = 0;
    let promoted: Attachment<C> | undefined;
    if (gone.active && this.mode === 'failover') {
      promoted = this.#list[0];
      if (promoted) promoted.active = true;
    }
    return promoted ? { promoted, orphaned } : { orphaned };
  }

  /** Active attachments with room in their window, the next in turn first (shared mode rotates). */
  ready(): Attachment<C>[] {
    const open = this.#list.filter((a) => a.active && a.count < a.window);
    if (open.length <= 1) return open;
    const start = this.#turn++ % open.length;
    return [...open.slice(start), ...open.slice(0, start)];
  }

  /** Records that `sequence` of `partition` was sent to `to` (taking it from any other that had it). */
  sent(to: Attachment<C>, partition: number, sequence: number): void {
    let held = this.#holder.get(partition);
    if (!held) {
      held = new Map();
      this.#holder.set(partition, held);
    }
    const before = held.get(sequence);
    if (before === to) return;
    if (before) this.#drop(before, partition, sequence);
    held.set(sequence, to);
    let seqs = to.inFlight.get(partition);
    if (!seqs) {
      seqs = new Set();
      to.inFlight.set(partition, seqs);
    }
    seqs.add(sequence);
    to.count++;
  }

  #drop(a: Attachment<C>, partition: number, sequence: number): void {
    if (a.inFlight.get(partition)?.delete(sequence)) a.count--;
  }

  /** Records that a delivery was settled (acknowledged, terminated, or asked again). */
  settled(partition: number, sequence: number): void {
    const held = this.#holder.get(partition);
    const a = held?.get(sequence);
    if (!a || !held) return;
    held.delete(sequence);
    this.#drop(a, partition, sequence);
  }

  /** Records that the deliveries from `from` to `to` of `partition` were settled. */
  settledRange(partition: number, from: number, to: number): void {
    const held = this.#holder.get(partition);
    if (!held || !(to >= from)) return;
    if (to - from < held.size) {
      for (let seq = from; seq <= to; seq++) this.settled(partition, seq);
    } else {
      for (const seq of [...held.keys()])
        if (seq >= from && seq <= to) this.settled(partition, seq);
    }
  }

  /** The attachment of `client`, if it is attached. */
  of(client: C): Attachment<C> | undefined {
    return this.#list.find((a) => a.client === client);
  }
}
