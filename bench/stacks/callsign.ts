/**
 * callsign connections with encryption on: a listening actor and a connecting
 * actor in two processes, over TCP on 127.0.0.1, the handshake of
 * docs/security.md and sealed, batched frames.
 *
 * Round trips: the client actor sends `Echo`, the server actor replies with
 * the same bytes, the client actor selects the reply. Throughput: the client
 * actor sends `Data` messages and awaits `drain` (the transport's flow
 * control, at most ~1 MiB buffered) every {@link DRAIN_EVERY_BYTES}; the
 * server actor counts them and answers `Done` with the count once it has
 * them all.
 *
 * @module
 */
import {
  type ActorAddress,
  type ActorContext,
  Connected,
  configureTransport,
  connect,
  createRealm,
  defineMessage,
  drain,
  Listening,
  listen,
  Node,
  NotConnected,
  NotListening,
  Stop,
  t,
} from '../../src/index.ts';
import type { PushOptions, Stack, StackClient, StackParams, StackServer } from '../lib/stack.ts';
import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';

class Echo extends defineMessage('bench.Echo', { data: t.bytes }) {}
class Begin extends defineMessage('bench.Begin', { count: t.uint }) {}
class Data extends defineMessage('bench.Data', { data: t.bytes }) {}
class Done extends defineMessage('bench.Done', { count: t.uint }) {}

/** The sender awaits `drain` after about this many payload bytes. */
const DRAIN_EVERY_BYTES = 256 * 1024;

/** Both processes must share a realm; the harness hands its secret to both. */
async function setup() {
  const realm = createRealm('bench');
  return {
    params: { realm: Buffer.from(realm.secret).toString('base64') },
    summary:
      'callsign: encrypted (X25519 handshake; ChaCha20-Poly1305 frames up to 32 KiB, AES-256-GCM above), ws over TCP',
    close: async () => {},
  };
}

function nodeFor(params: StackParams, name: string): Node {
  const secret = params.realm;
  if (!secret) throw new Error('callsign stack needs the realm parameter from setup()');
  const node = new Node({ name });
  configureTransport(node, { realm: { name: 'bench', secret: Buffer.from(secret, 'base64') } });
  return node;
}

async function serve(params: StackParams): Promise<StackServer> {
  const node = nodeFor(params, 'bench-server');
  // Connections name the listening actor as their peer, so it is the one that serves.
  const endpoint = await new Promise<string>((resolve, reject) => {
    node.spawn(async (self: ActorContext) => {
      listen(self, '127.0.0.1:0');
      const l = await self.select(Listening, NotListening);
      if (l instanceof NotListening) {
        reject(new Error(`${l.code}: ${l.reason}`));
        return;
      }
      resolve(l.endpoint);
      await server(self);
    });
  });
  return { endpoint, close: () => node.stop() };
}

/** Answers Echo, counts Data after Begin, answers Done. */
async function server(self: ActorContext): Promise<void> {
  let expected = -1;
  let received = 0;
  let client: ActorAddress | undefined;
  for (;;) {
    const m = await self.select(Data, Echo, Begin, Stop);
    if (m instanceof Data) {
      received++;
      if (received === expected && client) self.send(new Done({ count: received }), client);
    } else if (m instanceof Echo) {
      self.reply(m);
    } else if (m instanceof Begin) {
      expected = m.count;
      received = 0;
      client = self.returnAddress;
    } else {
      return;
    }
  }
}

interface Job {
  run(self: ActorContext, server: ActorAddress): Promise<void>;
}

async function connectClient(endpoint: string, params: StackParams): Promise<StackClient> {
  const node = nodeFor(params, 'bench-client');
  const jobs: Job[] = [];
  let wake: (() => void) | undefined;
  let connected: (error?: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    connected = (error) => (error ? reject(error) : resolve());
  });
  let stopping = false;
  // One client actor runs every request and push, as an application would.
  node.spawn(async (self: ActorContext) => {
    connect(self, endpoint, { seconds: 10 });
    const c = await self.select(Connected, NotConnected);
    if (c instanceof NotConnected) {
      connected(new Error(`${c.code}: ${c.reason}`));
      return;
    }
    const server = self.returnAddress as ActorAddress;
    connected();
    while (!stopping) {
      const job = jobs.shift();
      if (job) await job.run(self, server);
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  });
  await ready;
  const submit = (job: Job) => {
    jobs.push(job);
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    request(payload) {
      return new Promise<Uint8Array>((resolve, reject) =>
        submit({
          async run(self, server) {
            try {
              self.send(new Echo({ data: payload }), server);
              resolve((await self.select(Echo)).data);
            } catch (err) {
              reject(err);
            }
          },
        }),
      );
    },
    push(payload: Uint8Array, count: number, options: PushOptions) {
      return new Promise<number>((resolve, reject) =>
        submit({
          async run(self, server) {
            try {
              self.send(new Begin({ count }), server);
              const every = Math.max(1, Math.floor(DRAIN_EVERY_BYTES / payload.byteLength));
              const message = new Data({ data: payload });
              for (let i = 1; i <= count; i++) {
                self.send(message, server);
                if (i % every === 0) {
                  await drain(self, server);
                  options.signal.throwIfAborted();
                }
              }
              resolve((await self.select(Done)).count);
            } catch (err) {
              reject(err);
            }
          },
        }),
      );
    },
    async close() {
      stopping = true;
      wake?.();
      await node.stop();
    },
  };
}

export const stack: Stack = {
  name: 'callsign',
  description: 'callsign actors over an encrypted connection (ws over TCP, batched, sealed frames)',
  variants: [{ id: 'actor-send', label: 'actor send, drain every 256 KiB' }],
  available: async () => true,
  setup,
  serve,
  connect: connectClient,
};

if (isEntryModule(import.meta.url)) await runStackProcess(stack);
