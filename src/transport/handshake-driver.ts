import { CallsignError, toError } from '../errors.ts';
import type { Clock } from '../runtime/clock.ts';
import {
  HandshakeError,
  type HandshakeInit,
  type HandshakeResult,
  InitiatorHandshake,
  ResponderHandshake,
} from '../wire/handshake.ts';
import type { Link } from './link.ts';

/** Options of {@link runHandshake}. */
export interface HandshakeDriverInit {
  readonly link: Link;
  /** The initiator dials and speaks first; the responder was accepted. */
  readonly role: 'initiator' | 'responder';
  readonly handshake: HandshakeInit;
  /**
   * An initiator whose M1 went already, with the opening of the link
   * (`DialInit.hello`); the driver then only waits for M2.
   */
  readonly started?: InitiatorHandshake;
  readonly clock: Clock;
  /** The whole handshake must be done within this, in ms. */
  readonly deadlineMs: number;
  /**
   * Called synchronously from the frame that completes the handshake, so the
   * layer above is in place before the next frame on the link is read.
   */
  done(result: HandshakeResult): void;
  /** Called once when the handshake fails; the link has then been closed with the error. */
  failed(err: CallsignError): void;
}

/**
 * Runs the handshake of docs/security.md over a link of any transport, with
 * one deadline. A refusal the peer can understand (wrong realm, another
 * version) is sent to it before the link is closed with the code.
 */
export function runHandshake(init: HandshakeDriverInit): void {
  const { link, clock } = init;
  const handshake =
    init.role === 'responder'
      ? new ResponderHandshake(init.handshake)
      : (init.started ?? new InitiatorHandshake(init.handshake));
  let over = false;
  const finish = () => {
    over = true;
    clock.clear(timer);
  };
  const fail = (err: unknown) => {
    if (over) return;
    finish();
    const error =
      err instanceof CallsignError
        ? err
        : new CallsignError('ERR_HANDSHAKE_FAILED', toError(err).message, { cause: err });
    if (err instanceof HandshakeError && err.reply) link.send(err.reply);
    link.close(error);
    init.failed(error);
  };
  const timer = clock.after(init.deadlineMs, () =>
    fail(new CallsignError('ERR_HANDSHAKE_TIMEOUT', `no handshake within ${init.deadlineMs} ms`)),
  );
  link.attach({
    frame(bytes) {
      if (over) return;
      let step: ReturnType<InitiatorHandshake['receive']>;
      try {
        step = handshake.receive(bytes);
      } catch (err) {
        fail(err);
        return;
      }
      if (step.send) link.send(step.send);
      if (step.result) {
        finish();
        link.authenticated();
        init.done(step.result);
      }
    },
    drain() {},
    end(ending) {
      if (over) return;
      over = true;
      clock.clear(timer);
      const code = ending.code === 'ERR_CLOSED' ? 'ERR_HANDSHAKE_FAILED' : ending.code;
      init.failed(
        new CallsignError(
          code === 'ERR_CONNECTION_LOST' ? 'ERR_HANDSHAKE_FAILED' : code,
          `the link ended during the handshake: ${ending.reason}`,
        ),
      );
    },
  });
  if (handshake instanceof InitiatorHandshake && !init.started) {
    try {
      link.send(handshake.start());
    } catch (err) {
      fail(err);
    }
  }
}
