/**
 * One `no_wait` pull from a JetStream consumer, on an inbox of its own: the
 * messages come with their own subjects, then (when fewer than asked for) a
 * status ends the pull.
 *
 * @module
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * How long a pull waits for JetStream's answer: a `no_wait` pull is answered
 * at once, but a consumer at its max ack pending (by pullers elsewhere) or
 * deleted meanwhile does not answer.
 */
const PULL_TIMEOUT_MS = 2_000;

const encoder = new TextEncoder();

/** What one pull brought. */
export interface PullAnswer {
  readonly messages: Msg[];
  /** Whether it ended at its count or its bytes (rather than with nothing more): more is likely waiting. */
  readonly full: boolean;
}

/** What {@link requestPull} asks for. */
export interface PullRequest {
  readonly jsName: string;
  readonly consumer: string;
  readonly batch: number;
  readonly maxBytes?: number;
  /** The reply subject, unique to this pull. */
  readonly reply: string;
}

/** Pulls once; `open` holds the pull's subscription while it runs (to end it on close). */
export function requestPull(
  nc: NatsConnection,
  r: PullRequest,
  open: Set<Subscription>,
): Promise<PullAnswer> {
  return new Promise<PullAnswer>((resolve) => {
    const got: Msg[] = [];
    const done = (full: boolean) => {
      clearTimeout(timer);
      sub.unsubscribe();
      open.delete(sub);
      resolve({ messages: got, full });
    };
    const sub = nc.subscribe(r.reply, {
      callback: (_err, msg) => {
        const code = msg.headers?.code ?? 0;
        // 404 no messages, 408 request timeout, 409 max ack pending or max bytes: the pull is over.
        if (code >= 100 && !msg.reply) {
          return done(code === 409 && /bytes/i.test(msg.headers?.description ?? ''));
        }
        got.push(msg);
        if (got.length >= r.batch) done(true);
      },
    });
    // A consumer deleted meanwhile answers nothing: the pull ends empty.
    const timer = setTimeout(() => done(false), PULL_TIMEOUT_MS);
    open.add(sub);
    nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${r.jsName}.${r.consumer}`,
      encoder.encode(
        JSON.stringify(
          r.maxBytes
            ? { batch: r.batch, no_wait: true, max_bytes: r.maxBytes }
            : { batch: r.batch, no_wait: true },
        ),
      ),
      { reply: r.reply },
    );
  });
}
