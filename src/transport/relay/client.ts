/**
 * The node's side of a WAN relay, as a {@link LinkTransport} for `relay:`
 * endpoints: with a pass (given by the WAN directory through the
 * directories below it), it keeps one session with a relay of its tenant,
 * reconnecting with backoff; `dial('relay:<peer>')` opens a circuit to
 * another node through it, and `listen('relay:')` accepts the circuits other
 * nodes open to this one. Each circuit is a link over which the two nodes
 * run their own handshake: the relay carries sealed frames only.
 *
 * @module
 */
import { CallsignError, type ErrorCode } from '../../errors.ts';
import type { Node } from '../../runtime/node.ts';
import { RetrySchedule } from '../../runtime/repeating-task.ts';
import type {
  DialInit,
  Link,
  LinkContext,
  LinkListener,
  LinkTransport,
  ListenInit,
} from '../link.ts';
import { addLinkScheme } from '../transport.ts';
import type { RelayCircuit } from './circuit.ts';
import { RELAY_SCHEME, type RelayPass, relayEndpoint, relayPeerOf } from './pass.ts';
import { type IncomingCircuitInit, RelaySession } from './session.ts';

/** Options of {@link RelayClient}. */
export interface RelayClientInit {
  /** Timers and logs; otherwise those of the first listen or dial. */
  readonly context?: LinkContext;
  /** How long one session may take to open, in ms. Default 5000. */
  readonly sessionTimeoutMs?: number;
  /** Ping the relay after this much silence, in ms. Default 1000. */
  readonly keepaliveMs?: number;
  /** Give the relay up after this much silence, in ms. Default 2500. */
  readonly deadAfterMs?: number;
}

/** Codes with which a relay refuses a node (as opposed to not being there). */
const REFUSALS: ReadonlySet<string> = new Set<ErrorCode>([
  'ERR_WAN_NOT_ADMITTED',
  'ERR_WAN_LIMIT',
  'ERR_PEER_NOT_TRUSTED',
]);

interface Waiter {
  resolve(session: RelaySession): void;
  reject(err: CallsignError): void;
  timer: unknown;
}

interface Listening {
  readonly init: ListenInit;
  links: number;
  pending: number;
}

/** What {@link RelayClient.status} tells. */
export interface RelayClientStatus {
  /** The peer this node is registered as, once it has a pass. */
  peer: string | undefined;
  state: 'none' | 'connecting' | 'open' | 'waiting';
  relay: string | undefined;
  circuits: number;
  /** The last refusal or failure, while it lasts. */
  failure: { code: ErrorCode; reason: string } | undefined;
}

/** A node's relay client: see the module. */
export class RelayClient implements LinkTransport {
  readonly name = 'relay';
  readonly #init: RelayClientInit;
  #context: LinkContext | undefined;
  #pass: RelayPass | undefined;
  #session: RelaySession | undefined;
  #relayIndex = 0;
  #retries: RetrySchedule | undefined;
  #refusedRetries: RetrySchedule | undefined;
  readonly #waiters = new Set<Waiter>();
  readonly #listeners: Listening[] = [];
  #failure: { code: ErrorCode; reason: string } | undefined;
  #told = '';
  #stopped = false;

  constructor(init: RelayClientInit = {}) {
    this.#init = init;
    this.#context = init.context;
  }

