import { describe, expect, it, onTestFinished } from 'vitest';
import {
  Abandoned,
  Accepted,
  type ActorAddress,
  type ActorContext,
  Closed,
  Connected,
  close,
  configureTransport,
  connect,
  createRealm,
  defineMessage,
  drain,
  generateNodeKeys,
  type Link,
  type LinkTransport,
  Listening,
  listen,
  Node,
  NotConnected,
  type Realm,
  Stop,
  type TransportInit,
  t,
  Undelivered,
} from '../../src/index.ts';
import type { Connection } from '../../src/internal.ts';
import { until } from '../helpers/until.ts';

/**
 * The compliance suite of the transport contract: every implementation of
 * `LinkTransport` runs it (an in-memory pair, ws over a unix socket, ws over
 * TCP; later the WAN relay), through two nodes that talk as applications do.
 */

class Note extends defineMessage('test.compliance.Note', { n: t.int, text: t.string }) {}
class Blob extends defineMessage('test.compliance.Blob', { data: t.bytes }) {}
class Crowd extends defineMessage('test.compliance.Crowd', { actors: t.array(t.address) }) {}

/** What an implementation gives the suite. */
export interface TransportSetup {
  /** A transport for the nodes of one test (nodes that talk share what this returns when they must). */
  transport(): LinkTransport;
  /** A fresh endpoint to listen on. */
  endpoint(): string;
}

/** A transport that records its links and can tamper with frames, for the loss and forgery tests. */
function recording(inner: LinkTransport) {
  const links: Link[] = [];
  let tamperNext = false;
  const wrap = (link: Link): Link => {
    links.push(link);
    const send = link.send.bind(link);
    link.send = (frame: Uint8Array, written?: () => void) => {
      if (tamperNext && frame.length > 24) {
        tamperNext = false;
        const bad = frame.slice();
        bad[bad.length - 1]! ^= 1;
        send(bad);
        return;
      }
      send(frame, written);
    };
    return link;
  };
  const transport: LinkTransport = {
    name: inner.name,
    listen: (endpoint, init) =>
      inner.listen(endpoint, { ...init, onLink: (l) => init.onLink(wrap(l)) }),
    dial: async (endpoint, init) => wrap(await inner.dial(endpoint, init)),
  };
  return {
    transport,
    links,
    tamperNextFrame() {
      tamperNext = true;
    },
  };
}

