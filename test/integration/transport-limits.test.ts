import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { Request, Response } from '../../examples/listen-connect/messages.ts';
import {
  type ActorContext,
  Connected,
  configureTransport,
  connect,
  generateNodeKeys,
  Node,
  NotConnected,
  type Realm,
  SelectTimer,
} from '../../src/index.ts';
import { Writer } from '../../src/messages/binary.ts';
import { DEFAULT_WINDOWS } from '../../src/transport/options.ts';
import { CONTROL, encodeOpen } from '../../src/wire/control.ts';
import { InitiatorHandshake } from '../../src/wire/handshake.ts';
import { loadOrCreateRealm } from '../../src/wire/realm.ts';
import { type Program, startProgram, tempDir } from '../helpers/processes.ts';
import {
  closedWithin,
  destroyAll,
  rawSocket,
  rssOf,
  sampleRss,
  upgraded,
  wsFrame,
} from './attack-tools.ts';

/**
 * Floods that would pin memory or sockets, against a real listener (the
 * listen/connect example server over TCP). Through each, a legitimate peer
 * is served, the listener's RSS stays within 256 MiB of idle, and it comes
 * back down once the flood has gone. Only memory is asserted, never time.
 */

const BOUND = 256 * 1024 * 1024;
const SETTLED = 96 * 1024 * 1024;

interface Listener {
  program: Program;
  endpoint: string;
  realm: Realm;
  pid: number;
}

async function listener(): Promise<Listener> {
  const dir = tempDir();
  const realmPath = join(dir, 'realm.json');
  const program = startProgram(
    'examples/listen-connect/server.ts',
    ['--endpoint=127.0.0.1:0', '--debug-level=CONSOLE'],
    { CALLSIGN_REALM: realmPath },
  );
  const [, endpoint] = (await program.waitFor(/listening on (\S+)/, 20_000)) as unknown as [
    string,
    string,
  ];
  return {
    program,
    endpoint: endpoint as string,
    realm: await loadOrCreateRealm(realmPath),
    pid: program.child.pid as number,
  };
}

/** Connects a fresh node (retrying while the listener refuses) and does one request. */
async function served(l: Listener, ms = 30_000): Promise<void> {
  const n = new Node({ name: 'legit' });
  configureTransport(n, { realm: l.realm, keys: generateNodeKeys() });
  onTestFinished(() => n.stop());
  const { result } = n.start(async (self: ActorContext) => {
    const deadline = Date.now() + ms;
    for (;;) {
      connect(self, l.endpoint, { seconds: 5 });
      const c = await self.select(Connected, NotConnected);
      if (c instanceof Connected) break;
      if (Date.now() > deadline) throw new Error(`never connected: ${c.code}`);
      await self.select(SelectTimer, { seconds: 0.2 });
    }
    self.send(new Request({ text: 'ok?', sent: new Date() }), self.returnAddress!);
    const answer = await self.select(Response, { seconds: 10 });
    return answer instanceof Response ? answer.text : 'no answer';
  });
  expect(await result).toBe('OK?');
}

/**
 * Waits (bounded) for the listener's RSS to come back within SETTLED of idle.
 * A legitimate peer is served meanwhile: an idle process may not collect what
 * the attack left, and a listener that keeps serving must give it back.
 */
