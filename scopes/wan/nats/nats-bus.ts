/**
 * Circuit frames between the relays of a cluster on NATS subjects addressed
 * by destination peer, within each tenant's own subjects:
 * `callsign.wan.<tenant>.peer.<peer>` (the peer's key in base64url) for
 * OPENs, asked of every relay holding the peer, and
 * `callsign.wan.<tenant>.peer.<peer>.<member>` for the frames of a circuit
 * once one relay answered, and for the PINGs that tell whether that relay
 * still holds the peer. A relay subscribes to both subjects of the peers
 * whose sessions it holds; an OPEN is a request whose replies are OPENED or
 * CLOSE (no responders: no relay holds the peer). The sender's member id
 * rides in a header. What NATS carries of a circuit is the nodes' sealed
 * frames. docs/wan.md.
 *
 * @module
 */
import { headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { encodeBare, RELAY_FRAME } from '../../../src/internal.ts';
import type { PeerAnswer, PeerBus, PeerFrameHandler } from './peer-bus.ts';

/** The header naming the member that sent a frame. */
const FROM = 'Callsign-Relay';

/** The subject of `peer` of `tenant`; with `member`, of that peer at that relay. */
export function peerSubject(tenant: string, peer: string, member?: string): string {
  const base = `callsign.wan.${tenant}.peer.${Buffer.from(peer, 'utf8').toString('base64url')}`;
  return member === undefined ? base : `${base}.${member}`;
}

/** The frames between relays on NATS: see the module. */
export class NatsPeerBus implements PeerBus {
  readonly member: string;
  readonly #nc: NatsConnection;
  readonly #warn: (text: string) => void;
  readonly #from = headers();
  readonly #listeners: ((connected: boolean) => void)[] = [];
  #connected = true;

  constructor(nc: NatsConnection, member: string, warn: (text: string) => void) {
    this.#nc = nc;
    this.member = member;
    this.#warn = warn;
    this.#from.set(FROM, member);
    this.#watch().catch(() => {});
  }

  get connected(): boolean {
    return this.#connected;
  }

  onConnected(listener: (connected: boolean) => void): void {
    this.#listeners.push(listener);
  }

  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void {
    const callback = (err: Error | null, msg: Msg) => {
      if (err) return;
      const from = msg.headers?.get(FROM) ?? '';
      const reply = msg.reply
        ? (answer: Uint8Array) => {
            try {
              msg.respond(answer, { headers: this.#from });
            } catch {}
          }
        : undefined;
      handler(msg.data, from, reply);
    };
    const subs = [
      this.#nc.subscribe(peerSubject(tenant, peer), { callback }),
      this.#nc.subscribe(peerSubject(tenant, peer, this.member), { callback }),
    ];
    return () => {
      for (const s of subs) s.unsubscribe();
    };
  }

  send(tenant: string, peer: string, member: string, frame: Uint8Array): void {
    if (!this.#connected) return;
    try {
      this.#nc.publish(peerSubject(tenant, peer, member), frame, { headers: this.#from });
    } catch (err) {
      this.#warn(`a frame for another relay (${frame.length} bytes): ${(err as Error).message}`);
    }
  }

  async ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
    late: (answer: PeerAnswer) => void,
  ): Promise<PeerAnswer | undefined> {
    if (!this.#connected) return undefined;
    let first: ((a: PeerAnswer | undefined) => void) | undefined;
    const answered = new Promise<PeerAnswer | undefined>((resolve) => {
      first = resolve;
    });
    const collect = async () => {
      const answers = await this.#nc.requestMany(peerSubject(tenant, peer), frame, {
        strategy: 'timer',
        maxWait: timeoutMs,
        headers: this.#from,
      });
      for await (const m of answers) {
        const a = { frame: m.data, from: m.headers?.get(FROM) ?? '' };
        if (first) {
          first(a);
          first = undefined;
        } else late(a);
      }
    };
    // No responders (no relay holds the peer), none in time, or the connection went.
    void collect()
      .catch(() => undefined)
      .then(() => first?.(undefined));
    return answered;
  }

  async holds(
    tenant: string,
    peer: string,
    member: string,
    timeoutMs: number,
    circuit = 0,
  ): Promise<boolean> {
    if (!this.#connected) return false;
    try {
      const m = await this.#nc.request(
        peerSubject(tenant, peer, member),
        encodeBare('ping', circuit),
        {
          timeout: timeoutMs,
          headers: this.#from,
        },
      );
      return m.data[0] === RELAY_FRAME.pong;
    } catch {
      return false;
    }
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      const up = s.type === 'reconnect' ? true : s.type === 'disconnect' ? false : undefined;
      if (up === undefined || up === this.#connected) continue;
      this.#connected = up;
      for (const l of this.#listeners) l(up);
    }
  }
}
