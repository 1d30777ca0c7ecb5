// A fast producer: connects, sends `--count` Samples as fast as its
// overflow policy lets it, then Finish (under the blocking policy, so it
// arrives after every Sample that was accepted), and prints what happened:
// sent, the consumer's Tally (if the connection lived), the Undelivered it
// was told of by code, the node's undelivered counters, and its peak RSS.
import {
  Abandoned,
  type ActorAddress,
  type ActorContext,
  Closed,
  Connected,
  connect,
  createNode,
  drain,
  NotConnected,
  type OverflowPolicy,
  SelectTimer,
  setOverflow,
  Undelivered,
} from '../../../src/index.ts';
import { Finish, Sample, Tally } from './flow-messages.ts';

const factorySettings = {
  endpoint: '',
  count: 1_000_000,
  policy: 'refuse',
  limit: 100,
  drainEvery: 0,
};

async function main(self: ActorContext, settings: typeof factorySettings) {
  let peakRss = process.memoryUsage().rss;
  const rss = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  connect(self, settings.endpoint);
  const c = await self.select(Connected, NotConnected);
  if (c instanceof NotConnected) return { error: c.code };
  const consumer = self.returnAddress as ActorAddress;
  setOverflow(self, consumer, settings.policy as OverflowPolicy, { limit: settings.limit });
  self.console('connected, sending');
  const told: Record<string, number> = {};
  let ended: string | undefined;
  const look = (m: unknown) => {
    if (m instanceof Undelivered) {
      const key = `${m.typeName === Sample.typeName ? 'Sample' : m.typeName}:${m.reason}:${m.code}`;
      told[key] = (told[key] ?? 0) + 1;
    } else if (m instanceof Abandoned || m instanceof Closed) {
      ended = m.code ?? 'closed';
    }
  };
  const pad = 'x'.repeat(80);
  let sent = 0;
  for (let i = 0; i < settings.count; i++) {
    self.send(new Sample({ i, pad }), consumer);
    sent++;
    if (settings.drainEvery > 0 && sent % settings.drainEvery === 0) await drain(self, consumer);
    if (sent % 1000 === 0) {
      // Read what the transport said, without waiting.
      for (;;) {
        const m = await self.select(Undelivered, Abandoned, Closed, { seconds: 0 });
        if (m instanceof SelectTimer) break;
        look(m);
      }
    }
  }
  self.console(`sent ${sent}`);
  setOverflow(self, consumer, 'block');
  self.send(new Finish({ sent }), consumer);
  let tally: number | undefined;
  const deadline = Date.now() + 60_000;
  while (tally === undefined && ended === undefined && Date.now() < deadline) {
    const m = await self.select(Tally, Undelivered, Abandoned, Closed, { seconds: 1 });
    if (m instanceof Tally) tally = m.received;
    else look(m);
  }
  // What is still on its way to us (Undelivered for the queue and the in-flight when it was lost).
  for (;;) {
    const m = await self.select(Undelivered, Abandoned, Closed, { seconds: 0.5 });
    if (m instanceof SelectTimer) break;
    look(m);
  }
  clearInterval(rss);
  return {
    sent,
    tally: tally ?? null,
    ended: ended ?? null,
    told,
    counters: { ...self.node.counters.undelivered },
    peakRss,
  };
}

createNode(main, { factorySettings });
