import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorAddress,
  type ActorContext,
  Available,
  Cleared,
  clear,
  configureDirectory,
  configureTransport,
  createRealm,
  Delivered,
  Dropped,
  defineMessage,
  generateNodeKeys,
  Interested,
  Logger,
  memorySink,
  Node,
  NotInterested,
  NotPublished,
  NotSubscribed,
  Published,
  publish,
  type Realm,
  Retracted,
  retract,
  type Scope,
  type Search,
  Stop,
  Subscribed,
  subscribe,
  t,
} from '../../../src/index.ts';

class Ask extends defineMessage('test.dir.Ask', { n: t.int }) {}
class Answer extends defineMessage('test.dir.Answer', { n: t.int, by: t.string }) {}
/** Tells a test subscriber to clear its session. */
class ClearPeer extends defineMessage('test.dir.ClearPeer', {}) {}

/** What a scope's setup gives the compliance suite. */
export interface DirectorySetup {
  /** The scope under test: listings and searches are made at this scope. */
  scope: Scope;
  /** Starts (or restarts) the directory; returns the endpoint nodes connect to. */
  start(realm: Realm): Promise<string>;
  /** Stops the directory, as a crash would (connections end). */
  stop(): Promise<void>;
  /** Called once after the suite, when the directory is stopped. */
  dispose?(): void;
}

/** Events an actor saw, in order, for assertions. */
type Seen = { events: string[]; peer?: ActorAddress };

/**
 * The compliance suite every directory scope runs: the same behaviour of
 * publish/subscribe through a directory of that scope.
 */