export function describeTransport(name: string, setup: () => TransportSetup) {
  describe(`transport compliance: ${name}`, () => {
    function world(extra: Partial<TransportInit> = {}) {
      const s = setup();
      const realm = createRealm('compliance');
      const shared = s.transport();
      const make = (label: string, over: Partial<TransportInit> = {}, r: Realm = realm) => {
        const rec = recording(shared);
        const node = new Node({ name: label });
        configureTransport(node, {
          realm: r,
          keys: generateNodeKeys(),
          transport: rec.transport,
          ...extra,
          ...over,
        });
        onTestFinished(() => node.stop());
        return { node, rec };
      };
      return { s, realm, make };
    }

    /** A listening actor that echoes Note and records the rest. */
    async function server(
      node: Node,
      endpoint: string,
      onMessage?: (self: ActorContext, m: unknown) => Promise<void> | void,
    ) {
      const events: unknown[] = [];
      let address: ActorAddress | undefined;
      const listening = new Promise<string>((resolve) => {
        address = node.spawn(async (self: ActorContext) => {
          listen(self, endpoint);
          resolve((await self.select(Listening)).endpoint);
          for (;;) {
            const m = await self.select();
            if (m instanceof Stop) return;
            events.push(m);
            if (onMessage) await onMessage(self, m);
            else if (m instanceof Note) self.reply(m);
          }
        });
      });
      return { endpoint: await listening, events, address: address as ActorAddress };
    }

    /** A connecting actor that runs `body` once connected. */
    function client<R>(
      node: Node,
      endpoint: string,
      body: (self: ActorContext, server: ActorAddress) => Promise<R>,
    ) {
      return node.start(async (self: ActorContext) => {
        connect(self, endpoint);
        const c = await self.select(Connected, NotConnected);
        if (c instanceof NotConnected) return { refused: c.code } as const;
        return { value: await body(self, self.returnAddress as ActorAddress) } as const;
      }).result;
    }

    it('opens: Connected on one side, Accepted on the other, with each peer key', async () => {
      const { s, make } = world();
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint());
      const out = await client(b.node, srv.endpoint, async () => 'ok');
      expect(out).toEqual({ value: 'ok' });
      await until(() => srv.events.some((e) => e instanceof Accepted));
    });

    it('carries request and reply, many times over one connection', async () => {
      const { s, make } = world();
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint());
      const out = await client(b.node, srv.endpoint, async (self, server) => {
        let sum = 0;
        for (let i = 0; i < 200; i++) {
          self.send(new Note({ n: i, text: 'q' }), server);
          sum += (await self.select(Note)).n;
        }
        return sum;
      });
      expect(out).toEqual({ value: (199 * 200) / 2 });
    });

    it('batches the messages of one turn into few frames', async () => {
      const { s, make } = world();
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint(), () => {});
      const out = await client(b.node, srv.endpoint, async (_self, server) => {
        const c = server.channel as Connection;
        const before = c.counters.framesSent;
        for (let i = 0; i < 500; i++) _self.send(new Note({ n: i, text: 'x'.repeat(40) }), server);
        await drain(_self, server);
        return c.counters.framesSent - before;
      });
      expect(out.value).toBeLessThanOrEqual(2);
      await until(() => srv.events.filter((e) => e instanceof Note).length === 500);
    });

    it('carries a message far larger than a frame in fragments, in order', async () => {
      const { s, make } = world({ maxFrameSize: 64 * 1024 });
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint(), () => {});
      const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
      await client(b.node, srv.endpoint, async (self, server) => {
        self.send(new Blob({ data }), server);
        self.send(new Note({ n: 1, text: 'after' }), server);
      });
      await until(() => srv.events.some((e) => e instanceof Note));
      const blob = srv.events[srv.events.findIndex((e) => e instanceof Blob)] as Blob;
      expect(Buffer.from(blob.data).equals(Buffer.from(data))).toBe(true);
      expect(srv.events.findIndex((e) => e instanceof Blob)).toBeLessThan(
        srv.events.findIndex((e) => e instanceof Note),
      );
    });

    it('carries many frames of 4 to 64 KiB in flight at once, each intact', async () => {
      const { s, make } = world();
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint(), () => {});
      // Sealed frames of these sizes go into buffers the connection fills again once written.
      const sizes = Array.from({ length: 300 }, (_, i) => 4096 + ((i * 7919) % (60 * 1024)));
      const blob = (i: number) => new Uint8Array(sizes[i]!).map((_, j) => (i * 131 + j * 7) & 0xff);
      await client(b.node, srv.endpoint, async (self, server) => {
        for (let i = 0; i < sizes.length; i++) {
          self.send(new Blob({ data: blob(i) }), server);
          if (i % 50 === 49) await drain(self, server);
        }
      });
      await until(() => srv.events.filter((e) => e instanceof Blob).length === sizes.length);
      const got = srv.events.filter((e): e is Blob => e instanceof Blob);
      got.forEach((m, i) => {
        expect(Buffer.from(m.data).equals(Buffer.from(blob(i))), `blob ${i}`).toBe(true);
      });
    });

    it('gives credit back to hundreds of actors at once, and each window opens again', async () => {
      const { s, make } = world({
        windows: { actorMessages: 2, actorBytes: 1 << 20, connectionBytes: 16 << 20 },
      });
      const a = make('a');
      const b = make('b');
      const COUNT = 300;
      const srv = await server(a.node, s.endpoint(), (self, m) => {
        if (!(m instanceof Note)) return;
        // Actors that each take what comes and answer it: their credit goes back in one turn.
        const actors = Array.from({ length: COUNT }, () =>
          self.create(async (me: ActorContext) => {
            for (;;) {
              const n = await me.select(Note, Stop);
              if (n instanceof Stop) return;
              me.reply(n);
            }
          }),
        );
        self.reply(new Crowd({ actors }));
      });
      const out = await client(b.node, srv.endpoint, async (self, server) => {
        self.send(new Note({ n: 0, text: 'crowd' }), server);
        const { actors } = await self.select(Crowd);
        let answers = 0;
        // Three rounds of two messages per actor: each round needs the credit of the one before.
        for (let round = 0; round < 3; round++) {
          for (const actor of actors) {
            self.send(new Note({ n: 1, text: 'x' }), actor);
            self.send(new Note({ n: 2, text: 'y' }), actor);
          }
          for (let i = 0; i < 2 * actors.length; i++) {
            await self.select(Note);
            answers++;
          }
        }
        return answers;
      });
      expect(out).toEqual({ value: 3 * 2 * COUNT });
    });

    it.each(['connector', 'listener'])(
      'closed by the %s: Closed there, Abandoned (ERR_CLOSED) on the other side',
      async (who) => {
        const { s, make } = world();
        const a = make('a');
        const b = make('b');
        const srv = await server(a.node, s.endpoint(), (self, m) => {
          if (m instanceof Note && who === 'listener') close(self, self.returnAddress!);
        });
        const out = await client(b.node, srv.endpoint, async (self, server) => {
          if (who === 'connector') close(self, server);
          else self.send(new Note({ n: 1, text: 'close please' }), server);
          const m = await self.select(Closed, Abandoned);
          return m instanceof Abandoned ? `Abandoned:${m.code}` : 'Closed';
        });
        await until(() => srv.events.some((e) => e instanceof Closed || e instanceof Abandoned));
        const there = srv.events.find((e) => e instanceof Closed || e instanceof Abandoned);
        if (who === 'connector') {
          expect(out.value).toBe('Closed');
          expect(there).toBeInstanceOf(Abandoned);
          expect((there as Abandoned).code).toBe('ERR_CLOSED');
        } else {
          expect(out.value).toBe('Abandoned:ERR_CLOSED');
          expect(there).toBeInstanceOf(Closed);
        }
      },
    );

    it('the loss of the other process gives Abandoned (ERR_CONNECTION_LOST) and reports what was in flight', async () => {
      const { s, make } = world({
        windows: { actorMessages: 50, actorBytes: 1 << 20, connectionBytes: 1 << 22 },
      });
      const a = make('a');
      const b = make('b');
      // A listener that never takes what it is sent, so messages stay in flight.
      const srv = await server(a.node, s.endpoint(), async (self) => {
        await self.select(Stop);
      });
      const out = await client(b.node, srv.endpoint, async (self, server) => {
        for (let i = 0; i < 200; i++) self.send(new Note({ n: i, text: 'x' }), server);
        await new Promise((r) => setTimeout(r, 50));
        for (const link of a.rec.links) link.sever();
        const reasons: string[] = [];
        for (;;) {
          const m = await self.select(Abandoned, Undelivered);
          if (m instanceof Abandoned) return { code: m.code, reasons };
          reasons.push(`${m.reason}:${m.code}`);
        }
      });
      expect(out.value?.code).toBe('ERR_CONNECTION_LOST');
      // Whatever waits after the Abandoned is still on its way: wait for all 200.
      await until(() => b.node.counters.undelivered.ERR_CONNECTION_LOST !== undefined);
      const lost = b.node.counters.undelivered.ERR_CONNECTION_LOST ?? 0;
      // The listener took one message (the first select), so at most it and its window may have arrived.
      expect(lost).toBeGreaterThanOrEqual(200 - 51);
      expect(lost).toBeLessThanOrEqual(200);
    });

    it('backpressure: a slow receiver slows the sender, in order, losing nothing', async () => {
      const { s, make } = world({
        windows: { actorMessages: 20, actorBytes: 1 << 20, connectionBytes: 1 << 22 },
      });
      const a = make('a');
      const b = make('b');
      const got: number[] = [];
      const srv = await server(a.node, s.endpoint(), async (_self, m) => {
        if (m instanceof Note) {
          got.push(m.n);
          if (m.n % 50 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      });
      let mostWaiting = 0;
      await client(b.node, srv.endpoint, async (self, server) => {
        const c = server.channel as Connection;
        for (let i = 0; i < 2000; i++) {
          self.send(new Note({ n: i, text: 'y' }), server);
          mostWaiting = Math.max(mostWaiting, c.waiting);
          if (i % 100 === 99) await drain(self, server);
        }
      });
      await until(() => got.length === 2000, 30_000);
      expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
      expect(mostWaiting).toBeLessThanOrEqual(100);
      expect(b.node.counters.undelivered).toEqual({});
    });

    it('refuses a node of another realm (ERR_WRONG_REALM) and a key it did not expect (ERR_PEER_KEY_MISMATCH)', async () => {
      const { s, make } = world();
      const a = make('a');
      const stranger = make('stranger', {}, createRealm('other'));
      const srv = await server(a.node, s.endpoint());
      expect(await client(stranger.node, srv.endpoint, async () => 'in')).toEqual({
        refused: 'ERR_WRONG_REALM',
      });
      const b = make('b');
      const { result } = b.node.start(async (self: ActorContext) => {
        connect(self, srv.endpoint, { expectedPeerKey: generateNodeKeys().publicKey });
        const c = await self.select(Connected, NotConnected);
        return c instanceof NotConnected ? c.code : 'connected';
      });
      expect(await result).toBe('ERR_PEER_KEY_MISMATCH');
      // And it still serves its own realm.
      expect(await client(b.node, srv.endpoint, async () => 'ok')).toEqual({ value: 'ok' });
    });

    it('cuts a link that never finishes its handshake (ERR_HANDSHAKE_TIMEOUT)', async () => {
      const { s, make } = world({ handshakeMs: 300 });
      const a = make('a');
      const srv = await server(a.node, s.endpoint());
      const raw = await s.transport().dial(srv.endpoint, {
        context: { clock: a.node.clock, log: () => {} },
        timeoutMs: 5000,
        maxFrameBytes: 1 << 20,
      });
      raw.attach({ frame: () => {}, drain: () => {}, end: () => {} });
      const ending = await raw.closed();
      expect(ending.code).toBe('ERR_HANDSHAKE_TIMEOUT');
    });

    it('a forged frame closes the connection with ERR_FRAME_FORGED, and the sender learns the code', async () => {
      const { s, make } = world();
      const a = make('a');
      const b = make('b');
      const srv = await server(a.node, s.endpoint());
      const out = await client(b.node, srv.endpoint, async (self, server) => {
        self.send(new Note({ n: 1, text: 'fine' }), server);
        await self.select(Note);
        b.rec.tamperNextFrame();
        self.send(new Note({ n: 2, text: 'flipped' }), server);
        const m = await self.select(Abandoned);
        return m.code;
      });
      expect(out.value).toBe('ERR_FRAME_FORGED');
      await until(() => srv.events.some((e) => e instanceof Abandoned));
      expect((srv.events.find((e) => e instanceof Abandoned) as Abandoned).code).toBe(
        'ERR_FRAME_FORGED',
      );
    });
  });
}
