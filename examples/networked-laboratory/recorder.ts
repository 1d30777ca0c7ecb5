/**
 * The laboratory's recorder: hosts the stream `strain-readings` (an lmdb
 * store in the home's `laboratory/` folder, or `--path`; the command line
 * reaches it by its listing, `callsign stream view strain-readings
 * --listing laboratory-streams`) and appends to it
 * every StrainReading of every strain device it finds, keyed by device, on
 * subject `lab.strain.<device>`, with the reading's time as event time.
 * Its output, when stopped, is how many readings it recorded.
 *
 *   callsign add examples/networked-laboratory/recorder.ts recorder
 */
import { dirname, join } from 'node:path';
import {
  type ActorContext,
  Available,
  createNode,
  Dropped,
  defaultStreamPath,
  Faulted,
  openProducer,
  openStreamStore,
  Stop,
  streamHost,
  subscribe,
} from 'callsign';
import { scopeOf } from './device.ts';
import { StrainReading } from './messages.ts';

const factorySettings = {
  scope: 'host',
  path: '',
  stream: 'strain-readings',
  listing: 'laboratory-streams',
};

/** The stream of the laboratory's strain readings, as the recorder makes it. */
export const READINGS_STREAM = {
  subjects: ['lab.strain.>'],
  partitions: 2,
  maxAgeMs: '30d',
};

async function recorder(self: ActorContext, settings: typeof factorySettings) {
  const scope = scopeOf(settings.scope);
  if (scope instanceof Faulted) return scope;
  const path = settings.path || join(dirname(defaultStreamPath(process.env)), 'laboratory');
  const store = await openStreamStore({ options: { path } });
  try {
    await store.createStream({ name: settings.stream, ...READINGS_STREAM });
    self.create(streamHost, { store, scope, listing: settings.listing });
    const readings = openProducer(self, settings.stream, { name: 'recorder', scope });
    await readings.ready();
    subscribe(self, /strain-.*/, { scope });
    self.console(`recording every strain reading in stream ${settings.stream}`);
    let recorded = 0;
    let failed = 0;
    for (;;) {
      const m = await self.select(StrainReading, Available, Dropped, Stop);
      if (m instanceof Stop) break;
      if (m instanceof Available) self.console(`recording ${m.name}`);
      if (!(m instanceof StrainReading)) continue;
      readings
        .append(m, { key: m.device, subject: `lab.strain.${m.device}`, eventTime: m.at })
        .then(
          () => recorded++,
          (err: { code?: string; message?: string }) => {
            failed++;
            self.warning(`a reading of ${m.device} was not recorded: ${err.message} (${err.code})`);
          },
        );
    }
    await readings.flush().catch(() => {});
    readings.close();
    return { stream: settings.stream, recorded, failed };
  } finally {
    await store.close();
  }
}

createNode(recorder, { factorySettings, name: 'recorder' });