export function describeDirectory(name: string, setup: () => DirectorySetup) {
  describe(`directory compliance: ${name}`, () => {
    // One directory for the suite (the tests use names of their own), so that
    // each test does not wait for a directory process to start.
    const realm = createRealm('compliance');
    const s = setup();
    let endpoint = '';
    beforeAll(async () => {
      endpoint = await s.start(realm);
    }, 30_000);
    afterAll(async () => {
      await s.stop();
      s.dispose?.();
    });

    async function world() {
      const node = (label: string) => {
        const n = new Node({ name: label });
        configureTransport(n, { realm, keys: generateNodeKeys() });
        configureDirectory(n, { parent: endpoint });
        onTestFinished(() => n.stop());
        return n;
      };
      return { s, realm, node, endpoint };
    }

    /** A publisher that answers Ask with Answer and records what it sees. */
    function publisher(
      n: Node,
      listing: string,
      scope: Scope,
      options: { multi?: boolean; interest?: boolean } = {},
    ) {
      const seen: Seen = { events: [] };
      const address = n.spawn(async (self: ActorContext) => {
        publish(self, listing, { scope, ...options });
        for (;;) {
          const m = await self.select(
            Published,
            NotPublished,
            Delivered,
            Dropped,
            Cleared,
            Ask,
            Interested,
            NotInterested,
            Stop,
          );
          if (m instanceof Stop) return;
          if (m instanceof Ask) self.reply(new Answer({ n: m.n, by: n.name }));
          else if (m instanceof NotPublished) seen.events.push(`NotPublished:${m.code}`);
          else if (m instanceof Dropped) seen.events.push(`Dropped:${m.code}`);
          else seen.events.push(m.constructor.name);
          if (m instanceof Delivered) seen.peer = self.returnAddress;
        }
      });
      return { seen, address };
    }

    /** A subscriber that records Available/Dropped and can ask its peer. */
    function subscriber(n: Node, search: Search, scope: Scope) {
      const seen: Seen & { names: string[] } = { events: [], names: [] };
      const address = n.spawn(async (self: ActorContext) => {
        subscribe(self, search, { scope });
        for (;;) {
          const m = await self.select(
            Subscribed,
            Available,
            Dropped,
            Cleared,
            Answer,
            ClearPeer,
            Stop,
          );
          if (m instanceof Stop) return;
          if (m instanceof ClearPeer) {
            seen.events.push(`clear:${clear(self, seen.peer!)}`);
            continue;
          }
          if (m instanceof Available) {
            seen.peer = self.returnAddress;
            seen.names.push(m.name);
            seen.events.push('Available');
          } else if (m instanceof Dropped) seen.events.push(`Dropped:${m.code}`);
          else if (m instanceof Answer) seen.events.push(`Answer:${m.n}:${m.by}`);
          else seen.events.push(m.constructor.name);
        }
      });
      return { seen, address };
    }

    it('a subscriber on one node finds a publisher on another by exact name, and they talk', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const pub = publisher(a, 'hello-welcome', s.scope);
      const sub = subscriber(b, 'hello-welcome', s.scope);
      await until(
        () => sub.seen.events.includes('Available') && pub.seen.events.includes('Delivered'),
      );
      b.send(new Ask({ n: 7 }), sub.seen.peer!, sub.address);
      await until(() => sub.seen.events.includes('Answer:7:a'));
      expect(pub.seen.events.slice(0, 2)).toEqual(['Published', 'Delivered']);
    });

    it('a regular expression matches every whole name it fits, and only those', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      const first = ['device-1', 'device-2', 'devices', 'x-device-3'].map((n) =>
        publisher(a, n, scope),
      );
      await until(() => first.every((p) => p.seen.events.includes('Published')));
      const sub = subscriber(b, /device-\d+/, scope);
      await until(() => sub.seen.names.length >= 2);
      // One more that matches, put after the others: once it is seen, so would they be.
      publisher(a, 'device-9', scope);
      await until(() => sub.seen.names.includes('device-9'));
      expect(sub.seen.names.sort()).toEqual(['device-1', 'device-2', 'device-9']);
    });

    it('a subject pattern matches the subjects it fits, token by token, and only those', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      const names = ['lab.h1.temp', 'lab.h2.temp', 'lab.h1.wind', 'lab.h1.x.temp', 'lab-h3-temp'];
      const first = names.map((n) => publisher(a, n, scope));
      await until(() => first.every((p) => p.seen.events.includes('Published')));
      const sub = subscriber(b, { subject: 'lab.*.temp' }, scope);
      await until(() => sub.seen.names.length >= 2);
      // One more that matches, put after the others: once it is seen, so would they be.
      publisher(a, 'lab.h9.temp', scope);
      await until(() => sub.seen.names.includes('lab.h9.temp'));
      expect(sub.seen.names.sort()).toEqual(['lab.h1.temp', 'lab.h2.temp', 'lab.h9.temp']);
    });

    it('refuses a second publisher of a name, naming the holder; allows several with multi', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      const first = publisher(a, 'only-one', scope);
      await until(() => first.seen.events.includes('Published'));
      const second = publisher(b, 'only-one', scope);
      await until(() => second.seen.events.length > 0);
      expect(second.seen.events).toEqual(['NotPublished:ERR_DUPLICATE_LISTING']);
      const m1 = publisher(a, 'many', scope, { multi: true });
      const m2 = publisher(b, 'many', scope, { multi: true });
      await until(
        () => m1.seen.events.includes('Published') && m2.seen.events.includes('Published'),
      );
      const sub = subscriber(node('c'), 'many', scope);
      await until(() => sub.seen.events.filter((e) => e === 'Available').length === 2);
    });

    it('loss of the publisher gives Dropped, and a new publisher gives Available again by itself', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      publisher(a, 'comes-and-goes', scope);
      const sub = subscriber(b, 'comes-and-goes', scope);
      await until(() => sub.seen.events.includes('Available'));
      await a.stop();
      await until(() => sub.seen.events.some((e) => e.startsWith('Dropped')));
      publisher(node('a2'), 'comes-and-goes', scope);
      await until(() => sub.seen.events.filter((e) => e === 'Available').length === 2);
    });

    it('clear ends one session: Cleared here, Dropped there', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      const pub = publisher(a, 'clearable', scope);
      const sub = subscriber(b, 'clearable', scope);
      await until(
        () => sub.seen.events.includes('Available') && pub.seen.events.includes('Delivered'),
      );
      b.send(new ClearPeer(), sub.address);
      await until(
        () =>
          sub.seen.events.includes('Cleared') && pub.seen.events.includes('Dropped:ERR_CLEARED'),
      );
      expect(sub.seen.events).toContain('clear:true');
      expect(sub.seen.events.filter((e) => e === 'Available')).toHaveLength(1);
    });

    it('retract withdraws an actor’s listing: its subscribers get Dropped, it gets Retracted', async () => {
      const { node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      const events: string[] = [];
      const pubAddress = a.spawn(async (self: ActorContext) => {
        publish(self, 'retractable', { scope });
        await self.select(Published);
        await self.select(Delivered);
        await self.select(Ask);
        retract(self);
        for (;;) {
          const m = await self.select(Retracted, Cleared, Stop);
          if (m instanceof Stop) return;
          events.push(m instanceof Retracted ? `Retracted:${m.listings}` : 'Cleared');
        }
      });
      const sub = subscriber(b, 'retractable', scope);
      await until(() => sub.seen.events.includes('Available'));
      a.send(new Ask({ n: 1 }), pubAddress);
      await until(
        () => sub.seen.events.includes('Dropped:ERR_RETRACTED') && events.includes('Retracted:1'),
      );
      expect(events).toContain('Cleared');
    });

    it('interest events tell a publisher of its first subscriber and its last', async () => {
      const { node } = await world();
      const a = node('a');
      const scope = s.scope;
      const pub = publisher(a, 'interesting', scope, { interest: true });
      await until(() => pub.seen.events.includes('Published'));
      const b = node('b');
      const sub = subscriber(b, 'interesting', scope);
      await until(() => pub.seen.events.includes('Interested'));
      b.send(new Stop(), sub.address);
      await until(() => pub.seen.events.includes('NotInterested'));
    });

    it('refuses a node of another realm, and the node says so: NotPublished and NotSubscribed with ERR_WRONG_REALM, a WARNING', async () => {
      const { node, endpoint } = await world();
      const scope = s.scope;
      const sink = memorySink();
      const stranger = new Node({ name: 'stranger', logger: new Logger('WARNING', sink) });
      configureTransport(stranger, { realm: createRealm('another'), keys: generateNodeKeys() });
      configureDirectory(stranger, { parent: endpoint });
      onTestFinished(() => stranger.stop());
      const pub = publisher(stranger, 'from-elsewhere', scope);
      const subscribed: string[] = [];
      stranger.spawn(async (self: ActorContext) => {
        subscribe(self, 'anything', { scope });
        for (;;) {
          const m = await self.select(Subscribed, NotSubscribed, Stop);
          if (m instanceof Stop) return;
          subscribed.push(m instanceof NotSubscribed ? `NotSubscribed:${m.code}` : 'Subscribed');
        }
      });
      await until(
        () =>
          pub.seen.events.includes('NotPublished:ERR_WRONG_REALM') &&
          subscribed.includes('NotSubscribed:ERR_WRONG_REALM'),
      );
      expect(pub.seen.events).toEqual(['NotPublished:ERR_WRONG_REALM']);
      expect(subscribed).toEqual(['Subscribed', 'NotSubscribed:ERR_WRONG_REALM']);
      const warned = sink.records.filter(
        (r) => r.level === 'WARNING' && /refused this node/.test(r.text),
      );
      expect(warned).toHaveLength(1);
      expect(warned[0]?.text).toContain('ERR_WRONG_REALM');
      // The directory goes on serving its own realm.
      const own = publisher(node('a'), 'from-here', scope);
      await until(() => own.seen.events.includes('Published'));
    });

    it('sessions go on while the directory is down, and a restarted directory is found again', async () => {
      const { s, realm, node } = await world();
      const a = node('a');
      const b = node('b');
      const scope = s.scope;
      publisher(a, 'steady', scope);
      const sub = subscriber(b, 'steady', scope);
      await until(() => sub.seen.events.includes('Available'));
      await s.stop();
      b.send(new Ask({ n: 1 }), sub.seen.peer!, sub.address);
      await until(() => sub.seen.events.includes('Answer:1:a'));
      expect(sub.seen.events.some((e) => e.startsWith('Dropped'))).toBe(false);
      await s.start(realm);
      const late = subscriber(node('c'), 'steady', scope);
      await until(() => late.seen.events.includes('Available'), 15_000);
    });
  });
}

export async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await pause(10);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
