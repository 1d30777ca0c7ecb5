/**
 * Circuit frames between the relays of a cluster on NATS subjects, one per
 * destination peer of each tenant: `callsign.wan.<tenant>.peer.<peer>` (the
 * peer's key in base64url). A relay subscribes to the subjects of the peers
 * whose sessions it holds; an OPEN is a request on the peer's subject, whose
 * reply is OPENED or CLOSE (no responders: no relay holds the peer). A
 * tenant's frames stay on its own subjects. What NATS carries of a circuit
 * is the nodes' sealed frames. docs/wan.md.
 *
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { PeerBus, PeerFrameHandler } from './peer-bus.ts';

/** The subject of `peer` of `tenant`. */
export function peerSubject(tenant: string, peer: string): string {
  return `callsign.wan.${tenant}.peer.${Buffer.from(peer, 'utf8').toString('base64url')}`;
}

/** The frames between relays on NATS: see the module. */
export class NatsPeerBus implements PeerBus {
  readonly #nc: NatsConnection;
  readonly #warn: (text: string) => void;

  constructor(nc: NatsConnection, warn: (text: string) => void) {
    this.#nc = nc;
    this.#warn = warn;
  }

  attach(tenant: string, peer: string, handler: PeerFrameHandler): () => void {
    const sub = this.#nc.subscribe(peerSubject(tenant, peer), {
      callback: (err, msg) => {
        if (err) return;
        const reply = msg.reply ? (answer: Uint8Array) => msg.respond(answer) : undefined;
        handler(msg.data, reply);
      },
    });
    return () => sub.unsubscribe();
  }

  send(tenant: string, peer: string, frame: Uint8Array): void {
    try {
      this.#nc.publish(peerSubject(tenant, peer), frame);
    } catch (err) {
      this.#warn(`a frame for another relay (${frame.length} bytes): ${(err as Error).message}`);
    }
  }

  async ask(
    tenant: string,
    peer: string,
    frame: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array | undefined> {
    try {
      const m = await this.#nc.request(peerSubject(tenant, peer), frame, { timeout: timeoutMs });
      return m.data;
    } catch {
      // No responders (no relay holds the peer), or none answered in time.
      return undefined;
    }
  }
}
