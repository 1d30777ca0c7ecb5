/**
 * NATS: a private `nats-server` (started by the harness on a free loopback
 * port, not pinned) with the `nats` npm client in both children.
 *
 * Round trips use `nc.request` to a responder that echoes the payload.
 * Throughput publishes to a subject the server child subscribes to; the
 * publisher flushes every 1 MiB and keeps at most two flushes outstanding (its
 * flow control: `nc.publish` itself only buffers), and the subscriber
 * publishes a confirmation once it has counted every message.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { connect, createInbox, type NatsConnection } from 'nats';
import { natsServerVersion, startNatsServer } from '../lib/nats-server.ts';
import type {
  PushOptions,
  Stack,
  StackClient,
  StackFixture,
  StackParams,
  StackServer,
} from '../lib/stack.ts';
import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';

const REQUEST_SUBJECT = 'bench.request';
const BEGIN_SUBJECT = 'bench.begin';
const PUSH_SUBJECT = 'bench.push';
/** The publisher asks for a flush (PING/PONG) after each this many bytes. */
const FLUSH_WINDOW_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The client options nats.js recommends for speed: no async stack trace
 * captured per request (its docs: it "greatly improves performance of
 * request/reply"), no echo of our own publications, and the client's default
 * request multiplexing (one inbox subscription for all requests).
 */
const AT_ITS_BEST = { noAsyncTraces: true, noEcho: true } as const;

const NATS_CLIENT_VERSION = (
  createRequire(import.meta.url)('nats/package.json') as { version: string }
).version;

/** What the publisher tells the subscriber before a push. */
interface Begin {
  readonly count: number;
  /** Subject the subscriber confirms on. */
  readonly inbox: string;
}

function encodeCount(count: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, count);
  return bytes;
}

function decodeCount(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

function serverUrl(params: StackParams): string {
  const url = params.url;
  if (url === undefined) throw new Error('nats stack needs the url parameter from setup()');
  return url;
}

async function setup(): Promise<StackFixture> {
  const [server, version] = await Promise.all([startNatsServer(), natsServerVersion()]);
  return {
    params: { url: server.url },
    pids: server.pid === undefined ? [] : [server.pid],
    summary: `nats-server ${version ?? '?'} on ${server.url.slice('nats://'.length)} (pid ${server.pid}), not pinned`,
    close: () => server.close(),
  };
}

async function serve(params: StackParams): Promise<StackServer> {
  const nc = await connect({ servers: serverUrl(params), name: 'bench-server', ...AT_ITS_BEST });
  let expected = 0;
  let received = 0;
  let inbox = '';
  nc.subscribe(REQUEST_SUBJECT, {
    callback: (error, msg) => {
      if (!error) msg.respond(msg.data);
    },
  });
  nc.subscribe(BEGIN_SUBJECT, {
    callback: (error, msg) => {
      if (error) return;
      const begin = msg.json<Begin>();
      expected = begin.count;
      inbox = begin.inbox;
      received = 0;
      msg.respond();
    },
  });
  nc.subscribe(PUSH_SUBJECT, {
    callback: (error) => {
      if (error) return;
      received++;
      if (received === expected) nc.publish(inbox, encodeCount(received));
    },
  });
  await nc.flush();
  return { endpoint: serverUrl(params), close: () => nc.close() };
}

class NatsClient implements StackClient {
  constructor(private readonly nc: NatsConnection) {}

  async request(payload: Uint8Array): Promise<Uint8Array> {
    const reply = await this.nc.request(REQUEST_SUBJECT, payload, { timeout: REQUEST_TIMEOUT_MS });
    return reply.data;
  }

  async push(payload: Uint8Array, count: number, options: PushOptions): Promise<number> {
    const inbox = createInbox();
    const confirmed = new Promise<number>((resolve, reject) => {
      this.nc.subscribe(inbox, {
        max: 1,
        callback: (error, msg) => (error ? reject(error) : resolve(decodeCount(msg.data))),
      });
    });
    const begin: Begin = { count, inbox };
    await this.nc.request(BEGIN_SUBJECT, JSON.stringify(begin), { timeout: REQUEST_TIMEOUT_MS });

    const window = Math.max(1, Math.floor(FLUSH_WINDOW_BYTES / payload.byteLength));
    let previousFlush: Promise<void> | undefined;
    for (let i = 1; i <= count; i++) {
      this.nc.publish(PUSH_SUBJECT, payload);
      if (i % window === 0) {
        const flush = this.nc.flush();
        if (previousFlush) {
          await previousFlush;
          options.signal.throwIfAborted();
        }
        previousFlush = flush;
      }
    }
    // The receiver's confirmation is what counts; a late flush failure must not go unhandled.
    previousFlush?.catch(() => {});
    return confirmed;
  }

  close(): Promise<void> {
    return this.nc.isClosed() ? Promise.resolve() : this.nc.close();
  }
}

async function connectClient(endpoint: string): Promise<StackClient> {
  return new NatsClient(await connect({ servers: endpoint, name: 'bench-client', ...AT_ITS_BEST }));
}

/** NATS core request/reply and pub/sub through a private nats-server. */
export const stack: Stack = {
  name: 'nats',
  description: `nats npm ${NATS_CLIENT_VERSION} through nats-server`,
  variants: [{ id: 'publish', label: 'publish, flush per 1 MiB' }],
  async available() {
    return (await natsServerVersion()) === undefined ? 'apt-get install nats-server' : true;
  },
  setup,
  serve,
  connect: connectClient,
};

if (isEntryModule(import.meta.url)) await runStackProcess(stack);