  /** Uses `pass` from now on (a new one replaces the old, and the session with it). */
  admit(pass: RelayPass): void {
    if (this.#stopped) return;
    const old = this.#pass;
    if (old && samePass(old, pass)) return;
    this.#pass = pass;
    this.#relayIndex = 0;
    if (this.#session) {
      const s = this.#session;
      this.#session = undefined;
      s.close('ERR_CLOSED', 'a new pass');
    }
    this.#connect();
  }

  /** The peer this node is reached as through the relay, once it has a pass. */
  get peer(): string | undefined {
    return this.#pass?.peer;
  }

  status(): RelayClientStatus {
    const s = this.#session;
    const state = !this.#pass ? 'none' : s?.isOpen ? 'open' : s ? 'connecting' : 'waiting';
    return {
      peer: this.#pass?.peer,
      state,
      relay: s?.url,
      circuits: s?.circuits ?? 0,
      failure: this.#failure,
    };
  }

  async listen(endpoint: string, init: ListenInit): Promise<LinkListener> {
    this.#context ??= init.context;
    const peer = relayPeerOf(endpoint);
    const own = this.#pass?.peer;
    if (endpoint !== `${RELAY_SCHEME}:` && peer !== own) {
      throw new CallsignError(
        'ERR_LISTEN_FAILED',
        `this node is reached through the relay as ${own ? relayEndpoint(own) : 'nothing yet (no pass)'}, not ${endpoint}`,
      );
    }
    if (!own) throw new CallsignError('ERR_LISTEN_FAILED', 'no relay pass yet');
    const entry: Listening = { init, links: 0, pending: 0 };
    this.#listeners.push(entry);
    const listeners = this.#listeners;
    return {
      endpoint: relayEndpoint(own),
      get counts() {
        return { links: entry.links, pending: entry.pending };
      },
      async close() {
        const i = listeners.indexOf(entry);
        if (i >= 0) listeners.splice(i, 1);
      },
    };
  }

  async dial(endpoint: string, init: DialInit): Promise<Link> {
    this.#context ??= init.context;
    const peer = relayPeerOf(endpoint);
    if (!peer) throw new CallsignError('ERR_INVALID_ENDPOINT', `not a relay endpoint: ${endpoint}`);
    if (!this.#pass) {
      throw new CallsignError(
        'ERR_CONNECT_FAILED',
        `no relay pass: ${endpoint} cannot be reached yet`,
      );
    }
    const session = await this.#ready(init.timeoutMs);
    let expected: Uint8Array | undefined;
    const key = Buffer.from(peer, 'base64');
    if (key.length === 32 && key.toString('base64') === peer) expected = key;
    return session.open(peer, {
      timeoutMs: init.timeoutMs,
      maxFrameBytes: init.maxFrameBytes,
      ...(expected ? { handshake: { expectedPeerKey: expected } } : {}),
    });
  }

  /** Ends the session and stops reconnecting. Safe to call twice. */
  stop(): void {
    this.#stopped = true;
    this.#retries?.stop();
    this.#refusedRetries?.stop();
    const s = this.#session;
    this.#session = undefined;
    s?.close('ERR_CLOSED', 'the node is stopping');
    for (const w of this.#waiters) this.#context?.clock.clear(w.timer);
    for (const w of this.#waiters)
      w.reject(new CallsignError('ERR_CLOSED', 'the node is stopping'));
    this.#waiters.clear();
  }

  // ---------------------------------------------------------------- sessions

  #ready(timeoutMs: number): Promise<RelaySession> {
    const s = this.#session;
    if (s?.isOpen) return Promise.resolve(s);
    const context = this.#context as LinkContext;
    return new Promise<RelaySession>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: context.clock.after(timeoutMs, () => {
          this.#waiters.delete(w);
          const f = this.#failure;
          reject(
            new CallsignError(
              f && REFUSALS.has(f.code) ? f.code : 'ERR_CONNECT_FAILED',
              `no relay session within ${timeoutMs} ms${f ? `: ${f.reason} (${f.code})` : ''}`,
            ),
          );
        }),
      };
      this.#waiters.add(w);
      if (!this.#session && !this.#retries?.pending && !this.#refusedRetries?.pending)
        this.#connect();
    });
  }

