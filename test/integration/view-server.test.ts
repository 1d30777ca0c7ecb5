// `callsign view` as a user and as a stranger meet it: spawned, over real
// HTTP and websockets. Every request needs the token; the same snapshot as
// `network --json`; Prometheus text; and bytes meant to hurt it hurt only
// the connection that sent them.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../helpers/cli.ts';
import { wsFrameBytes } from '../helpers/ws-frames.ts';
import {
  stateWhere,
  type ViewedNetwork,
  type ViewStateJson,
  viewedNetwork,
} from './programs/view-network.ts';

type Snapshot = ViewStateJson['snapshot'];

const PATHS = ['/', '/alive', '/ready', '/metrics', '/api/state', '/assets/view.js', '/nothing'];

/** Opens the websocket; gives the first message, or the HTTP status it was refused with. */
function openLive(n: ViewedNetwork, query: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; first?: string; ws?: WebSocket }>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${n.port}/live${query}`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('message', (data) => resolve({ status: 101, first: String(data), ws }));
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(String(err))) reject(err);
    });
  });
}

/** Writes `bytes` on a raw connection; gives all it was answered until the view closed it. */
function raw(n: ViewedNetwork, bytes: string | Uint8Array, close = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(n.port, '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      got += d;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
    socket.on('connect', () => {
      socket.write(bytes);
      if (close) socket.end();
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the view kept the connection open; it said ${JSON.stringify(got)}`));
    }, 15_000).unref();
  });
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
const withToken = (n: ViewedNetwork) => ({ authorization: `Bearer ${n.token}` });

/** RSS of the view's process, in bytes. */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? 0) * 1024;
}

