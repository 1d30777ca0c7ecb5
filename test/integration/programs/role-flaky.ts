// A role that fails its first `failures` runs (counting them in `counterFile`,
// relative to its working directory), then runs until Stop: used to test the
// background supervisor's restarts.
import { readFileSync, writeFileSync } from 'node:fs';
import { type ActorContext, createNode, Faulted, Stop } from '../../../src/index.ts';

const factorySettings = { failures: 2, counterFile: 'flaky-runs.txt' };

function countRun(file: string): number {
  let runs = 0;
  try {
    runs = Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    // the first run
  }
  writeFileSync(file, String(runs + 1));
  return runs + 1;
}

async function main(self: ActorContext, settings: typeof factorySettings) {
  const run = countRun(settings.counterFile);
  if (run <= settings.failures) {
    self.console(`run ${run}: failing on purpose`);
    return new Faulted({ code: 'ERR_TEST', message: `run ${run} fails` });
  }
  self.console(`run ${run}: up`);
  await self.select(Stop, { seconds: 120 });
  return { runs: run };
}

createNode(main, { factorySettings });
