import { join } from 'node:path';
import { memoryTransport, wsTransport } from '../../src/index.ts';
import { tempDir } from '../helpers/processes.ts';
import { describeTransport } from './describe-transport.ts';

describeTransport('in-memory pair', () => {
  const shared = memoryTransport();
  let n = 0;
  return { transport: () => shared, endpoint: () => `mem:compliance-${++n}` };
});

describeTransport('ws over a unix socket', () => {
  const dir = tempDir();
  let n = 0;
  return { transport: () => wsTransport(), endpoint: () => `unix:${join(dir, `t${++n}.sock`)}` };
});

describeTransport('ws over TCP', () => ({
  transport: () => wsTransport(),
  endpoint: () => '127.0.0.1:0',
}));
