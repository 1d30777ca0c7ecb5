// The network report as directories gather it and nodes count it, in one
// process over real unix sockets: a host directory, a publisher node and a
// subscriber node, and an asker that connects as `callsign view` does.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorAddress,
  type ActorContext,
  Available,
  Connected,
  configureDirectory,
  configureTransport,
  connect,
  createRealm,
  Delivered,
  generateNodeKeys,
  Node,
  Published,
  publish,
  type Realm,
  Stop,
  Subscribed,
  subscribe,
} from '../../src/index.ts';
import { directoryService, NetworkEnquiry, NetworkReport } from '../../src/internal.ts';
import { defineMessage, t } from '../../src/messages/index.ts';
import { eventually } from '../helpers/cli.ts';
import { tempDir } from '../helpers/processes.ts';

class Reading extends defineMessage('test.view.Reading', { n: t.uint, text: t.string }) {}

function nodeOf(name: string, realm: Realm, parent?: string): Node {
  const node = new Node({ name });
  configureTransport(node, { realm, keys: generateNodeKeys() });
  if (parent) configureDirectory(node, { parent, where: `${name} (test)` });
  onTestFinished(() => node.stop());
  return node;
}

/** A host directory, a publisher of `readings` and a subscriber that counts what it gets. */
async function network() {
  const dir = tempDir('csv-');
  const realm = createRealm('view-report');
  const endpoint = `unix:${join(dir, 'host.sock')}`;
  const host = nodeOf('host directory', realm);
  let listening!: (e: string) => void;
  const listened = new Promise<string>((r) => (listening = r));
  host.start(directoryService, { level: 'host', endpoint, onListening: (e) => listening(e) });
  await listened;

  const pubNode = nodeOf('pub', realm, endpoint);
  let subscriber!: (a: ActorAddress) => void;
  const subscriberAddress = new Promise<ActorAddress>((r) => (subscriber = r));
  const pub = pubNode.start(async (self: ActorContext) => {
    publish(self, 'readings', { scope: 'host' });
    await self.select(Published);
    await self.select(Delivered);
    if (self.returnAddress) subscriber(self.returnAddress);
    await self.select(Stop);
  });

  const subNode = nodeOf('sub', realm, endpoint);
  const got = { n: 0 };
  subNode.start(async (self: ActorContext) => {
    subscribe(self, 'readings', { scope: 'host' });
    await self.select(Subscribed);
    await self.select(Available);
    for (;;) {
      const m = await self.select(Reading, Stop);
      if (m instanceof Stop) return;
      got.n++;
    }
  });
  const to = await subscriberAddress;
  return { realm, endpoint, pubNode, pub: pub.address, to, got };
}

class Ask extends defineMessage('test.view.Ask', { meter: t.bool }) {}

/** Asks the directory at `endpoint` from a node of its own, as `callsign view` does. */
async function asker(realm: Realm, endpoint: string) {
  const node = nodeOf('asker', realm);
  const waiting: ((r: NetworkReport) => void)[] = [];
  let ready!: () => void;
  const connected = new Promise<void>((r) => (ready = r));
  const { address } = node.start(async (self: ActorContext) => {
    connect(self, endpoint);
    await self.select(Connected);
    const directory = self.returnAddress as ActorAddress;
    ready();
    for (let id = 1; ; id++) {
      const m = await self.select(Ask, Stop);
      if (m instanceof Stop) return;
      self.send(new NetworkEnquiry({ id, deadlineMs: 2000, meter: m.meter }), directory);
      const r = await self.select(NetworkReport);
      waiting.shift()?.(r);
    }
  });
  await connected;
  return (meter: boolean) =>
    new Promise<NetworkReport>((done) => {
      waiting.push(done);
      node.send(new Ask({ meter }), address);
    });
}

describe('network reports', () => {
  it('a directory gathers its nodes; while watched they count each message and byte of a session', async () => {
    const n = await network();
    const ask = await asker(n.realm, n.endpoint);

    // Unwatched: the sessions are there, their traffic not counted.
    const before = await ask(false);
    expect(
      before.directories.map((d) => [d.under, d.report.level, d.report.listings.length]),
    ).toEqual([['', 'host', 1]]);
    expect(before.nodes.map((x) => [x.under, x.report.where]).sort()).toEqual([
      [n.endpoint, 'pub (test)'],
      [n.endpoint, 'sub (test)'],
    ]);
    expect(before.silent).toEqual([]);
    for (const x of before.nodes) {
      expect(x.report.meteredMs).toBe(0);
      expect(x.report.sessions.map((s) => [s.name, s.open, s.metered])).toEqual([
        ['readings', true, false],
      ]);
    }
    for (let i = 0; i < 5; i++)
      n.pubNode.send(new Reading({ n: i, text: 'uncounted' }), n.to, n.pub);
    await eventually(async () => (n.got.n === 5 ? true : undefined), 'five readings arrived');

    // Watched from now on: exactly what goes from now on is counted, at both ends.
    await ask(true);
    const text = 'x'.repeat(100);
    for (let i = 0; i < 10; i++) n.pubNode.send(new Reading({ n: i, text }), n.to, n.pub);
    await eventually(async () => (n.got.n === 15 ? true : undefined), 'ten more readings arrived');
    const after = await ask(true);
    const sessions = after.nodes.flatMap((x) =>
      x.report.sessions.map((s) => ({ where: x.report.where, s })),
    );
    const pubSide = sessions.find((x) => x.s.side === 'publisher')?.s;
    const subSide = sessions.find((x) => x.s.side === 'subscriber')?.s;
    expect(pubSide?.id).toBe(subSide?.id);
    for (const s of [pubSide, subSide]) {
      expect(s?.metered).toBe(true);
      expect(s?.messagesToSubscriber).toBe(10);
      expect(s?.messagesToPublisher).toBe(0);
    }
    // Each reading is its body: more than its text, the same counted at both ends.
    expect(pubSide?.bytesToSubscriber).toBeGreaterThan(10 * 100);
    expect(subSide?.bytesToSubscriber).toBe(pubSide?.bytesToSubscriber);
    // A state, not a timing: meteredMs is above 0 exactly while a node's metering lease is on.
    for (const x of after.nodes) expect(x.report.meteredMs).toBeGreaterThan(0);
  });
});
