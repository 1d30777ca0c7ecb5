// Starts a 2-host lab and a long-running program in h1, prints
// {"prefix", "pid"} as one JSON line, then waits (at most --max-ms) to be
// interrupted: the harness must tear the lab down when this process is
// signalled, and the next lab must sweep it when this process is killed.
import { parseArgs } from 'node:util';
import { startLan } from '../../helpers/netns.ts';

const { values } = parseArgs({ options: { 'max-ms': { type: 'string', default: '30000' } } });
const lan = await startLan({ hosts: 2, name: 'owner' });
const sleeper = lan.spawn('h1', [process.execPath, '-e', 'setTimeout(() => {}, 60000)']);
console.log(JSON.stringify({ prefix: lan.prefix, pid: sleeper.child.pid }));
setTimeout(async () => {
  await lan.stop();
  process.exit(0);
}, Number(values['max-ms']));
