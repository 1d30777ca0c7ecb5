/**
 * A node (process scope, no parent directory) with a stream host over
 * `store`, both stopped after the test; `run` gives an actor's result.
 */
import { onTestFinished } from 'vitest';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
  type StreamStore,
} from '../../src/index.ts';
import { type StreamHostSettings, streamHost } from '../../src/streams/host.ts';

export function hostNode(
  name: string,
  store: StreamStore,
  settings: Omit<StreamHostSettings, 'store'> = {},
): { node: Node; run: <T>(fn: (self: ActorContext) => Promise<T>) => Promise<T> } {
  const node = new Node({ name });
  configureTransport(node, { realm: createRealm(name), keys: generateNodeKeys() });
  configureDirectory(node, { parent: null });
  onTestFinished(async () => {
    await node.stop();
    await store.close();
  });
  node.start(streamHost, { store, scope: 'process', ...settings });
  return {
    node,
    run: <T>(fn: (self: ActorContext) => Promise<T>) => node.start(fn).result as Promise<T>,
  };
}
