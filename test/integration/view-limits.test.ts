// The view's server under two attacks that use its limits rather than bad
// bytes (docs/view.md, "Limits"): a websocket client that never reads what it
// is sent, closed once 4 MiB wait for it; and slow requests that trickle
// their headers, closed when the whole request has not arrived in 10 s. The
// server runs in this process, so the test pushes states as fast as it likes
// and reads the server's own counts; honest clients are served throughout.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { startViewServer, VIEW_LIMITS, type ViewServer } from '../../orchestrator/view/server.ts';
import { eventually } from '../helpers/cli.ts';

const TOKEN = 'T'.repeat(32);

async function viewServer(): Promise<ViewServer> {
  const server = await startViewServer({
    port: 0,
    token: TOKEN,
    page: '<!doctype html><title>view</title>',
    assets: new Map(),
    state: () => undefined,
    metrics: () => '',
    ready: () => true,
  });
  onTestFinished(() => server.close());
  return server;
}

/** A raw socket that has completed the websocket upgrade and then stops reading. */
function neverReader(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!got.startsWith('HTTP/1.1 101')) reject(new Error(`not upgraded: ${got}`));
      // From here on nothing is read: the kernel's buffers fill, then the server's.
      socket.pause();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('connect', () => {
      socket.write(
        `GET /live?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
    });
    onTestFinished(() => {
      socket.destroy();
    });
  });
}

/** An honest websocket client, counting what it receives. */
async function reader(port: number): Promise<{ ws: WebSocket; received: () => number }> {
  let received = 0;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/live?token=${TOKEN}`);
  ws.on('message', () => {
    received++;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  onTestFinished(() => {
    ws.terminate();
  });
  return { ws, received: () => received };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function alive(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/alive`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  await r.arrayBuffer();
  return r.status;
}

describe("the view's limits under attack", () => {
  it('closes a websocket client that never reads once 4 MiB wait for it; a reading client gets every state', async () => {
    const server = await viewServer();
    const honest = await reader(server.port);
    await neverReader(server.port);
    await eventually(async () => (server.clients === 2 ? true : undefined), 'both clients in');

    const state = JSON.stringify({ filler: 'x'.repeat(256 * 1024) });
    // Without the bound the never-reader would hold all of it; it must be cut well before.
    const most = Math.ceil((64 * 1024 * 1024) / state.length);
    let pushed = 0;
    while (server.clients === 2 && pushed < most) {
      server.push(state);
      pushed++;
      await turn();
    }
    expect(server.clients).toBe(1);
    expect(pushed).toBeLessThan(most);
    // At least the bound was pushed to it before it was cut (and nothing was dropped for it early).
    expect(pushed * state.length).toBeGreaterThan(VIEW_LIMITS.maxBufferedBytes);
    // The honest client received every state, and still receives.
    await eventually(
      async () => (honest.received() === pushed ? true : undefined),
      `the reading client to receive all ${pushed} states (it has ${honest.received()})`,
    );
    server.push('{}');
    await eventually(async () => (honest.received() === pushed + 1 ? true : undefined), 'one more');
    expect(honest.ws.readyState).toBe(WebSocket.OPEN);
    expect(await alive(server.port)).toBe(200);
  });

  it('closes requests whose headers trickle in for longer than the request timeout, and serves others meanwhile', async () => {
    const server = await viewServer();
    const slow = 24;
    const closed = new Set<number>();
    const answers: string[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < slow; i++) {
      const s = connect(server.port, '127.0.0.1');
      s.setEncoding('latin1');
      s.on('error', () => {});
      s.on('data', (d: string) => {
        answers[i] = (answers[i] ?? '') + d;
      });
      s.on('close', () => closed.add(i));
      s.on('connect', () => s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`));
      sockets.push(s);
    }
    onTestFinished(() => {
      for (const s of sockets) s.destroy();
    });
    // A header byte from each every 500 ms: never idle, never done.
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write('x');
    }, 500);
    onTestFinished(() => clearInterval(drip));

    // While they trickle, an honest request is answered, and they are still open.
    expect(await alive(server.port)).toBe(200);
    expect(closed.size).toBe(0);

    await eventually(
      async () => (closed.size === slow ? true : undefined),
      `the ${slow} slow requests to be closed (${closed.size} are)`,
      VIEW_LIMITS.requestTimeoutMs * 3,
    );
    for (let i = 0; i < slow; i++)
      expect(answers[i], `slow request ${i}`).toMatch(/^HTTP\/1\.1 408 /);
    expect(await alive(server.port)).toBe(200);
  }, 60_000);
});
