import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorContext,
  Available,
  Connected,
  configureDirectory,
  configureTransport,
  connect,
  createRealm,
  Dropped,
  defineMessage,
  generateNodeKeys,
  Logger,
  memorySink,
  Node,
  NotPublished,
  NotSubscribed,
  Published,
  publish,
  type Realm,
  type Scope,
  Stop,
  Subscribed,
  subscribe,
  t,
} from '../../../src/index.ts';
import { directoryService, PutListing } from '../../../src/internal.ts';
import { tempDir } from '../../helpers/processes.ts';
import { until } from './describe-directory.ts';

class Who extends defineMessage('test.levels.Who', {}) {}
class Me extends defineMessage('test.levels.Me', { node: t.string }) {}

function startDirectory(
  realm: Realm,
  level: 'group' | 'host',
  endpoint: string,
  parent?: string,
  node?: Node,
) {
  const n = node ?? new Node({ name: `${level}-directory` });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  onTestFinished(() => n.stop());
  return new Promise<string>((resolve) => {
    n.spawn(directoryService, { level, endpoint, parent, onListening: resolve });
  });
}

function nodeUnder(realm: Realm, name: string, parent: string): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys: generateNodeKeys() });
  configureDirectory(n, { parent });
  onTestFinished(() => n.stop());
  return n;
}

function publisher(n: Node, name: string, scope: Scope) {
  const seen: string[] = [];
  n.spawn(async (self: ActorContext) => {
    publish(self, name, { scope });
    for (;;) {
      const m = await self.select(Published, Who, Stop);
      if (m instanceof Stop) return;
      if (m instanceof Published) seen.push('Published');
      else self.reply(new Me({ node: n.name }));
    }
  });
  return seen;
}

describe('directories at two levels', () => {
  it('a subscriber gets the closer of two listings of one name, and the farther when the closer goes', async () => {
    const realm = createRealm('levels');
    const dir = tempDir();
    const host = await startDirectory(realm, 'host', `unix:${join(dir, 'host.sock')}`);
    const group = await startDirectory(realm, 'group', `unix:${join(dir, 'group.sock')}`, host);
    // B is on the host, outside the group; A is in the group.
    const b = nodeUnder(realm, 'b', host);
    const a = nodeUnder(realm, 'a', group);
    const pb = publisher(b, 'service', 'host');
    const pa = publisher(a, 'service', 'group');
    await until(() => pa.includes('Published') && pb.includes('Published'));
    const c = nodeUnder(realm, 'c', group);
    const answers: string[] = [];
    const levels: string[] = [];
    c.spawn(async (self: ActorContext) => {
      subscribe(self, 'service', { scope: 'host' });
      for (;;) {
        const m = await self.select(Available, Dropped, Me, Stop);
        if (m instanceof Stop) return;
        if (m instanceof Available) {
          levels.push(m.scope);
          self.reply(new Who());
        } else if (m instanceof Me) answers.push(m.node);
        else if (m instanceof Dropped) answers.push(`Dropped:${m.code}`);
      }
    });
    await until(() => answers.includes('a'));
    expect(levels[0]).toBe('group');
    await a.stop();
    await until(() => answers.includes('b'));
    expect(levels.at(-1)).toBe('host');
    expect(answers[0]).toBe('a');
  });

  it('a malformed listing from one node is logged with a code and costs nobody else anything', async () => {
    const realm = createRealm('levels');
    const dir = tempDir();
    const sink = memorySink();
    const directoryNode = new Node({ name: 'host-directory', logger: new Logger('WARNING', sink) });
    const host = await startDirectory(
      realm,
      'host',
      `unix:${join(dir, 'host.sock')}`,
      undefined,
      directoryNode,
    );
    // A rogue node of the realm sends a listing with an empty name, straight to the directory.
    const rogue = new Node({ name: 'rogue' });
    configureTransport(rogue, { realm, keys: generateNodeKeys() });
    onTestFinished(() => rogue.stop());
    rogue.spawn(async (self: ActorContext) => {
      connect(self, host);
      await self.select(Connected);
      const { ListingInfo, PublisherInfo } = await import('../../../src/directory/protocol.ts');
      self.send(
        new PutListing({
          listing: new ListingInfo({
            id: 'rogue:1',
            name: '',
            scope: 'host',
            multi: false,
            publisher: new PublisherInfo({ nodeKey: 'x', actor: 1, endpoints: [], where: 'rogue' }),
          }),
        }),
        self.returnAddress!,
      );
      await self.select(Stop);
    });
    await until(() => sink.records.some((r) => r.text.includes('ERR_INVALID_LISTING')));
    const a = nodeUnder(realm, 'a', host);
    const b = nodeUnder(realm, 'b', host);
    publisher(a, 'still-works', 'host');
    const got: string[] = [];
    b.spawn(async (self: ActorContext) => {
      subscribe(self, 'still-works');
      got.push((await self.select(Available)).name);
    });
    await until(() => got.includes('still-works'));
  });

  it('a group directory refused by its host directory (another realm) passes the refusal down: no scope beyond group is claimed', async () => {
    const realm = createRealm('levels');
    const dir = tempDir();
    const host = await startDirectory(
      createRealm('another'),
      'host',
      `unix:${join(dir, 'host.sock')}`,
    );
    const group = await startDirectory(realm, 'group', `unix:${join(dir, 'group.sock')}`, host);
    const a = nodeUnder(realm, 'a', group);
    const told: string[] = [];
    a.spawn(async (self: ActorContext) => {
      publish(self, 'in-the-group', { scope: 'group' });
      publish(self, 'on-the-host', { scope: 'host' });
      subscribe(self, 'host-wide', { scope: 'host' });
      for (;;) {
        const m = await self.select(Published, NotPublished, Subscribed, NotSubscribed, Stop);
        if (m instanceof Stop) return;
        if (m instanceof Published) told.push(`Published ${m.name}`);
        else if (m instanceof NotPublished) told.push(`NotPublished ${m.name} ${m.code}`);
        else if (m instanceof NotSubscribed) told.push(`NotSubscribed ${m.search} ${m.code}`);
        else told.push(`Subscribed ${m.search}`);
      }
    });
    await until(() => told.length >= 4);
    expect(told.sort()).toEqual([
      'NotPublished on-the-host ERR_WRONG_REALM',
      'NotSubscribed host-wide ERR_WRONG_REALM',
      'Published in-the-group',
      'Subscribed host-wide',
    ]);
  });
});
