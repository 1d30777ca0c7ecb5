/**
 * The relay's data plane: the sessions of nodes (admitted by their pass,
 * without the ticket ever crossing), and the circuits between them, whose
 * DATA frames it forwards unread with the circuit renamed in place. It
 * performs what the {@link CircuitBook} decides; it slows a session that
 * sends faster than its tenant's rate, or faster than the far end reads
 * (it stops reading from it), so that its memory stays bounded without
 * dropping anything. docs/wan.md.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CallsignError, type ErrorCode, toError } from '../../src/errors.ts';
import {
  admissionProof,
  circuitOf,
  decodeAdmission,
  decodeCircuitFrame,
  encodeBare,
  encodeChallenge,
  encodeClose,
  encodeMac,
  encodeRefused,
  KeepAlive,
  type LinkContext,
  RELAY_FRAME,
  RELAY_NONCE_LENGTH,
  relayTicket,
  sameMac,
  setCircuit,
  welcomeProof,
} from '../../src/internal.ts';
import { type CircuitBook, type CircuitOutput, REMOTE_SESSION } from './circuit-book.ts';
import type { PeerBus } from './nats/peer-bus.ts';
import { RemoteCircuits } from './nats/remote-circuits.ts';
import { RateBucket } from './rate.ts';
import type { TenantRecord } from './registry.ts';
import type { Arrival } from './relay-listener.ts';

/** Above this much waiting for a session's socket, the sessions that send to it are paused. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
/** How often sessions' keep-alive and waiting OPENs are looked at, in ms. */
const TICK_MS = 250;

/** Options of {@link Forwarder}. */
export interface ForwarderInit {
  readonly context: LinkContext;
  readonly book: CircuitBook;
  /** The tenant of that name, as the relay knows it now. */
  tenant(name: string): TenantRecord | undefined;
  /** Ping a session after this much silence, ms. Default 1000. */
  readonly keepaliveMs?: number;
  /** Give a session up after this much silence, ms. Default 2500. */
  readonly deadAfterMs?: number;
  /** The other relays of a cluster (`--nats`): circuits to peers that have no session here. */
  readonly bus?: PeerBus;
}

interface ServerSession {
  readonly id: number;
  readonly tenant: string;
  readonly site: string;
  readonly peer: string;
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly keepalive: KeepAlive;
  readonly bucket: RateBucket;
  /** Why it is paused now: the rate, and the sessions it waits for. */
  pauses: number;
  rateTimer: unknown;
  /** Sessions paused until this one's socket drains. */
  readonly blocking: Set<ServerSession>;
  ended: boolean;
}

/** The relay's data plane: see the module. */
export class Forwarder {
  readonly #init: ForwarderInit;
  readonly #sessions = new Map<number, ServerSession>();
  readonly #tenantBuckets = new Map<string, RateBucket>();
  #nextId = 1;
  #ticker: unknown;
  #due = 0;
  /** Bytes of DATA forwarded, for reports. */
  forwarded = 0;
  /** Circuits with an end at another relay, when there is a cluster. */
  readonly remote: RemoteCircuits | undefined;

  constructor(init: ForwarderInit) {
    this.#init = init;
    this.remote = init.bus
      ? new RemoteCircuits({
          bus: init.bus,
          book: init.book,
          toSession: (id, frame) => {
            const s = this.#sessions.get(id);
            if (s && !s.ended) s.ws.send(frame);
          },
          perform: (outputs) => this.#perform(outputs),
          now: () => init.context.clock.now(),
          forwarded: (bytes) => {
            this.forwarded += bytes;
          },
          warn: (text) => init.context.log('WARNING', text),
        })
      : undefined;
  }

