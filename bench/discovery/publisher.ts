/**
 * A publisher process for bench/discovery.ts: publishes `--name` and waits
 * to be killed.
 */
import {
  type ActorContext,
  createNode,
  NotPublished,
  Published,
  publish,
  Stop,
} from '../../src/index.ts';

createNode(
  async (self: ActorContext, settings: { name: string }) => {
    publish(self, settings.name);
    const p = await self.select(Published, NotPublished);
    if (p instanceof NotPublished) return p;
    self.console(`published ${p.name}`);
    await self.select(Stop);
    return 'stopped';
  },
  { factorySettings: { name: 'victim' }, name: 'bench-publisher' },
);
