/**
 * What the stream host tests share: a node with a memory store and a
 * stream host, an actor run for its result, a packed append.
 */
import { onTestFinished } from 'vitest';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
} from '../../../src/index.ts';
import { AppendPackWriter, type PackedAppend } from '../../../src/streams/append-pack.ts';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { streamHost } from '../../../src/streams/host.ts';
import { StreamAppendPack } from '../../../src/streams/protocol.ts';
import type { StreamStore } from '../../../src/streams/store.ts';

/** One append as a producer packs it. */
export function appendOf(id: number, stream: string, append: PackedAppend): StreamAppendPack {
  const w = new AppendPackWriter();
  w.add(append);
  return new StreamAppendPack({ id, stream, count: 1, appends: w.finish() });
}

/**
 * A node (process scope, no parent directory) with a memory store and a
 * stream host over it (management listing `streams`), stopped after the
 * test. `before` fills the store before the host starts (a host serves the
 * streams present at its start, and those made in its store after).
 */
export async function world(before?: (store: StreamStore) => Promise<void>) {
  const node = new Node({ name: 'streams-test' });
  configureTransport(node, { realm: createRealm('streams-test'), keys: generateNodeKeys() });
  configureDirectory(node, { parent: null });
  const store = await openStreamStore({ driver: 'memory' });
  onTestFinished(async () => {
    await node.stop();
    await store.close();
  });
  await before?.(store);
  node.start(streamHost, { store, scope: 'process', listing: 'streams' });
  return { node, store };
}

/** Runs `fn` as an actor of `node` and gives its result. */
export function run<T>(node: Node, fn: (self: ActorContext) => Promise<T>): Promise<T> {
  return node.start(fn).result as Promise<T>;
}
