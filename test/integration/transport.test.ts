import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import {
  Abandoned,
  Accepted,
  type ActorAddress,
  type ActorContext,
  Closed,
  Completed,
  Connected,
  close,
  configureTransport,
  connect,
  connectionCount,
  createRealm,
  defineMessage,
  generateNodeKeys,
  isCallsignError,
  Listening,
  listen,
  Node,
  NotConnected,
  type Realm,
  Stop,
  t,
} from '../../src/index.ts';
import { type Connection, FramePacker } from '../../src/internal.ts';
import { DEFAULT_WINDOWS } from '../../src/transport/options.ts';
import { CONTROL, encodeOpen } from '../../src/wire/control.ts';
import { InitiatorHandshake } from '../../src/wire/handshake.ts';
import { tempDir } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';

class Note extends defineMessage('test.transport.Note', { n: t.int, text: t.string }) {}
class Blob extends defineMessage('test.transport.Blob', { data: t.bytes }) {}
class Introduce extends defineMessage('test.transport.Introduce', { who: t.address }) {}
class Hello extends defineMessage('test.transport.Hello', { from: t.string }) {}

function makeNode(
  realm: Realm,
  name: string,
  extra: Parameters<typeof configureTransport>[1] = {},
): Node {
  const node = new Node({ name });
  configureTransport(node, { realm, keys: generateNodeKeys(), ...extra });
  onTestFinished(() => node.stop());
  return node;
}

/** A listener actor on `node` that records everything it gets; returns its endpoint. */
async function startServer(
  node: Node,
  endpoint: string,
  handle?: (self: ActorContext, m: unknown) => void,
) {
  const events: unknown[] = [];
  let ready: (endpoint: string) => void = () => {};
  const listening = new Promise<string>((r) => {
    ready = r;
  });
  node.spawn(async (self: ActorContext) => {
    listen(self, endpoint);
    const l = await self.select(Listening);
    ready(l.endpoint);
    for (;;) {
      const m = await self.select();
      if (m instanceof Stop) return;
      events.push(m);
      handle?.(self, m);
    }
  });
  return { endpoint: await listening, events };
}

describe('connections between two nodes in one process', () => {
  it('carries many actors’ traffic over one connection, both ways, batched per turn', async () => {
    const realm = createRealm('test');
    const dir = tempDir();
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    const { endpoint } = await startServer(a, `unix:${join(dir, 'a.sock')}`, (self, m) => {
      if (m instanceof Note) self.reply(new Note({ n: m.n * 10, text: m.text }));
    });
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      const server = self.returnAddress as ActorAddress;
      // Children of this actor use the same connection through the server's address.
      for (let i = 1; i <= 20; i++) {
        self.create(async (child: ActorContext, n: number) => {
          child.send(new Note({ n, text: `child ${n}` }), server);
          return (await child.select(Note)).n;
        }, i);
      }
      for (let i = 0; i < 1000; i++) self.send(new Note({ n: i, text: 'bulk' }), server);
      let replies = 0;
      const fromChildren: number[] = [];
      while (replies < 1000 || fromChildren.length < 20) {
        const m = await self.select(Note, Completed);
        if (m instanceof Note) replies++;
        else if (m instanceof Completed) fromChildren.push(m.value as number);
      }
      return { replies, fromChildren: fromChildren.sort((x, y) => x - y) };
    });
    const out = await result;
    expect(out.replies).toBe(1000);
    expect(out.fromChildren).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 10));
    expect(connectionCount(b)).toBe(1);
  });

  it('sends messages posted in one turn in few frames', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    const { endpoint, events } = await startServer(a, '127.0.0.1:0');
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      const server = self.returnAddress as ActorAddress;
      for (let i = 0; i < 500; i++) self.send(new Note({ n: i, text: 'x'.repeat(50) }), server);
      return server.channel as Connection;
    });
    const connection = (await result) as Connection;
    const before = connection.counters.framesSent;
    await until(() => events.filter((e) => e instanceof Note).length === 500);
    // 500 messages of ~60 bytes fit in one 1 MiB frame: one frame, maybe two with OPEN.
    expect(connection.counters.framesSent - before).toBeLessThanOrEqual(2);
    expect(connection.counters.messagesSent).toBe(500);
  });

  it('carries a message much larger than the frame size in fragments', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a', { maxFrameSize: 64 * 1024 });
    const b = makeNode(realm, 'b', { maxFrameSize: 64 * 1024 });
    const { endpoint, events } = await startServer(a, '127.0.0.1:0');
    const data = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    b.spawn(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      self.send(new Blob({ data }), self.returnAddress!);
      self.send(new Note({ n: 1, text: 'after' }), self.returnAddress!);
      await self.select(Stop);
    });
    await until(() => events.some((e) => e instanceof Note));
    const blob = events.find((e) => e instanceof Blob) as Blob;
    expect(blob.data.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(blob.data), Buffer.from(data))).toBe(0);
    // Order is kept: the blob came before the note.
    expect(events.findIndex((e) => e instanceof Blob)).toBeLessThan(
      events.findIndex((e) => e instanceof Note),
    );
  });

  it('refuses to send a message above the maximum message size, with a code', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b', { maxMessageSize: 1024 });
    const { endpoint } = await startServer(a, '127.0.0.1:0');
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      try {
        self.send(new Blob({ data: new Uint8Array(4096) }), self.returnAddress!);
        return 'sent';
      } catch (err) {
        return isCallsignError(err) ? err.code : 'other';
      }
    });
    await expect(result).resolves.toBe('ERR_MESSAGE_TOO_LARGE');
  });

  it('lets addresses cross the wire in messages, so a third actor can be introduced', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    // On a: the listener forwards introductions to a greeter, which says hello to whoever was introduced.
    const greeter = a.spawn(async (self: ActorContext) => {
      const m = await self.select(Introduce);
      self.send(new Hello({ from: 'greeter on a' }), m.who);
    });
    const { endpoint } = await startServer(a, '127.0.0.1:0', (self, m) => {
      if (m instanceof Introduce) self.send(m, greeter);
    });
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      const listener = self.returnAddress!;
      const friend = self.create(async (c: ActorContext) => (await c.select(Hello)).from);
      self.send(new Introduce({ who: friend }), listener);
      const done = await self.select(Completed);
      return done.value;
    });
    await expect(result).resolves.toBe('greeter on a');
  });

  it('close gives Closed here and Abandoned there', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    const { endpoint, events } = await startServer(a, '127.0.0.1:0');
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      close(self, self.returnAddress!, 'done here');
      const m = await self.select(Closed, Abandoned);
      return m instanceof Closed ? `Closed: ${m.reason}` : 'Abandoned';
    });
    await expect(result).resolves.toBe('Closed: done here');
    await until(() => events.some((e) => e instanceof Abandoned));
    const abandoned = events.find((e) => e instanceof Abandoned) as Abandoned;
    expect(abandoned.code).toBe('ERR_CLOSED');
    expect(events.some((e) => e instanceof Accepted)).toBe(true);
  });

  it('a node of another realm cannot connect', async () => {
    const a = makeNode(createRealm('one'), 'a');
    const b = makeNode(createRealm('two'), 'b');
    const { endpoint } = await startServer(a, '127.0.0.1:0');
    const { result } = b.start(async (self: ActorContext) => {
      connect(self, endpoint);
      const m = await self.select(Connected, NotConnected);
      return m instanceof NotConnected ? m.code : 'connected';
    });
    await expect(result).resolves.toBe('ERR_WRONG_REALM');
  });
});