  /** A session's HELLO has arrived: admission, then circuits. */
  arrive(a: Arrival): void {
    const hello = a.hello;
    if (hello.kind !== 'session') return;
    const { context } = this.#init;
    const relayNonce = randomBytes(RELAY_NONCE_LENGTH);
    a.ws.send(encodeChallenge(relayNonce));
    const onProof = (data: Buffer) => {
      a.ws.off('message', onProof);
      try {
        const f = decodeAdmission(data);
        if (f.type !== 'proof')
          throw new CallsignError('ERR_MALFORMED_FRAME', `${f.type} instead of PROOF`);
        const tenant = this.#init.tenant(hello.tenant);
        const site = tenant?.sites.get(hello.site);
        // Unknown tenant, unknown site and a wrong ticket are told apart by nobody.
        const key = site?.ticketKey ?? randomBytes(32);
        const ticket = relayTicket(key, hello.tenant, hello.site, hello.peer);
        if (!tenant || !site || !sameMac(f.mac, admissionProof(ticket, hello.nonce, relayNonce))) {
          this.#refuse(
            a,
            'ERR_WAN_NOT_ADMITTED',
            'not admitted: unknown tenant or site, or a pass that is not theirs',
          );
          return;
        }
        const id = this.#nextId++;
        const now = context.clock.now();
        const added = this.#init.book.addSession(
          { id, tenant: tenant.name, site: site.name, peer: hello.peer },
          now,
        );
        if ('refused' in added) {
          this.#refuse(
            a,
            added.refused,
            `tenant ${tenant.name} has ${tenant.limits.sessions} sessions, its limit`,
          );
          return;
        }
        const s: ServerSession = {
          id,
          tenant: tenant.name,
          site: site.name,
          peer: hello.peer,
          ws: a.ws,
          socket: a.socket,
          keepalive: new KeepAlive(
            {
              keepaliveMs: this.#init.keepaliveMs ?? 1000,
              deadAfterMs: this.#init.deadAfterMs ?? 2500,
            },
            now,
          ),
          bucket: new RateBucket(tenant.limits.sessionBytesPerSecond, now),
          pauses: 0,
          rateTimer: undefined,
          blocking: new Set(),
          ended: false,
        };
        this.#sessions.set(id, s);
        this.remote?.attached(s);
        a.admitted();
        a.ws.send(encodeMac('welcome', welcomeProof(ticket, hello.nonce, relayNonce)));
        a.ws.on('message', (m: Buffer, isBinary: boolean) => this.#receive(s, m, isBinary));
        a.ws.on('close', () => this.#ended(s));
        a.socket.on('drain', () => this.#drained(s));
        this.#perform(added.outputs);
        this.#startTicker();
        context.log(
          'DEBUG',
          `relay session ${id}: ${tenant.name}/${site.name} ${hello.peer.slice(0, 12)}…`,
        );
      } catch (err) {
        const code = err instanceof CallsignError ? err.code : 'ERR_INTERNAL';
        a.refuse(code, toError(err).message);
      }
    };
    a.ws.on('message', onProof);
  }

  /** Ends the sessions of `site` of `tenant` (all of its sites without `site`): revoked. */
  cut(tenant: string, site: string | undefined, code: ErrorCode = 'ERR_WAN_NOT_ADMITTED'): number {
    const ids = this.#init.book.sessionsOf(tenant, site);
    for (const id of ids) {
      const s = this.#sessions.get(id);
      if (!s) continue;
      this.#close(s, code);
      this.#ended(s);
    }
    return ids.length;
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Ends every session. */
  stop(): void {
    this.#init.context.clock.clear(this.#ticker);
    this.#ticker = undefined;
    for (const s of [...this.#sessions.values()]) {
      s.ws.terminate();
      this.#ended(s);
    }
  }

  #refuse(a: Arrival, code: ErrorCode, reason: string): void {
    try {
      a.ws.send(encodeRefused(code, reason));
    } catch {}
    a.refuse(code, reason);
  }

  #close(s: ServerSession, code: ErrorCode): void {
    try {
      s.ws.close(4000, code);
    } catch {}
    const ws = s.ws;
    this.#init.context.clock.after(1000, () => ws.terminate());
  }

