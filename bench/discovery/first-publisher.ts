/**
 * A publisher process for bench/discovery.ts's first publish: as soon as
 * its main actor runs, it notes the time (epoch ms, high resolution) and
 * publishes `--name`; it prints `publish-at <ms> started <ms>` (the second
 * is when the process started, so the bench can show what node start costs)
 * and waits to be stopped.
 */
import { type ActorContext, createNode, Published, publish, Stop } from '../../src/index.ts';

createNode(
  async (self: ActorContext, settings: { name: string }) => {
    const at = performance.timeOrigin + performance.now();
    publish(self, settings.name);
    process.stdout.write(`publish-at ${at} started ${performance.timeOrigin}\n`);
    await self.select(Published);
    await self.select(Stop);
    return 'stopped';
  },
  { factorySettings: { name: 'first' }, name: 'bench-first-publisher' },
);