  #connect(): void {
    const pass = this.#pass;
    const context = this.#context;
    if (this.#stopped || !pass || !context || this.#session) return;
    const url = pass.relays[this.#relayIndex % Math.max(1, pass.relays.length)];
    if (url === undefined) {
      this.#failed('ERR_CONNECT_FAILED', 'the pass names no relay');
      return;
    }
    const session = new RelaySession({
      url,
      pass,
      context,
      timeoutMs: this.#init.sessionTimeoutMs ?? 5000,
      keepaliveMs: this.#init.keepaliveMs ?? 1000,
      deadAfterMs: this.#init.deadAfterMs ?? 2500,
      onOpen: (opened) => {
        if (this.#session !== opened) return;
        this.#failure = undefined;
        this.#told = '';
        this.#schedules(context).retries.succeeded();
        this.#schedules(context).refused.succeeded();
        context.log('DEBUG', `relay session open at ${url} as ${short(pass.peer)}`);
        for (const w of this.#waiters) {
          context.clock.clear(w.timer);
          w.resolve(opened);
        }
        this.#waiters.clear();
      },
      onEnd: (ended, code, reason) => {
        if (this.#session !== ended) return;
        this.#session = undefined;
        this.#failed(code, reason);
      },
      onIncoming: (make) => this.#incoming(make),
    });
    this.#session = session;
  }

  #schedules(context: LinkContext) {
    this.#retries ??= new RetrySchedule({ clock: context.clock, initialMs: 100, maxMs: 1000 });
    this.#refusedRetries ??= new RetrySchedule({
      clock: context.clock,
      initialMs: 1000,
      maxMs: 15_000,
    });
    return { retries: this.#retries, refused: this.#refusedRetries };
  }

  #failed(code: ErrorCode, reason: string): void {
    const context = this.#context;
    if (this.#stopped || !context) return;
    this.#failure = { code, reason };
    const refused = REFUSALS.has(code);
    const told = `${code} ${refused ? reason : ''}`;
    if (told !== this.#told) {
      this.#told = told;
      context.log(refused ? 'WARNING' : 'DEBUG', `relay session: ${reason} (${code})`);
    }
    if (refused) {
      for (const w of this.#waiters) {
        context.clock.clear(w.timer);
        w.reject(new CallsignError(code, reason));
      }
      this.#waiters.clear();
    } else {
      this.#relayIndex++;
    }
    const { retries, refused: slow } = this.#schedules(context);
    (refused ? slow : retries).failed(() => this.#connect());
  }

  #incoming(make: (init: IncomingCircuitInit) => RelayCircuit): boolean {
    const entry = this.#listeners[this.#listeners.length - 1];
    const context = this.#context;
    if (!entry || !context) return false;
    const { limits } = entry.init;
    if (entry.links >= limits.maxConnections || entry.pending >= limits.maxPending) {
      const code =
        entry.links >= limits.maxConnections ? 'ERR_TOO_MANY_CONNECTIONS' : 'ERR_TOO_MANY_PENDING';
      context.log('WARNING', `relay listener: a circuit refused (${code})`);
      return false;
    }
    let settled = false;
    entry.links++;
    entry.pending++;
    const settle = () => {
      if (settled) return;
      settled = true;
      entry.pending--;
      context.clock.clear(deadline);
    };
    const circuit = make({ maxFrameBytes: limits.maxFrameBytes, onAuthenticated: settle });
    const deadline = context.clock.after(limits.handshakeMs, () => {
      if (settled) return;
      context.log(
        'WARNING',
        `relay listener: a circuit refused: no handshake within ${limits.handshakeMs} ms (ERR_HANDSHAKE_TIMEOUT)`,
      );
      circuit.close(new CallsignError('ERR_HANDSHAKE_TIMEOUT', 'no handshake in time'));
    });
    void circuit.closed().then(() => {
      settle();
      entry.links--;
    });
    entry.init.onLink(circuit);
    return true;
  }
}

/**
 * The same relays in another order are the same pass: another relay of a
 * cluster minted it (each names itself first), and the open session stays.
 */
function samePass(a: RelayPass, b: RelayPass): boolean {
  return (
    a.tenant === b.tenant &&
    a.site === b.site &&
    a.peer === b.peer &&
    Buffer.from(a.ticket).equals(Buffer.from(b.ticket)) &&
    a.relays.length === b.relays.length &&
    a.relays.every((r) => b.relays.includes(r))
  );
}

function short(peer: string): string {
  return peer.length > 12 ? `${peer.slice(0, 12)}…` : peer;
}

const CLIENT = Symbol('callsign.relay-client');

/**
 * The relay client of `node`, made on first use: it carries the node's
 * `relay:` endpoints from then on and stops with the node.
 */
export function relayClientOf(node: Node): RelayClient {
  return node.extension(CLIENT, () => {
    const client = new RelayClient({
      context: { clock: node.clock, log: (level, text) => node.log(level, text) },
    });
    addLinkScheme(node, RELAY_SCHEME, client);
    node.onStop(() => client.stop());
    return client;
  });
}
