import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  Accepted,
  type ActorAddress,
  type ActorContext,
  Connected,
  configureTransport,
  connect,
  createRealm,
  defineMessage,
  generateNodeKeys,
  Listening,
  Logger,
  listen,
  memorySink,
  Node,
  NotConnected,
  type Realm,
  Stop,
  t,
} from '../../src/index.ts';
import { FramePacker } from '../../src/internal.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import { DEFAULT_WINDOWS } from '../../src/transport/options.ts';
import { HELLO_HEADER, HELLO_TAKEN } from '../../src/transport/ws-hello.ts';
import { wsTransport } from '../../src/transport/ws-transport.ts';
import { CONTROL, encodeOpen } from '../../src/wire/control.ts';
import { InitiatorHandshake } from '../../src/wire/handshake.ts';
import { tempDir } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';
import { closedWithin, rawSocket } from './attack-tools.ts';

/**
 * The dialler's M1 carried in the WebSocket upgrade request (docs/transport.md):
 * the listener answers it right behind its 101, and whatever a stranger puts
 * in that header costs only its own connection.
 */

class Note extends defineMessage('test.hello.Note', { n: t.int }) {}

function makeNode(realm: Realm, name: string, sink?: ReturnType<typeof memorySink>): Node {
  const node = new Node({ name, ...(sink ? { logger: new Logger('DEBUG', sink) } : {}) });
  configureTransport(node, { realm, keys: generateNodeKeys() });
  onTestFinished(() => node.stop());
  return node;
}

/** A listener on `at` that answers every Note; returns its endpoint and what it got. */
async function startServer(node: Node, at: string) {
  const events: unknown[] = [];
  let ready: (endpoint: string) => void = () => {};
  const listening = new Promise<string>((r) => {
    ready = r;
  });
  node.spawn(async (self: ActorContext) => {
    listen(self, at);
    ready((await self.select(Listening)).endpoint);
    for (;;) {
      const m = await self.select();
      if (m instanceof Stop) return;
      events.push(m);
      if (m instanceof Note) self.reply(m);
    }
  });
  return { endpoint: await listening, events };
}

/** The ws URL of a callsign endpoint, for the ws library. */
function urlOf(endpoint: string): string {
  return endpoint.startsWith('unix:') ? `ws+unix:${endpoint.slice(5)}:/` : `ws://${endpoint}/`;
}

/** A request and its answer from a fresh node over a fresh connection. */
async function served(realm: Realm, endpoint: string): Promise<number> {
  const b = makeNode(realm, 'legit');
  const { result } = b.start(async (self: ActorContext) => {
    connect(self, endpoint);
    const c = await self.select(Connected, NotConnected);
    if (c instanceof NotConnected) throw new Error(`${c.code}: ${c.reason}`);
    self.send(new Note({ n: 42 }), self.returnAddress as ActorAddress);
    return (await self.select(Note)).n;
  });
  return result as Promise<number>;
}

/** An upgrade request with `headers` (raw lines), on a raw socket; resolves with the socket. */
async function upgradeWith(endpoint: string, headers: string[]) {
  const socket = await rawSocket(endpoint);
  socket.write(
    'GET / HTTP/1.1\r\nHost: callsign\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
  );
  return socket;
}

