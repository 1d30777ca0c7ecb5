/**
 * The stream store compliance suite against the `nats` driver, on a
 * nats-server with JetStream of the test's own (loopback, a free port).
 */
import { afterAll, beforeAll, vi } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { describeStreamStore } from '../../streams/describe-stream-store.ts';
import { type NatsServers, startNatsServer } from '../../streams/nats-servers.ts';
import { natsDifferences } from './nats-differences.ts';

// Real servers, and real time where the suite's checks wait for JetStream.
vi.setConfig({ testTimeout: 30_000 });

let servers: NatsServers | undefined;
beforeAll(async () => {
  servers = await startNatsServer();
}, 30_000);
afterAll(async () => {
  await servers?.close();
});

let stores = 0;
const url = () => {
  if (!servers) throw new Error('the nats-server of this file did not start');
  return servers.urls[0] as string;
};

describeStreamStore('nats', () => {
  // Each test its own prefix: its own streams on the one server.
  const prefix = `t${++stores}`;
  const open = () => openStreamStore({ driver: 'nats', options: { servers: url(), prefix } });
  return {
    persistent: true,
    serverClock: true,
    open: () => open(),
    unsupported: natsDifferences(() => ({ servers: url(), prefix: `d${++stores}` })),
  };
});
