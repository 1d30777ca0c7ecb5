import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Request, Response } from '../../examples/listen-connect/messages.ts';
import {
  Abandoned,
  type ActorAddress,
  type ActorContext,
  Connected,
  configureTransport,
  connect,
  createRealm,
  defineMessage,
  generateNodeKeys,
  Listening,
  listen,
  Node,
  NotConnected,
  type Realm,
  SelectTimer,
  Stop,
  t,
  Undelivered,
} from '../../src/index.ts';
import { loadOrCreateRealm } from '../../src/wire/realm.ts';
import { startProgram, tempDir } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';

/**
 * Nothing is lost silently: a message to an actor that is gone, whose node
 * was killed, or whose node restarted, comes back to its sender as
 * Undelivered with a code, and is counted in node.counters.
 */

class Ping extends defineMessage('test.undelivered.Ping', { n: t.int }) {}
class Introduce extends defineMessage('test.undelivered.Introduce', { who: t.address }) {}

function node(realm: Realm, name: string): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  onTestFinished(() => n.stop());
  return n;
}

const SERVER = 'examples/listen-connect/server.ts';

async function server(dir: string, endpoint: string) {
  const program = startProgram(SERVER, [`--endpoint=${endpoint}`, '--debug-level=CONSOLE'], {
    CALLSIGN_REALM: join(dir, 'realm.json'),
  });
  await program.waitFor(/listening on/, 20_000);
  return program;
}

/** Connects, does one request, and returns the server's address (on that connection). */
async function served(self: ActorContext, endpoint: string): Promise<ActorAddress> {
  connect(self, endpoint);
  const c = await self.select(Connected, NotConnected);
  if (c instanceof NotConnected) throw new Error(`${c.code}: ${c.reason}`);
  const address = self.returnAddress as ActorAddress;
  self.send(new Request({ text: 'hi', sent: new Date() }), address);
  await self.select(Response);
  return address;
}

describe('Undelivered, end to end', () => {
  it('a message for an actor that has ended is answered over the wire (ERR_NO_SUCH_ACTOR)', async () => {
    const realm = createRealm('undelivered');
    const a = node(realm, 'a');
    const b = node(realm, 'b');
    let endpoint = '';
    const gone = b.spawn(async (self: ActorContext) => {
      await self.select(Stop);
    });
    b.spawn(async (self: ActorContext) => {
      listen(self, '127.0.0.1:0');
      endpoint = (await self.select(Listening)).endpoint;
      for (;;) {
        const m = await self.select();
        // Hands out the address of an actor that will have ended by the time it is used.
        if (m instanceof Ping) self.reply(new Introduce({ who: gone }));
        if (m instanceof Stop) return;
      }
    });
    await until(() => endpoint !== '');
    const { result } = a.start(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      self.send(new Ping({ n: 0 }), self.returnAddress!);
      const who = (await self.select(Introduce)).who as ActorAddress;
      b.send(new Stop(), gone);
      await until(() => b.cell(gone.id) === undefined);
      self.send(new Ping({ n: 1 }), who);
      const u = await self.select(Undelivered, { seconds: 10 });
      if (u instanceof SelectTimer) return 'nothing';
      return `${u.typeName}:${u.reason}:${u.code}:${self.returnAddress?.equals(who)}`;
    });
    expect(await result).toBe('test.undelivered.Ping:no-such-actor:ERR_NO_SUCH_ACTOR:true');
    expect(b.counters.undelivered.ERR_NO_SUCH_ACTOR).toBe(1);
  });

  it('the remote node killed, then restarted: sends to the old address come back (ERR_CONNECTION_LOST)', async () => {
    const dir = tempDir();
    const endpoint = `unix:${join(dir, 'server.sock')}`;
    const first = await server(dir, endpoint);
    const realm = await loadOrCreateRealm(join(dir, 'realm.json'));
    const a = node(realm, 'a');
    let old: ActorAddress | undefined;
    const watcher = a.start(async (self: ActorContext) => {
      old = await served(self, endpoint);
      return (await self.select(Abandoned)).code;
    });
    await until(() => old !== undefined);
    first.child.kill('SIGKILL');
    expect(await watcher.result).toBe('ERR_CONNECTION_LOST');

    const sendToOld = () =>
      a.start(async (self: ActorContext) => {
        self.send(new Request({ text: 'are you there?', sent: new Date() }), old!);
        const u = await self.select(Undelivered, { seconds: 10 });
        return u instanceof SelectTimer ? 'nothing' : `${u.typeName}:${u.reason}:${u.code}`;
      }).result;
    expect(await sendToOld()).toBe('listen-connect.Request:closed:ERR_CONNECTION_LOST');

    // The same endpoint, a new process: the old address never reaches it; a new connection does.
    await server(dir, endpoint);
    expect(await sendToOld()).toBe('listen-connect.Request:closed:ERR_CONNECTION_LOST');
    const again = a.start(async (self: ActorContext) => {
      const fresh = await served(self, endpoint);
      return fresh.equals(old);
    });
    expect(await again.result).toBe(false);
    expect(a.counters.undelivered.ERR_CONNECTION_LOST).toBe(2);
  }, 60_000);
});

describe('Undelivered notices and a full mailbox', () => {
  it('a sender that floods a dead peer learns of every message although its mailbox holds 64', async () => {
    const realm = createRealm('undelivered-flood');
    const a = new Node({ name: 'a', mailboxCapacity: 64 });
    configureTransport(a, { realm, keys: generateNodeKeys() });
    onTestFinished(() => a.stop());
    const b = node(realm, 'b');
    let endpoint = '';
    b.spawn(async (self: ActorContext) => {
      listen(self, '127.0.0.1:0');
      endpoint = (await self.select(Listening)).endpoint;
      await self.select(Stop);
    });
    await until(() => endpoint !== '');
    const N = 20_000;
    let told = 0;
    let finished = false;
    a.spawn(async (self: ActorContext) => {
      connect(self, endpoint);
      await self.select(Connected);
      const peer = self.returnAddress as ActorAddress;
      await b.stop();
      await self.select(Abandoned, { seconds: 10 });
      // One turn, no reading: every notice lands in the sender's own mailbox.
      for (let i = 0; i < N; i++) self.send(new Ping({ n: i }), peer);
      for (;;) {
        const u = await self.select(Undelivered, { seconds: 10 });
        if (!(u instanceof Undelivered)) break;
        told += u.count ?? 1;
        if (told >= N) break;
      }
      finished = true;
    });
    await until(() => finished, 30_000);
    expect(told).toBe(N);
    expect(a.counters.noticesLost).toBe(0);
    expect(a.counters.mailboxFull).toBe(0);
  });
});
