// Round trips to a `lab-service` publisher found at LAN scope: prints one
// JSON line {"p50_us":...,"samples":N} and exits.

import { type ActorContext, Available, createNode, subscribe } from 'callsign';
import { Hello, Welcome } from '../../examples/hello-welcome/messages.ts';

createNode(
  async (self: ActorContext, settings: { count: number }) => {
    subscribe(self, 'lab-service', { scope: 'lan' });
    await self.select(Available);
    const server = self.returnAddress!;
    const samples: number[] = [];
    for (let i = 0; i < settings.count + 200; i++) {
      const t0 = performance.now();
      self.send(new Hello({ name: 'rtt' }), server);
      await self.select(Welcome);
      if (i >= 200) samples.push((performance.now() - t0) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { p50_us: samples[Math.floor(samples.length / 2)], samples: samples.length };
  },
  { factorySettings: { count: 2000 }, name: 'rtt-callsign' },
);