  #receive(s: ServerSession, data: Buffer, isBinary: boolean): void {
    if (s.ended) return;
    const { context, book } = this.#init;
    const now = context.clock.now();
    s.keepalive.heard(now);
    try {
      if (!isBinary) throw new CallsignError('ERR_WS_PROTOCOL', 'a text frame');
      if (data[0] === RELAY_FRAME.data && data.length >= 5) {
        const far = book.route(s.id, circuitOf(data));
        if (far?.session === REMOTE_SESSION) {
          if (this.remote?.data(far.circuit, data)) {
            this.forwarded += data.length;
            this.#account(s, undefined, data.length, now);
          }
          return;
        }
        const target = far && this.#sessions.get(far.session);
        if (!far || !target) return;
        setCircuit(data, far.circuit);
        target.ws.send(data);
        this.forwarded += data.length;
        this.#account(s, target, data.length, now);
        return;
      }
      const f = decodeCircuitFrame(data);
      if (f.type === 'open') {
        if (this.remote && !book.hasPeer(s.tenant, f.peer)) this.remote.open(s, f.circuit, f.peer);
        else this.#perform(book.open(s.id, f.circuit, f.peer, now));
      } else if (f.type === 'close') {
        const far = book.route(s.id, f.circuit);
        if (far?.session === REMOTE_SESSION) this.remote?.close(far.circuit, f.code);
        this.#perform(book.close(s.id, f.circuit, f.code));
      } else if (f.type === 'ping') s.ws.send(encodeBare('pong'));
      else if (f.type !== 'pong')
        throw new CallsignError('ERR_MALFORMED_FRAME', `a node sent ${f.type}`);
    } catch (err) {
      const code = err instanceof CallsignError ? err.code : 'ERR_INTERNAL';
      context.log(
        'WARNING',
        `relay session ${s.id} (${s.tenant}/${s.site}): ${toError(err).message} (${code})`,
      );
      this.#close(s, code);
      this.#ended(s);
    }
  }

  /** Counts forwarded bytes against the rates, and the far end's backlog against memory. */
  #account(s: ServerSession, target: ServerSession | undefined, bytes: number, now: number): void {
    let wait = s.bucket.take(bytes, now);
    const tenant = this.#init.tenant(s.tenant);
    if (tenant) {
      let bucket = this.#tenantBuckets.get(s.tenant);
      if (!bucket) {
        bucket = new RateBucket(tenant.limits.bytesPerSecond, now);
        this.#tenantBuckets.set(s.tenant, bucket);
      }
      wait = Math.max(wait, bucket.take(bytes, now));
    }
    if (wait > 0 && s.rateTimer === undefined) {
      this.#pause(s);
      s.rateTimer = this.#init.context.clock.after(wait, () => {
        s.rateTimer = undefined;
        this.#resume(s);
      });
    }
    if (
      target &&
      target.ws.bufferedAmount > HIGH_WATER &&
      !target.blocking.has(s) &&
      target !== s
    ) {
      target.blocking.add(s);
      this.#pause(s);
    }
  }

  #pause(s: ServerSession): void {
    if (s.pauses++ === 0) s.ws.pause();
  }

  #resume(s: ServerSession): void {
    if (s.pauses > 0 && --s.pauses === 0 && !s.ended) s.ws.resume();
  }

  #drained(target: ServerSession): void {
    if (target.blocking.size === 0 || target.ws.bufferedAmount > LOW_WATER) return;
    const waiting = [...target.blocking];
    target.blocking.clear();
    for (const s of waiting) this.#resume(s);
  }

  #perform(outputs: CircuitOutput[]): void {
    for (const o of outputs) {
      const s = this.#sessions.get(o.session);
      if (!s || s.ended) continue;
      if (o.kind === 'close') s.ws.send(encodeClose(o.circuit, o.code));
      else s.ws.send(encodeBare(o.kind, o.circuit));
    }
  }

  #ended(s: ServerSession): void {
    if (s.ended) return;
    s.ended = true;
    this.#sessions.delete(s.id);
    if (s.rateTimer !== undefined) this.#init.context.clock.clear(s.rateTimer);
    for (const other of s.blocking) this.#resume(other);
    s.blocking.clear();
    for (const other of this.#sessions.values()) {
      if (other.blocking.delete(s)) this.#resume(s);
    }
    this.remote?.detached(s);
    this.#perform(this.#init.book.removeSession(s.id));
  }

  #startTicker(): void {
    if (this.#ticker !== undefined) return;
    const { clock } = this.#init.context;
    this.#due = clock.now() + TICK_MS;
    this.#ticker = clock.after(TICK_MS, () => this.#tick());
  }

  #tick(): void {
    const { clock } = this.#init.context;
    const now = clock.now();
    for (const s of [...this.#sessions.values()]) {
      const action = s.keepalive.tick(now, this.#due);
      if (action === 'dead') {
        this.#init.context.log(
          'DEBUG',
          `relay session ${s.id} (${s.tenant}/${s.site}): silent, ended (ERR_KEEPALIVE_TIMEOUT)`,
        );
        s.ws.terminate();
        this.#ended(s);
      } else if (action === 'ping') {
        s.ws.send(encodeBare('ping'));
      }
    }
    if (this.#init.book.waiting) this.#perform(this.#init.book.expire(now));
    this.remote?.tick(now);
    this.#ticker = undefined;
    if (this.#sessions.size > 0 || this.#init.book.waiting) this.#startTicker();
  }
}