describe.each(['tcp', 'unix'] as const)('a hello in the upgrade request, over %s', (kind) => {
  const at = () => (kind === 'tcp' ? '127.0.0.1:0' : `unix:${join(tempDir(), 'l.sock')}`);

  it('is answered with M2 before the dialler sends any frame, and the connection opens', async () => {
    const realm = createRealm('hello');
    const a = makeNode(realm, 'a');
    const { endpoint, events } = await startServer(a, at());
    const hs = new InitiatorHandshake({ realm, keys: generateNodeKeys() });
    const hello = Buffer.from(hs.start()).toString('base64');
    const raw = new WebSocket(urlOf(endpoint), { headers: { [HELLO_HEADER]: hello } });
    raw.on('error', () => {});
    onTestFinished(() => raw.terminate());
    let said: string | string[] | undefined;
    raw.once('upgrade', (res) => {
      said = res.headers[HELLO_HEADER];
    });
    // Nothing is sent on the WebSocket: the listener's first frame answers the header.
    const m2 = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no M2 within 5 s')), 5000);
      raw.once('message', (data: Buffer) => {
        clearTimeout(timer);
        resolve(data);
      });
    });
    expect(said, 'the 101 says the hello was taken').toBe(HELLO_TAKEN);
    const step = hs.receive(m2);
    raw.send(step.send as Uint8Array);
    const frames: Uint8Array[] = [];
    const sealer = step.result?.sealer as { seal(p: Uint8Array): Uint8Array };
    const packer = new FramePacker({
      maxFrameSize: 4096,
      onFrame: (p) => frames.push(sealer.seal(p)),
    });
    packer.control(CONTROL.open, encodeOpen({ owner: 99, ...DEFAULT_WINDOWS }));
    packer.flush();
    raw.send(frames[0] as Uint8Array);
    await until(() => events.some((e) => e instanceof Accepted));
  });

  it('that is hostile costs only its own connection, with a code, and the listener serves on', async () => {
    const realm = createRealm('hello');
    const sink = memorySink();
    const a = makeNode(realm, 'a', sink);
    const { endpoint } = await startServer(a, at());
    const otherRealm = new InitiatorHandshake({
      realm: createRealm('other'),
      keys: generateNodeKeys(),
    });
    const good = new InitiatorHandshake({ realm, keys: generateNodeKeys() }).start();
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const attacks: Record<string, string[]> = {
      'not base64': [`${HELLO_HEADER}: **not*base64**`],
      'base64 of a wrong length': [`${HELLO_HEADER}: QUJ`],
      'two hello headers': [`${HELLO_HEADER}: ${b64(good)}`, `${HELLO_HEADER}: ${b64(good)}`],
      'larger than any handshake message': [`${HELLO_HEADER}: ${b64(randomBytes(300))}`],
      'a header of 6 KiB': [`${HELLO_HEADER}: ${'A'.repeat(6 * 1024)}`],
      'random bytes of M1 length': [`${HELLO_HEADER}: ${b64(randomBytes(66))}`],
      'an M1 of another realm': [`${HELLO_HEADER}: ${b64(otherRealm.start())}`],
      'a truncated M1': [`${HELLO_HEADER}: ${b64(good.subarray(0, 40))}`],
      'an M1 of a future version': [
        `${HELLO_HEADER}: ${b64(Uint8Array.of(9, ...good.subarray(1)))}`,
      ],
    };
    for (const [what, headers] of Object.entries(attacks)) {
      const socket = await upgradeWith(endpoint, headers);
      expect(await closedWithin(socket, 10_000), what).toBe(true);
    }
    // A good hello, then a second M1 as a frame: the responder expects M3 only.
    const hs = new InitiatorHandshake({ realm, keys: generateNodeKeys() });
    const raw = new WebSocket(urlOf(endpoint), { headers: { [HELLO_HEADER]: b64(hs.start()) } });
    raw.on('error', () => {});
    await new Promise((r) => raw.once('message', r));
    const closed = new Promise((r) => raw.once('close', r));
    raw.send(good);
    await closed;

    expect(await served(realm, endpoint)).toBe(42);
    const logged = () => sink.records.map((r) => r.text).join('\n');
    await until(() => /ERR_BAD_UPGRADE/.test(logged()));
    for (const code of ['ERR_HANDSHAKE_TOO_LARGE', 'ERR_WRONG_REALM', 'ERR_HANDSHAKE_FAILED']) {
      expect(logged(), code).toContain(code);
    }
  }, 60_000);
});

describe('a dialler whose hello a listener of an earlier version ignores', () => {
  it('sends M1 as the first frame instead, once', async () => {
    const path = join(tempDir(), 'old.sock');
    const frames: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const http = createServer();
      const old = new WebSocketServer({ server: http });
      old.on('connection', (ws) => ws.on('message', (d: Buffer) => frames.push(d)));
      http.listen(path, () => resolve());
      onTestFinished(() => {
        old.close();
        http.close();
      });
    });
    const hello = new InitiatorHandshake({
      realm: createRealm('old'),
      keys: generateNodeKeys(),
    }).start();
    const link = await wsTransport().dial(`unix:${path}`, {
      context: { clock: systemClock, log: () => {} },
      timeoutMs: 5000,
      maxFrameBytes: 1 << 20,
      hello,
    });
    onTestFinished(() => link.sever());
    await until(() => frames.length > 0);
    link.send(Uint8Array.of(1, 2, 3));
    await until(() => frames.length > 1);
    expect(Buffer.from(frames[0] as Buffer).equals(Buffer.from(hello))).toBe(true);
    expect([...(frames[1] as Buffer)]).toEqual([1, 2, 3]);
  });
});