describe('bad input from the network', () => {
  it('garbage instead of a handshake closes only that connection', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    const { endpoint, events } = await startServer(a, '127.0.0.1:0', (self, m) => {
      if (m instanceof Note) self.reply(m);
    });
    const friend = await connectedPair(b, endpoint);
    const raw = new WebSocket(`ws://${endpoint}/`);
    await new Promise((r) => raw.once('open', r));
    const closedRaw = new Promise((r) => raw.once('close', r));
    raw.send(Buffer.from('GET /admin HTTP/1.1 and other nonsense'));
    await closedRaw;
    expect(await friend.roundTrip(7)).toBe(7);
    expect(events.filter((e) => e instanceof Abandoned)).toHaveLength(0);
  });

  it('a forged frame after a good handshake closes only that connection, with a code', async () => {
    const realm = createRealm('test');
    const a = makeNode(realm, 'a');
    const b = makeNode(realm, 'b');
    const { endpoint, events } = await startServer(a, '127.0.0.1:0', (self, m) => {
      if (m instanceof Note) self.reply(m);
    });
    const friend = await connectedPair(b, endpoint);
    // A client that completes the handshake honestly, then sends a frame with a bad tag.
    const raw = new WebSocket(`ws://${endpoint}/`);
    await new Promise((r) => raw.once('open', r));
    const hs = new InitiatorHandshake({ realm, keys: generateNodeKeys() });
    raw.send(hs.start());
    const sealer = await new Promise<{ seal(p: Uint8Array): Uint8Array }>((resolve, reject) => {
      raw.on('message', (data: Buffer) => {
        try {
          const step = hs.receive(data);
          if (step.send) raw.send(step.send);
          if (step.result) resolve(step.result.sealer);
        } catch (err) {
          reject(err);
        }
      });
    });
    // OPEN from actor 99, then a PING frame with its tag tampered with.
    const frames: Uint8Array[] = [];
    const packer = new FramePacker({
      maxFrameSize: 4096,
      onFrame: (p) => frames.push(sealer.seal(p)),
    });
    packer.control(CONTROL.open, encodeOpen({ owner: 99, ...DEFAULT_WINDOWS }));
    packer.flush();
    packer.control(CONTROL.ping);
    packer.flush();
    const [open, ping] = frames as [Uint8Array, Uint8Array];
    raw.send(open);
    await until(() => events.some((e) => e instanceof Accepted));
    ping[ping.length - 1]! ^= 1;
    raw.send(ping);
    await until(() => events.some((e) => e instanceof Abandoned));
    const abandoned = events.find((e) => e instanceof Abandoned) as Abandoned;
    expect(abandoned.code).toBe('ERR_FRAME_FORGED');
    expect(await friend.roundTrip(8)).toBe(8);
  });
});

async function connectedPair(node: Node, endpoint: string) {
  let server: ActorAddress | undefined;
  const client = node.spawn(async (self: ActorContext) => {
    connect(self, endpoint);
    await self.select(Connected);
    server = self.returnAddress;
    await self.select(Stop);
  });
  await until(() => server !== undefined);
  return {
    client,
    async roundTrip(n: number): Promise<number> {
      const { result } = node.start(async (self: ActorContext) => {
        self.send(new Note({ n, text: 'rt' }), server!);
        return (await self.select(Note)).n;
      });
      return result as Promise<number>;
    },
  };
}
