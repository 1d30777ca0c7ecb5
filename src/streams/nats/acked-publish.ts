/**
 * Acknowledged publishes to JetStream, as its protocol is: a core NATS
 * publish whose reply subject is one of this connection's, answered by the
 * server with a `PubAck` (or an error, or a 503 when no stream has the
 * subject). One subscription hears every answer, and one timer (running
 * only while publishes wait) fails those that waited too long, so an
 * append costs a publish and a map entry: no request object, timer or
 * error stack each, as a client request would have.
 *
 * While the client knows it is disconnected, publishes fail at once, and
 * those waiting when it went are failed then: neither waits for its
 * timeout (`ERR_STREAM_UNAVAILABLE`: not acknowledged, perhaps stored).
 *
 * @module
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import {
  createInbox,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { CallsignError } from '../../errors.ts';

/** What JetStream answered a stored publish. */
export interface PubAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

interface Waiting {
  resolve(ack: PubAck): void;
  reject(error: unknown): void;
  readonly until: number;
}

const decoder = new TextDecoder();

/** The answer a reply carries: an ack, or the failure to give its publisher. */
export function readPubAck(data: Uint8Array, headers: MsgHdrs | undefined): PubAck | Error {
  // A status without a body: 503 when no stream has the subject.
  if (headers?.hasError) {
    return new Error(headers.code === 503 ? 'no responders' : `status ${headers.code}`);
  }
  let answer: { seq?: unknown; duplicate?: unknown; error?: unknown; stream?: unknown };
  try {
    answer = JSON.parse(decoder.decode(data));
  } catch {
    return new Error('invalid ack response');
  }
  if (answer?.error) return new JetStreamApiError(answer.error as never);
  if (typeof answer?.seq !== 'number' || typeof answer.stream !== 'string' || !answer.stream) {
    return new Error('invalid ack response');
  }
  return { seq: answer.seq, duplicate: answer.duplicate === true };
}

/** The acknowledged publishes of one connection. */
export class AckedPublisher {
  readonly #waiting = new Map<string, Waiting>();
  readonly #inbox: string;
  readonly #subscription: Subscription;
  #next = 0;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #down: CallsignError | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.#inbox = `${createInbox()}.`;
    this.#subscription = nc.subscribe(`${this.#inbox}*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.#inbox.length);
        const waiting = this.#waiting.get(token);
        if (!waiting) return;
        this.#waiting.delete(token);
        const answer = readPubAck(msg.data, msg.headers);
        if (answer instanceof Error) waiting.reject(answer);
        else waiting.resolve(answer);
      },
    });
  }

  /**
   * Publishes `data` to `subject` and resolves with JetStream's ack.
   *
   * @throws CallsignError `ERR_STREAM_UNAVAILABLE` while disconnected
   */
  publish(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<PubAck> {
    if (this.#down) return Promise.reject(this.#down);
    const token = (this.#next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, until: Date.now() + this.timeoutMs });
      this.#sweep ??= setInterval(() => this.#expire(), Math.min(1000, this.timeoutMs));
      try {
        this.nc.publish(subject, data, {
          reply: this.#inbox + token,
          ...(headers ? { headers } : {}),
        });
      } catch (error) {
        this.#waiting.delete(token);
        reject(error);
      }
    });
  }

  /** Fails those that waited past their time; stops the timer when none waits. */
  #expire(): void {
    const now = Date.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.until > now) continue;
      this.#waiting.delete(token);
      waiting.reject(new Error('timeout'));
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** The client lost its server (`why`): publishes fail at once until {@link reconnected}. */
  disconnected(why: CallsignError): void {
    this.#down = why;
    this.#failAll(why);
  }

  /** The client has a server again. */
  reconnected(): void {
    this.#down = undefined;
  }

  #failAll(error: unknown): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const w of waiting) w.reject(error);
  }

  /** Fails what still waits and stops hearing answers. */
  close(): void {
    this.#subscription.unsubscribe();
    this.#failAll(new CallsignError('ERR_INVALID_STATE', 'the nats store is closed'));
  }
}
