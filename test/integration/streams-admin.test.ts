import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
  type NodeKeys,
  openStreamStore,
  type Realm,
  streamHost,
} from '../../src/index.ts';
import { directoryService, StreamLink, StreamManage } from '../../src/internal.ts';
import type { StreamAnswer } from '../../src/streams/protocol.ts';
import { tempDir } from '../helpers/processes.ts';

/**
 * Managing a stream host over the network: only its admins (its own
 * actors, the nodes whose keys its settings list) may create, change,
 * purge and delete; every other node of the realm may look, and is refused the
 * rest with ERR_NOT_STREAM_ADMIN, losing nothing.
 */

const keyOf = (k: NodeKeys) => Buffer.from(k.publicKey).toString('base64');

function nodeOf(realm: Realm, name: string, parent?: string, keys = generateNodeKeys()): Node {
  const n = new Node({ name });
  configureTransport(n, { realm, keys });
  if (parent) configureDirectory(n, { parent });
  onTestFinished(() => n.stop());
  return n;
}

type Asked = readonly [action: StreamManage['action'], stream?: string, args?: object];

/** What `node` gets for each request, in order: the answer's value or the refusal's code. */
async function ask(node: Node, requests: readonly Asked[]): Promise<unknown[]> {
  return node.start(async (self: ActorContext) => {
    const link = new StreamLink(self, 'streams', { scope: 'host', seconds: 15 });
    await link.ready();
    const out: unknown[] = [];
    for (const [action, stream, args] of requests) {
      out.push(
        await link
          .request<InstanceType<typeof StreamAnswer>>(
            (id) =>
              new StreamManage({
                id,
                action,
                ...(stream === undefined ? {} : { stream }),
                args: { ...args },
              }),
          )
          .then(
            (a) => (action === 'list' ? (a.value as { name: string }[]).map((x) => x.name) : 'ok'),
            (err: { code?: string }) => err.code,
          ),
      );
    }
    link.close();
    return out;
  }).result as Promise<unknown[]>;
}

describe('stream host admins', () => {
  it('lets its own key and listed keys manage; refuses others with ERR_NOT_STREAM_ADMIN, reads stay open', async () => {
    const realm = createRealm('stream-admins');
    const dir = tempDir();
    const parent = await new Promise<string>((resolve) => {
      nodeOf(realm, 'directory').spawn(directoryService, {
        level: 'host',
        endpoint: `unix:${join(dir, 'host.sock')}`,
        onListening: resolve,
      });
    });
    const listed = generateNodeKeys();
    const store = await openStreamStore({ driver: 'memory' });
    onTestFinished(() => store.close());
    await store.createStream({ name: 'orders' });
    await store.append('orders', { data: new Uint8Array([1]) });
    const hostNode = nodeOf(realm, 'host', parent);
    hostNode.start(streamHost, {
      store,
      scope: 'host',
      listing: 'streams',
      admins: [keyOf(listed)],
    });

    const stranger = await ask(nodeOf(realm, 'stranger', parent), [
      ['list'],
      ['info', 'orders'],
      ['create', undefined, { name: 'theirs' }],
      ['update', undefined, { name: 'orders', maxMessages: 1 }],
      ['purge', 'orders'],
      ['consumer-delete', 'orders', { consumer: 'c' }],
      ['delete', 'orders'],
    ]);
    expect(stranger).toEqual([
      ['orders'],
      'ok',
      'ERR_NOT_STREAM_ADMIN',
      'ERR_NOT_STREAM_ADMIN',
      'ERR_NOT_STREAM_ADMIN',
      'ERR_NOT_STREAM_ADMIN',
      'ERR_NOT_STREAM_ADMIN',
    ]);
    expect((await store.streamInfo('orders')).messages).toBe(1);
    expect(await store.listStreams()).toEqual(['orders']);

    // The host's own actors and a node whose key the settings list may.
    const own = await ask(hostNode, [
      ['create', undefined, { name: 'made' }],
      ['purge', 'orders'],
    ]);
    expect(own).toEqual(['ok', 'ok']);
    expect((await store.streamInfo('orders')).messages).toBe(0);
    const other = await ask(nodeOf(realm, 'listed', parent, listed), [
      ['delete', 'made'],
      ['list'],
    ]);
    expect(other).toEqual(['ok', ['orders']]);
  });
});
