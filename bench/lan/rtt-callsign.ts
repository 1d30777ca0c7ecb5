// Round trips of 100 bytes to the `lab-echo` publisher (rtt-echo.ts) found at LAN
// scope, as rtt-ws.ts times raw ws: --warmup round trips, then --count timed
// ones; prints one JSON line {"p50_us":...,"samples":N} and exits.

import { type ActorContext, Available, createNode, subscribe } from 'callsign';
import { ECHO_NAME, Echo } from './messages.ts';

createNode(
  async (self: ActorContext, settings: { count: number; warmup: number }) => {
    subscribe(self, ECHO_NAME, { scope: 'lan' });
    await self.select(Available);
    const server = self.returnAddress!;
    const request = new Echo({ data: new Uint8Array(100) });
    const samples: number[] = [];
    for (let i = 0; i < settings.count + settings.warmup; i++) {
      const t0 = performance.now();
      self.send(request, server);
      await self.select(Echo);
      if (i >= settings.warmup) samples.push((performance.now() - t0) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { p50_us: samples[Math.floor(samples.length / 2)], samples: samples.length };
  },
  { factorySettings: { count: 2000, warmup: 2000 }, name: 'rtt-callsign' },
);
