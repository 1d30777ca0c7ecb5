// A role that runs until it is sent Stop (or `seconds` pass), and says which:
// used to test how `callsign run` and `callsign stop` end a group.
import { type ActorContext, createNode, SelectTimer, Stop } from '../../../src/index.ts';

const factorySettings = { seconds: 60, ignoreStop: false };

async function main(self: ActorContext, settings: typeof factorySettings) {
  self.console(`${process.env.CALLSIGN_ROLE} waiting for Stop`);
  if (settings.ignoreStop) {
    await new Promise((resolve) => setTimeout(resolve, settings.seconds * 1000));
    return 'never stopped';
  }
  const m = await self.select(Stop, { seconds: settings.seconds });
  self.console(m instanceof SelectTimer ? 'timed out' : 'stopped');
  return m instanceof SelectTimer ? 'timed out' : 'stopped';
}

createNode(main, { factorySettings });
