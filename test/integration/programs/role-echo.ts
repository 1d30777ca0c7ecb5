// A role that returns what it was started with (its role's environment, its
// settings, its working directory): used to test `callsign run` by spawning it.
import { type ActorContext, createNode, Faulted, Stop } from '../../../src/index.ts';

const factorySettings = {
  greeting: 'hello',
  count: 1,
  verbose: false,
  tags: ['a'],
  seconds: 0,
  fail: false,
};

async function main(self: ActorContext, settings: typeof factorySettings) {
  const role = process.env.CALLSIGN_ROLE ?? null;
  self.console(`${role} says ${settings.greeting}`);
  if (settings.seconds > 0) await self.select(Stop, { seconds: settings.seconds });
  if (settings.fail) return new Faulted({ code: 'ERR_TEST', message: `${role} asked to fail` });
  return {
    role,
    home: process.env.CALLSIGN_HOME ?? null,
    realm: process.env.CALLSIGN_REALM ?? null,
    keys: process.env.CALLSIGN_NODE_KEYS ?? null,
    group: process.env.CALLSIGN_GROUP ?? null,
    cwd: process.cwd(),
    settings,
  };
}

createNode(main, { factorySettings });
