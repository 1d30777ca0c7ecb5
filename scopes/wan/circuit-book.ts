/**
 * The relay's circuits, as pure decisions: which session each peer of each
 * tenant is reached at, which circuit end is joined to which, and the
 * limits. It answers what to send; the forwarder sends it. A tenant's
 * sessions reach only that tenant's peers: a foreign tenant's OPEN is
 * answered exactly as for a peer that is not there. docs/wan.md.
 *
 * Circuit ids are per session: a node numbers the circuits it opens with
 * odd ids; the relay numbers the circuits it brings to a node with even ids.
 *
 * @module
 */
import type { ErrorCode } from '../../src/errors.ts';

/** A session the book knows: a node of a site of a tenant. */
export interface SessionInfo {
  readonly id: number;
  readonly tenant: string;
  readonly site: string;
  readonly peer: string;
}

/** Limits the book applies; see {@link TenantLimits}. */
export interface CircuitLimits {
  sessions: number;
  circuits: number;
  circuitsPerSession: number;
}

/** What to send, to which session. */
export type CircuitOutput =
  | { kind: 'incoming'; session: number; circuit: number }
  | { kind: 'opened'; session: number; circuit: number }
  | { kind: 'close'; session: number; circuit: number; code: ErrorCode };

/** One end of a circuit. */
export interface CircuitEnd {
  readonly session: number;
  readonly circuit: number;
}

interface Session extends SessionInfo {
  /** Circuit id here → the other end. */
  readonly circuits: Map<number, CircuitEnd>;
  nextIncoming: number;
  pendingOpens: number;
}

interface PendingOpen {
  readonly from: CircuitEnd;
  readonly tenant: string;
  readonly peer: string;
  readonly until: number;
}

/**
 * The session of a circuit end at another relay (`--nats`): its `circuit` is
 * then the token by which {@link RemoteCircuits} knows it. Real sessions
 * are numbered from 1.
 */
export const REMOTE_SESSION = 0;

/** How many OPENs one session may have waiting for their peer. */
const MAX_PENDING_PER_SESSION = 64;

/** The relay's circuits: see the module. */
export class CircuitBook {
  readonly #sessions = new Map<number, Session>();
  /** `tenant\0peer` → sessions registered as that peer, newest last. */
  readonly #peers = new Map<string, number[]>();
  readonly #perTenant = new Map<string, { sessions: number; circuits: number }>();
  readonly #pending: PendingOpen[] = [];
  readonly #limits: (tenant: string) => CircuitLimits;
  readonly #waitMs: number;

  /**
   * `limits` gives a tenant's limits; an OPEN to a peer that is not there
   * waits up to `waitMs` for it (a node reconnecting after the relay came
   * back), then is refused.
   */
  constructor(limits: (tenant: string) => CircuitLimits, waitMs = 3000) {
    this.#limits = limits;
    this.#waitMs = waitMs;
  }

