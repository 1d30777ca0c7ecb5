import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Request, Response } from '../../examples/listen-connect/messages.ts';
import {
  type ActorContext,
  Available,
  Connected,
  configureDirectory,
  configureTransport,
  connect,
  generateNodeKeys,
  Node,
  NotConnected,
  Published,
  publish,
  type Realm,
  type Scope,
  SelectTimer,
  Subscribed,
  subscribe,
} from '../../src/index.ts';
import { loadOrCreateRealm } from '../../src/wire/realm.ts';
import { type Program, startProgram, tempDir } from '../helpers/processes.ts';
import { BAD_FRAMES, closedWithin, sendAndExpectCut, tlsHello, upgraded } from './attack-tools.ts';

/**
 * Every kind of listener, attacked as a stranger would: raw TCP garbage, an
 * HTTP request, a TLS ClientHello and malformed WebSocket frames before the
 * handshake. Each attack must cost only its own connection; the process must
 * live and serve a legitimate peer afterwards.
 */

interface Target {
  kind: string;
  program: Program;
  endpoint: string;
  realm: Realm;
  /** Proves that the process still serves a node of its realm. */
  served(): Promise<void>;
}

function node(realm: Realm, name: string, parent?: string): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  if (parent) configureDirectory(n, { parent });
  onTestFinished(() => n.stop());
  return n;
}

/** A request and its answer, over a fresh connection from a fresh node. */
async function requestReply(realm: Realm, endpoint: string): Promise<void> {
  const n = node(realm, 'legit');
  const { result } = n.start(async (self: ActorContext) => {
    connect(self, endpoint);
    const c = await self.select(Connected, NotConnected);
    if (c instanceof NotConnected) throw new Error(`${c.code}: ${c.reason}`);
    self.send(new Request({ text: 'still there?', sent: new Date() }), self.returnAddress!);
    const answer = await self.select(Response, { seconds: 10 });
    if (answer instanceof SelectTimer) throw new Error('no answer');
    return answer.text;
  });
  expect(await result).toBe('STILL THERE?');
}

/** A publisher and a subscriber on two fresh nodes find each other through the directory. */
async function matched(realm: Realm, endpoint: string, scope: Scope): Promise<void> {
  const name = `attack-check-${randomBytes(4).toString('hex')}`;
  const a = node(realm, 'pub', endpoint);
  const b = node(realm, 'sub', endpoint);
  a.spawn(async (self: ActorContext) => {
    publish(self, name, { scope });
    await self.select(Published);
    await self.select();
  });
  const { result } = b.start(async (self: ActorContext) => {
    subscribe(self, name, { scope });
    await self.select(Subscribed);
    const m = await self.select(Available, { seconds: 15 });
    return m instanceof Available ? m.name : 'nothing';
  });
  expect(await result).toBe(name);
}

async function start(kind: string, transport: 'tcp' | 'unix'): Promise<Target> {
  const dir = tempDir();
  const realmPath = join(dir, 'realm.json');
  const env = { CALLSIGN_REALM: realmPath, CALLSIGN_NO_HOST: '1', CALLSIGN_NO_LAN: '1' };
  const at = transport === 'tcp' ? '127.0.0.1:0' : `unix:${join(dir, `${kind}.sock`)}`;
  const file = {
    node: 'examples/listen-connect/server.ts',
    group: 'scopes/group/directory.ts',
    host: 'scopes/host/directory.ts',
  }[kind]!;
  const program = startProgram(file, [`--endpoint=${at}`, '--debug-level=CONSOLE'], env);
  const [, endpoint] = (await program.waitFor(/listening on (\S+)/, 20_000)) as unknown as [
    string,
    string,
  ];
  const realm = await loadOrCreateRealm(realmPath);
  const served =
    kind === 'node'
      ? () => requestReply(realm, endpoint as string)
      : () => matched(realm, endpoint as string, kind as Scope);
  return { kind, program, endpoint: endpoint as string, realm, served };
}

function alive(program: Program): boolean {
  return program.child.exitCode === null && program.child.signalCode === null;
}

describe.each([
  ['node', 'tcp'],
  ['node', 'unix'],
  ['group', 'tcp'],
  ['group', 'unix'],
  ['host', 'tcp'],
  ['host', 'unix'],
] as const)('a %s listener on %s, attacked before the handshake', (kind, transport) => {
  it('cuts only the attacking connections, logs each with a code, and still serves its realm', async () => {
    const target = await start(kind, transport);
    const { endpoint, program } = target;

    expect(await sendAndExpectCut(endpoint, randomBytes(4096)), 'garbage').toBe(true);
    expect(
      await sendAndExpectCut(endpoint, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
      'an HTTP request',
    ).toBe(true);
    expect(await tlsHello(endpoint), 'a TLS ClientHello').toBe(true);
    for (const [what, frame] of Object.entries(BAD_FRAMES)) {
      const socket = await upgraded(endpoint);
      socket.write(frame);
      expect(await closedWithin(socket, 10_000), what).toBe(true);
    }
    // Fragments of one message, then a new message in the middle: ws refuses it.
    const socket = await upgraded(endpoint);
    socket.write(Buffer.from(BAD_FRAMES['a continuation first']!));
    expect(await closedWithin(socket, 10_000)).toBe(true);

    expect(alive(program)).toBe(true);
    await target.served();
    await program.waitFor(/ERR_BAD_UPGRADE/);
    await program.waitFor(/ERR_WS_PROTOCOL/);
    await program.waitFor(/ERR_HANDSHAKE_TOO_LARGE/);
    expect(alive(program)).toBe(true);
  }, 60_000);
});
