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

/** Answers Echo, counts Data after Begin, answers Done (also the WAN bench's server). */
export async function server(self: ActorContext): Promise<void> {
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

/** The one outstanding reply or confirmation the client actor waits for. */
interface Pending {
  resolve(value: Echo | Done): void;
  reject(error: Error): void;
}

async function connectClient(endpoint: string, params: StackParams): Promise<StackClient> {
  return actorClient(nodeFor(params, 'bench-client'), async (self) => {
    connect(self, endpoint, { seconds: 10 });
    const c = await self.select(Connected, NotConnected);
    return c instanceof NotConnected ? new Error(`${c.code}: ${c.reason}`) : undefined;
  });
}

/**
 * The client side on `node`: one client actor, as an application would have,
 * which reaches the server with `reach` (connect, or subscribe: an error, or
 * nothing once the server is its return address), then takes
 * every reply and confirmation with select. The harness (one request or push
 * at a time) sends through its context. Also the WAN bench's client.
 */
export async function actorClient(
  node: Node,
  reach: (self: ActorContext) => Promise<Error | undefined>,
): Promise<StackClient> {
  let pending: Pending | undefined;
  let ready: (client: { self: ActorContext; server: ActorAddress } | Error) => void = () => {};
  const connected = new Promise<{ self: ActorContext; server: ActorAddress } | Error>(
    (resolve) => (ready = resolve),
  );
  node.spawn(async (self: ActorContext) => {
    const reached = await reach(self);
    if (reached instanceof Error) {
      ready(reached);
      return;
    }
    ready({ self, server: self.returnAddress as ActorAddress });
    for (;;) {
      const m = await self.select(Echo, Done, Stop);
      if (m instanceof Stop) return;
      const p = pending;
      pending = undefined;
      p?.resolve(m);
    }
  });
  const client = await connected;
  if (client instanceof Error) throw client;
  const { self, server } = client;
  const reply = () =>
    new Promise<Echo | Done>((resolve, reject) => (pending = { resolve, reject }));
  return {
    async request(payload) {
      const answer = reply();
      self.send(new Echo({ data: payload }), server);
      return ((await answer) as Echo).data;
    },
    async push(payload: Uint8Array, count: number, options: PushOptions) {
      const done = reply();
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
      return ((await done) as Done).count;
    },
    async close() {
      pending?.reject(new Error('closed'));
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