  #counts(tenant: string) {
    let c = this.#perTenant.get(tenant);
    if (!c) {
      c = { sessions: 0, circuits: 0 };
      this.#perTenant.set(tenant, c);
    }
    return c;
  }

  /** A tenant's sessions and circuits now. */
  counts(tenant: string): { sessions: number; circuits: number } {
    return { ...this.#counts(tenant) };
  }

  /**
   * An admitted session: refused (`ERR_WAN_LIMIT`) past the tenant's limit;
   * otherwise registered as its peer, with the OPENs that waited for it.
   */
  addSession(
    info: SessionInfo,
    now: number,
  ): { refused: ErrorCode } | { outputs: CircuitOutput[] } {
    const counts = this.#counts(info.tenant);
    if (counts.sessions >= this.#limits(info.tenant).sessions) return { refused: 'ERR_WAN_LIMIT' };
    counts.sessions++;
    this.#sessions.set(info.id, { ...info, circuits: new Map(), nextIncoming: 2, pendingOpens: 0 });
    const key = peerKey(info.tenant, info.peer);
    const list = this.#peers.get(key) ?? [];
    list.push(info.id);
    this.#peers.set(key, list);
    const outputs: CircuitOutput[] = [];
    for (const p of [...this.#pending]) {
      if (p.tenant !== info.tenant || p.peer !== info.peer) continue;
      this.#dropPending(p);
      if (p.until >= now) outputs.push(...this.#join(p.from, info.id));
    }
    return { outputs };
  }

  /** A session has ended: every circuit through it ends at the other end too. */
  removeSession(id: number): CircuitOutput[] {
    const s = this.#sessions.get(id);
    if (!s) return [];
    this.#sessions.delete(id);
    const counts = this.#counts(s.tenant);
    counts.sessions--;
    const key = peerKey(s.tenant, s.peer);
    const list = (this.#peers.get(key) ?? []).filter((x) => x !== id);
    if (list.length > 0) this.#peers.set(key, list);
    else this.#peers.delete(key);
    for (const p of [...this.#pending]) if (p.from.session === id) this.#dropPending(p);
    const out: CircuitOutput[] = [];
    for (const far of s.circuits.values()) {
      counts.circuits--;
      const other = this.#sessions.get(far.session);
      if (!other) continue;
      other.circuits.delete(far.circuit);
      out.push({
        kind: 'close',
        session: far.session,
        circuit: far.circuit,
        code: 'ERR_CONNECTION_LOST',
      });
    }
    return out;
  }

  /**
   * OPEN from `session` of `circuit` to `peer`: joined to the peer's newest
   * session, waiting for it, or refused (`ERR_NOT_AVAILABLE`, `ERR_WAN_LIMIT`,
   * `ERR_MALFORMED_FRAME` for an id that is not the session's to choose).
   */
  open(session: number, circuit: number, peer: string, now: number): CircuitOutput[] {
    const s = this.#sessions.get(session);
    if (!s) return [];
    const refuse = (code: ErrorCode): CircuitOutput[] => [
      { kind: 'close', session, circuit, code },
    ];
    const refused = this.#openRefusal(s, circuit);
    if (refused) return refuse(refused);
    const limits = this.#limits(s.tenant);
    const target = this.#peers.get(peerKey(s.tenant, peer))?.at(-1);
    if (target !== undefined) {
      const t = this.#sessions.get(target);
      if (t && t.circuits.size >= limits.circuitsPerSession) return refuse('ERR_WAN_LIMIT');
      return this.#join({ session, circuit }, target);
    }
    if (s.pendingOpens >= MAX_PENDING_PER_SESSION) return refuse('ERR_WAN_LIMIT');
    s.pendingOpens++;
    this.#pending.push({
      from: { session, circuit },
      tenant: s.tenant,
      peer,
      until: now + this.#waitMs,
    });
    return [];
  }

  /** OPENs that waited too long for their peer: refused with `ERR_NOT_AVAILABLE`. */
  expire(now: number): CircuitOutput[] {
    const out: CircuitOutput[] = [];
    for (const p of [...this.#pending]) {
      if (p.until > now) continue;
      this.#dropPending(p);
      out.push({ kind: 'close', ...p.from, code: 'ERR_NOT_AVAILABLE' });
    }
    return out;
  }

  /** True while OPENs wait for their peers (the forwarder ticks `expire` then). */
  get waiting(): boolean {
    return this.#pending.length > 0;
  }

  /** The other end of `circuit` of `session` (DATA goes there), if joined. */
  route(session: number, circuit: number): CircuitEnd | undefined {
    return this.#sessions.get(session)?.circuits.get(circuit);
  }

  /** CLOSE from `session` of `circuit`: passed to the other end with its code. */
  close(session: number, circuit: number, code: ErrorCode): CircuitOutput[] {
    const s = this.#sessions.get(session);
    if (!s) return [];
    const waiting = this.#pending.find(
      (p) => p.from.session === session && p.from.circuit === circuit,
    );
    if (waiting) {
      this.#dropPending(waiting);
      return [];
    }
    const far = s.circuits.get(circuit);
    if (!far) return [];
    s.circuits.delete(circuit);
    this.#counts(s.tenant).circuits--;
    const other = this.#sessions.get(far.session);
    other?.circuits.delete(far.circuit);
    return other ? [{ kind: 'close', session: far.session, circuit: far.circuit, code }] : [];
  }

  /** The sessions of `site` of `tenant` (all of them when `site` is undefined), to cut on revocation. */
  sessionsOf(tenant: string, site?: string): number[] {
    const out: number[] = [];
    for (const s of this.#sessions.values()) {
      if (s.tenant === tenant && (site === undefined || s.site === site)) out.push(s.id);
    }
    return out;
  }

  /** How many circuits `session` holds. */
  circuitsOf(session: number): number {
    return this.#sessions.get(session)?.circuits.size ?? 0;
  }

  /** The session's record, if it is known. */
  session(id: number): SessionInfo | undefined {
    return this.#sessions.get(id);
  }

  /** True when a session of `peer` of `tenant` is open at this relay. */
  hasPeer(tenant: string, peer: string): boolean {
    return this.#peers.has(peerKey(tenant, peer));
  }

  /**
   * OPEN from `session` of `circuit` to a peer at another relay: the circuit
   * is held, its other end the remote `token`. Gives the refusal to send, as
   * {@link open} would, or undefined when it is held.
   */
  openRemote(session: number, circuit: number, token: number): CircuitOutput[] | undefined {
    const s = this.#sessions.get(session);
    if (!s) return [];
    const refused = this.#openRefusal(s, circuit);
    if (refused) return [{ kind: 'close', session, circuit, code: refused }];
    s.circuits.set(circuit, { session: REMOTE_SESSION, circuit: token });
    this.#counts(s.tenant).circuits++;
    return undefined;
  }

  /**
   * A circuit from another relay to `peer` of `tenant`, whose end there is
   * the remote `token`: brought to the peer's newest session here, or
   * refused (`ERR_NOT_AVAILABLE`, `ERR_WAN_LIMIT`).
   */
  acceptRemote(
    tenant: string,
    peer: string,
    token: number,
  ): { refused: ErrorCode } | { session: number; circuit: number; outputs: CircuitOutput[] } {
    const targetId = this.#peers.get(peerKey(tenant, peer))?.at(-1);
    const target = targetId === undefined ? undefined : this.#sessions.get(targetId);
    if (!target || targetId === undefined) return { refused: 'ERR_NOT_AVAILABLE' };
    const limits = this.#limits(tenant);
    if (target.circuits.size >= limits.circuitsPerSession) return { refused: 'ERR_WAN_LIMIT' };
    if (this.#counts(tenant).circuits >= limits.circuits) return { refused: 'ERR_WAN_LIMIT' };
    let id = target.nextIncoming;
    while (target.circuits.has(id)) id = id >= 0x7ffffffe ? 2 : id + 2;
    target.nextIncoming = id >= 0x7ffffffe ? 2 : id + 2;
    target.circuits.set(id, { session: REMOTE_SESSION, circuit: token });
    this.#counts(tenant).circuits++;
    return {
      session: targetId,
      circuit: id,
      outputs: [{ kind: 'incoming', session: targetId, circuit: id }],
    };
  }

  /** The other relay ended a circuit joined to it: the local end is told with `code`. */
  closeRemote(session: number, circuit: number, code: ErrorCode): CircuitOutput[] {
    const s = this.#sessions.get(session);
    const far = s?.circuits.get(circuit);
    if (!s || !far || far.session !== REMOTE_SESSION) return [];
    s.circuits.delete(circuit);
    this.#counts(s.tenant).circuits--;
    return [{ kind: 'close', session, circuit, code }];
  }

  /** The circuits of `session` whose other end is at another relay, with their tokens. */
  remoteCircuitsOf(session: number): { circuit: number; token: number }[] {
    const out: { circuit: number; token: number }[] = [];
    for (const [circuit, far] of this.#sessions.get(session)?.circuits ?? []) {
      if (far.session === REMOTE_SESSION) out.push({ circuit, token: far.circuit });
    }
    return out;
  }

  /** Why an OPEN of `circuit` from `s` is refused before its peer is looked for, if it is. */
  #openRefusal(s: Session, circuit: number): ErrorCode | undefined {
    if (circuit % 2 !== 1 || s.circuits.has(circuit)) return 'ERR_MALFORMED_FRAME';
    const limits = this.#limits(s.tenant);
    if (s.circuits.size >= limits.circuitsPerSession) return 'ERR_WAN_LIMIT';
    if (this.#counts(s.tenant).circuits >= limits.circuits) return 'ERR_WAN_LIMIT';
    return undefined;
  }

  #join(from: CircuitEnd, targetId: number): CircuitOutput[] {
    const source = this.#sessions.get(from.session);
    const target = this.#sessions.get(targetId);
    if (!source || !target) return [];
    let id = target.nextIncoming;
    while (target.circuits.has(id)) id = id >= 0x7ffffffe ? 2 : id + 2;
    target.nextIncoming = id >= 0x7ffffffe ? 2 : id + 2;
    source.circuits.set(from.circuit, { session: targetId, circuit: id });
    target.circuits.set(id, from);
    const counts = this.#counts(source.tenant);
    counts.circuits++;
    return [
      { kind: 'incoming', session: targetId, circuit: id },
      { kind: 'opened', session: from.session, circuit: from.circuit },
    ];
  }

  #dropPending(p: PendingOpen): void {
    const i = this.#pending.indexOf(p);
    if (i >= 0) this.#pending.splice(i, 1);
    const s = this.#sessions.get(p.from.session);
    if (s) s.pendingOpens--;
  }
}

function peerKey(tenant: string, peer: string): string {
  return `${tenant}\0${peer}`;
}
