// Appends to a stream without pause (pipelined, idempotent) and consumes it
// with a named consumer at the same time, printing on stderr what the host
// confirmed: `appended <partition> <sequence> <n>` for each acknowledged
// append (its data is the text of n), `delivered <partition> <sequence>
// <count>` for each delivery, and `acked <partition> <sequence>` once an
// acknowledgement is stored. Until Stop. Used by the crash test.
import {
  type ActorContext,
  createNode,
  openConsumer,
  openProducer,
  Stop,
  StreamDelivery,
} from '../../../src/index.ts';

const factorySettings = { stream: 'crash', consumer: 'checker', window: 32 };

async function main(self: ActorContext, settings: typeof factorySettings) {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  const producer = openProducer(self, settings.stream, {
    idempotent: true,
    window: settings.window,
    seconds: 120,
  });
  const consumer = openConsumer(self, settings.stream, {
    name: settings.consumer,
    start: 'earliest',
    ackWait: '2s',
    window: 64,
    seconds: 120,
  });
  let stopped = false;
  let appended = 0;
  let acked = 0;
  const appending = (async () => {
    let n = 0;
    let outstanding = 0;
    let room: (() => void) | undefined;
    while (!stopped) {
      if (outstanding >= settings.window) {
        await new Promise<void>((resolve) => {
          room = resolve;
        });
        continue;
      }
      const i = ++n;
      outstanding++;
      producer
        .append(new TextEncoder().encode(String(i)), { key: `k${i % 7}` })
        .then(
          (r) => {
            appended++;
            write(`appended ${r.partition} ${r.sequence} ${i}`);
          },
          (err: { code?: string }) => write(`refused ${i} ${err.code}`),
        )
        .finally(() => {
          outstanding--;
          room?.();
          room = undefined;
        });
      // Let replies in between batches.
      if (i % settings.window === 0) await new Promise((r) => setImmediate(r));
    }
  })();
  for (;;) {
    const m = await self.select(StreamDelivery, Stop);
    if (m instanceof Stop) break;
    write(`delivered ${m.partition} ${m.sequence} ${m.deliveryCount}`);
    consumer.ackStored(m).then(
      (ok) => {
        if (!ok) return;
        acked++;
        write(`acked ${m.partition} ${m.sequence}`);
      },
      () => {},
    );
  }
  stopped = true;
  producer.close();
  consumer.close();
  await appending;
  return { appended, acked };
}

createNode(main, { factorySettings, name: 'stream-load' });