async function settles(l: Listener, idle: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = rssOf(l.pid);
    if (now - idle <= SETTLED) return;
    if (Date.now() > deadline) {
      throw new Error(
        `RSS back near idle not met within 60 s: ${mib(now)} MiB, idle ${mib(idle)} MiB`,
      );
    }
    await served(l);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

async function idleRss(l: Listener): Promise<number> {
  await served(l);
  return rssOf(l.pid);
}

describe('a listener under floods', () => {
  it('1000 idle TCP connections: the excess is cut at accept, the rest at the deadline', async () => {
    const l = await listener();
    const idle = await idleRss(l);
    const rss = sampleRss(l.pid);
    const sockets = await Promise.all(
      Array.from({ length: 1000 }, () => rawSocket(l.endpoint).catch(() => undefined)),
    );
    const open = sockets.filter((s): s is Socket => s !== undefined);
    onTestFinished(() => destroyAll(open));
    await served(l);
    const cut = await Promise.all(open.map((s) => closedWithin(s, 20_000)));
    expect(cut.every(Boolean)).toBe(true);
    const peak = rss.stop() - idle;
    expect(peak).toBeLessThanOrEqual(BOUND);
    await l.program.waitFor(/ERR_TOO_MANY_PENDING/);
    await l.program.waitFor(/ERR_HANDSHAKE_TIMEOUT/);
    await settles(l, idle);
  }, 90_000);

  it('1000 upgrades that never send the first handshake message', async () => {
    const l = await listener();
    const idle = await idleRss(l);
    const rss = sampleRss(l.pid);
    const sockets: Socket[] = [];
    onTestFinished(() => destroyAll(sockets));
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.allSettled(
        Array.from({ length: 100 }, () => upgraded(l.endpoint)),
      );
      for (const b of batch) if (b.status === 'fulfilled') sockets.push(b.value);
    }
    await served(l);
    const cut = await Promise.all(sockets.map((s) => closedWithin(s, 20_000)));
    expect(cut.every(Boolean)).toBe(true);
    const peak = rss.stop() - idle;
    expect(peak).toBeLessThanOrEqual(BOUND);
    await settles(l, idle);
  }, 90_000);

  it('300 connections that each hold an unfinished 1 MiB frame', async () => {
    const l = await listener();
    const idle = await idleRss(l);
    const rss = sampleRss(l.pid);
    const sockets: Socket[] = [];
    onTestFinished(() => destroyAll(sockets));
    const chunk = wsFrame(2, randomBytes(512 * 1024), { declared: 1024 * 1024 });
    for (let round = 0; round < 6; round++) {
      const batch = await Promise.allSettled(
        Array.from({ length: 50 }, () => upgraded(l.endpoint)),
      );
      for (const b of batch) {
        if (b.status !== 'fulfilled') continue;
        sockets.push(b.value);
        b.value.write(chunk);
      }
    }
    await served(l);
    const cut = await Promise.all(sockets.map((s) => closedWithin(s, 20_000)));
    expect(cut.every(Boolean)).toBe(true);
    const peak = rss.stop() - idle;
    expect(peak).toBeLessThanOrEqual(BOUND);
    await l.program.waitFor(/ERR_HANDSHAKE_TOO_LARGE/);
    await settles(l, idle);
  }, 90_000);

  it('an authenticated peer filling every fragment stream is cut at the reassembly budget', async () => {
    const l = await listener();
    const idle = await idleRss(l);
    const rss = sampleRss(l.pid);
    const attackers = await Promise.all([fillFragments(l), fillFragments(l)]);
    expect(attackers.every((closed) => closed)).toBe(true);
    await l.program.waitFor(/ERR_FRAGMENT_BUDGET/);
    await served(l);
    const peak = rss.stop() - idle;
    expect(peak).toBeLessThanOrEqual(BOUND);
    await settles(l, idle);
  }, 90_000);
});

/**
 * Completes the handshake honestly (it has the realm secret), then opens 16
 * fragment streams that each announce 64 MiB and sends 1 MiB chunks to all
 * of them. Resolves true once the listener has closed the connection.
 */
async function fillFragments(l: Listener): Promise<boolean> {
  const ws = new WebSocket(`ws://${l.endpoint}/`, { maxPayload: 2 * 1024 * 1024 });
  ws.on('error', () => {});
  onTestFinished(() => ws.terminate());
  await new Promise((r) => ws.once('open', r));
  const hs = new InitiatorHandshake({ realm: l.realm, keys: generateNodeKeys() });
  ws.send(hs.start());
  const sealer = await new Promise<{ seal(p: Uint8Array): Uint8Array }>((resolve, reject) => {
    ws.once('message', (data: Buffer) => {
      try {
        const step = hs.receive(data);
        if (step.send) ws.send(step.send);
        if (step.result) resolve(step.result.sealer);
      } catch (err) {
        reject(err);
      }
    });
  });
  const closed = new Promise<boolean>((resolve) => ws.once('close', () => resolve(true)));
  const frame = new Writer(1024 * 1024);
  frame.u8(3); // CONTROL
  frame.u8(CONTROL.open);
  const open = encodeOpen({ owner: 7, ...DEFAULT_WINDOWS });
  frame.u32(open.length);
  frame.raw(open);
  ws.send(sealer.seal(frame.view()));
  const chunk = randomBytes(1024 * 1024 - 64);
  for (let round = 0; round < 8 && ws.readyState === WebSocket.OPEN; round++) {
    for (let stream = 1; stream <= 16 && ws.readyState === WebSocket.OPEN; stream++) {
      frame.reset();
      frame.u8(2); // FRAGMENT
      frame.varuint(stream);
      frame.u8(round === 0 ? 1 : 0);
      if (round === 0) {
        frame.varuint(1);
        frame.varuint(7);
        frame.varuint(64 * 1024 * 1024);
      }
      frame.u32(chunk.length);
      frame.raw(chunk);
      ws.send(sealer.seal(frame.view()));
      // Keep the attacker's own memory in hand: wait while its socket is full.
      while (ws.bufferedAmount > 4 * 1024 * 1024 && ws.readyState === WebSocket.OPEN) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  return Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
}
