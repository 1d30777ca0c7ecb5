// Opens an lmdb stream store in the folder given, with a stream host over
// it; a consumer that has caught up (`c`, at most 2 deliveries each) is
// sent messages appended one at a time, and the process dies as a kill -9
// would as soon as it has the last of them, none acknowledged. The next
// open must know each was delivered once.
//
//   node --import tsx stream-delivery-crash.ts <folder> <appends>
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  createRealm,
  generateNodeKeys,
  Node,
  openConsumer,
  openProducer,
  StreamDelivery,
} from '../../../src/index.ts';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { streamHost } from '../../../src/streams/host.ts';

const [path, appendsArg] = process.argv.slice(2) as [string, string];
const store = await openStreamStore({ driver: 'lmdb', options: { path, checkpointMs: 60_000 } });
await store.createStream({ name: 's' });
const node = new Node({ name: 'crash' });
configureTransport(node, { realm: createRealm('crash'), keys: generateNodeKeys() });
configureDirectory(node, { parent: null });
node.start(streamHost, { store, scope: 'process' });
await node.start(async (self: ActorContext) => {
  const producer = openProducer(self, 's');
  const consumer = openConsumer(self, 's', { name: 'c', start: 'new', maxDeliveries: 2 });
  await producer.ready();
  await consumer.attached();
  for (let i = 0; i < Number(appendsArg); i++) {
    const stored = producer.append(new TextEncoder().encode(String(i)));
    const d = await self.select(StreamDelivery, { seconds: 10 });
    if (!(d instanceof StreamDelivery)) throw new Error(`no delivery of append ${i}`);
    await stored;
    process.stdout.write(`delivered ${d.sequence} ${d.deliveryCount}\n`);
  }
  process.kill(process.pid, 'SIGKILL');
}).result;