describe('callsign view', () => {
  it('refuses every request without the token, the websocket too; serves the network to the token', async () => {
    const n = await viewedNetwork();
    for (const path of PATHS) {
      const none = await fetch(n.at(path));
      expect(none.status, path).toBe(401);
      expect(await none.text(), path).toBe('401 unauthorized\n');
      const wrong = await fetch(n.at(`${path}?token=${n.token.slice(1)}x`));
      expect(wrong.status, path).toBe(403);
    }
    expect((await openLive(n, '')).status).toBe(401);
    expect((await openLive(n, `?token=${n.token.slice(1)}x`)).status).toBe(403);
    expect((await openLive(n, `?token=${n.token}`, { origin: 'http://evil.example' })).status).toBe(
      403,
    );

    // With it: the probes, the page, the state with the session's rate.
    expect((await fetch(n.at('/alive'), { headers: withToken(n) })).status).toBe(200);
    const state = await stateWhere(
      n,
      (s) => {
        const session = s.snapshot.sessions.find((x) => x.name === 'strain-0');
        return session?.rate && session.rate.messagesPerSecond > 0 ? s : undefined;
      },
      'the session of strain-0 with a rate',
    );
    expect(state.ready).toBe(true);
    expect(state.snapshot.directories.map((d) => d.level)).toEqual(['host']);
    expect((await fetch(n.at(`/ready?token=${n.token}`))).status).toBe(200);
    const page = await fetch(n.at(`/?token=${n.token}`));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await page.text()).toContain(`/assets/view.js?token=${encodeURIComponent(n.token)}`);

    // Prometheus text, with the listing's and the session's counts.
    const metrics = await (await fetch(n.at('/metrics'), { headers: withToken(n) })).text();
    expect(metrics).toMatch(/^# HELP /);
    expect(metrics).toMatch(/^callsign_directory_up\{level="host",endpoint="unix:[^"]+"\} 1$/m);
    expect(metrics).toMatch(/^callsign_listing_sessions\{listing="strain-0",[^}]*\} 1$/m);
    const sent =
      /^callsign_session_messages_total\{[^}]*listing="strain-0"[^}]*direction="to_subscriber"\} (\d+)$/m;
    expect(Number(sent.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Pushed over the websocket as it changes.
    const live = await openLive(n, `?token=${n.token}`);
    expect(live.status).toBe(101);
    const pushed = JSON.parse(live.first as string) as typeof state;
    live.ws?.close();
    expect(Object.keys(pushed.snapshot).sort()).toEqual(
      ['at', 'directories', 'home', 'listings', 'nodes', 'sessions', 'unreachable'].sort(),
    );
    expect(pushed.snapshot.listings.map((l) => l.name)).toContain('strain-0');
  });

  it('gives the same snapshot as `callsign network --json`', async () => {
    const n = await viewedNetwork();
    const state = await stateWhere(
      n,
      (s) => (s.snapshot.sessions.some((x) => x.name === 'strain-0') ? s : undefined),
      'the session of strain-0',
    );
    const json = await n.project.run(['network', '--json'], n.hostEnv);
    expect(json.code, json.stderr).toBe(0);
    const network = JSON.parse(json.stdout) as Snapshot;
    const shape = (s: Snapshot) => ({
      keys: Object.keys(s).sort(),
      directories: s.directories.map((d) => [d.level, d.endpoint, d.listings.map((l) => l.name)]),
      nodes: s.nodes.map((x) => x.where).filter((w) => !w.startsWith('callsign')),
      listings: s.listings.map((l) => [l.id, l.name]),
      sessions: s.sessions.map((x) => [x.name, x.subscriber.where]),
    });
    expect(shape(network)).toEqual(shape(state.snapshot));
  });

  it("shows a stream server's streams with their sizes and the consumers' positions, and a consumer's session with a rate", async () => {
    const n = await viewedNetwork({ streams: true });
    const stream = await stateWhere(
      n,
      (s) => {
        const found = s.streams.find((x) => x.server === 'laboratory-streams')?.streams[0];
        const report = found?.consumers.find((c) => c.name === 'report');
        const acked = report?.positions.some((p) => p.ackFloor > 0);
        return found && found.messages > 0 && acked ? found : undefined;
      },
      'the stream strain-readings with the report consumer past its first reading',
    );
    expect(stream.name).toBe('strain-readings');
    expect(stream.bytes).toBeGreaterThan(0);
    // The consumer's session has a rate: the deliveries, from another actor
    // of the stream server than the listing's, count in it.
    const consumer = await stateWhere(
      n,
      (s) =>
        s.snapshot.sessions.find(
          (x) =>
            x.name === 'strain-readings' &&
            /report/.test(x.subscriber.where ?? '') &&
            (x.rate?.messagesPerSecond ?? 0) > 0,
        ),
      "the report consumer's session of strain-readings with a rate above zero",
    );
    expect(consumer.rate?.bytesPerSecond).toBeGreaterThan(0);
    const metrics = await (await fetch(n.at('/metrics'), { headers: withToken(n) })).text();
    expect(metrics).toMatch(
      /^callsign_stream_messages\{stream="strain-readings",server="laboratory-streams"\} [1-9]\d*$/m,
    );
  }, 60_000);

  it('asks the nodes to count traffic only while someone looks', async () => {
    const n = await viewedNetwork();
    const env = n.hostEnv;
    /** What `network --json` (which counts nothing itself) says of the nodes' counting. */
    const counting = async () => {
      const r = await n.project.run(['network', '--json'], env);
      const s = JSON.parse(r.stdout) as {
        nodes: { where: string; meteredSeconds: number }[];
        sessions: { name: string; countedAt: string | null }[];
      };
      const session = s.sessions.find((x) => x.name === 'strain-0');
      return session ? { session, nodes: s.nodes } : undefined;
    };
    await eventually(counting, 'the session of strain-0');
    // The view has asked its directory (it is ready), and no page or scraper looks.
    await eventually(async () => {
      const r = await fetch(n.at('/ready'), { headers: withToken(n) });
      return r.status === 200 ? true : undefined;
    }, 'the view ready');
    const unwatched = await counting();
    expect(unwatched?.session.countedAt).toBeNull();
    expect(unwatched?.nodes.every((x) => x.meteredSeconds === 0)).toBe(true);
    // Someone looks: from the view's next enquiry on, the publisher counts.
    expect((await fetch(n.at('/api/state'), { headers: withToken(n) })).status).toBe(200);
    await eventually(
      async () => ((await counting())?.session.countedAt === 'publisher' ? true : undefined),
      'the publisher counting',
    );
  });

  it('survives strangers: bad requests, floods and bad websocket frames end only their own connection', async () => {
    const n = await viewedNetwork();
    const pid = n.view.child.pid as number;
    await stateWhere(n, (s) => (s.ready ? true : undefined), 'the view ready');
    const before = rssOf(pid);

    expect(status(await raw(n, '\x00\xff\x16\x03\x01 not http at all\r\n\r\n'))).toBe(400);
    expect(
      status(await raw(n, `GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)),
    ).toBe(431);
    expect(
      status(
        await raw(
          n,
          `POST /?token=${n.token} HTTP/1.1\r\nHost: 127.0.0.1:${n.port}\r\ncontent-length: 4\r\n\r\nabcd`,
        ),
      ),
    ).toBe(405);
    expect(
      status(
        await raw(
          n,
          `GET /?token=${n.token} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
        ),
      ),
    ).toBe(403);
    // Half a request, then the end of the connection: refused, and nothing is kept of it.
    const half = await raw(n, `GET /?token=${n.token} HTTP/1.1\r\nHost: 127.0.0.1`, true);
    expect(half === '' || status(half) === 400, half).toBe(true);

    // A flood: many connections at once, each a request without the token or half a request.
    const flood = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? raw(
              n,
              `GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${n.port}\r\nConnection: close\r\n\r\n`,
            )
          : raw(n, 'GET / HTTP/1.1\r\n', true),
      ),
    );
    for (const r of flood) {
      // Answered 401 (no token), 400 (half a request), or closed unanswered past the connection limit.
      if (r.status === 'fulfilled' && r.value !== '') expect([400, 401]).toContain(status(r.value));
      else expect(r.status).toBe('fulfilled');
    }

    // Websocket clients that send: a text frame, a frame too large, an unmasked
    // frame, reserved bits. Each is closed; another client goes on receiving.
    const watcher = await openLive(n, `?token=${n.token}`);
    expect(watcher.status).toBe(101);
    const key = new Uint8Array([1, 2, 3, 4]);
    const frames = [
      wsFrameBytes({ opcode: 1, payload: Buffer.from('hello'), maskKey: key }),
      wsFrameBytes({ opcode: 2, payload: new Uint8Array(8), maskKey: key, declared: 1 << 30 }),
      wsFrameBytes({ opcode: 1, payload: Buffer.from('unmasked') }),
      wsFrameBytes({ opcode: 1, payload: Buffer.from('rsv'), maskKey: key, rsv: 7 }),
      wsFrameBytes({ opcode: 0xb, payload: Buffer.from('?'), maskKey: key }),
    ];
    const upgrade = [
      `GET /live?token=${n.token} HTTP/1.1`,
      `Host: 127.0.0.1:${n.port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      '',
      '',
    ].join('\r\n');
    for (const frame of frames) {
      const answer = await raw(n, Buffer.concat([Buffer.from(upgrade), Buffer.from(frame)]));
      expect(status(answer)).toBe(101);
    }
    // Not a websocket key at all: refused, not crashed.
    const badKey = upgrade.replace('dGhlIHNhbXBsZSBub25jZQ==', '!!');
    expect(status(await raw(n, badKey))).toBe(400);

    let received = 0;
    watcher.ws?.on('message', () => {
      received++;
    });
    await eventually(async () => (received >= 2 ? true : undefined), 'two more states pushed');
    watcher.ws?.close();

    // Still serving; memory did not grow with what strangers sent.
    expect((await fetch(n.at('/alive'), { headers: withToken(n) })).status).toBe(200);
    expect(rssOf(pid) - before).toBeLessThan(64 * 1024 * 1024);
  });
});
