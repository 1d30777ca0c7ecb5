/**
 * The laboratory's report: the named consumer `report` of the stream
 * `strain-readings`, from the earliest reading. It keeps a summary per
 * device (readings, lowest, highest, mean, first and last time), logs it
 * every `--report` seconds (CONSOLE level), and acknowledges each reading
 * once counted; started again, it continues after its last acknowledgement.
 * Its output, when stopped, after `--seconds`, or after `--readings` readings,
 * is the summary and the sequences it took, per partition.
 *
 *   callsign add examples/networked-laboratory/report.ts report
 */
import {
  type ActorContext,
  createNode,
  defineMessage,
  openConsumer,
  SelectTimer,
  Stop,
  StreamDelivery,
} from 'callsign';
import { scopeOf } from './device.ts';
import { StrainReading } from './messages.ts';

const factorySettings = {
  scope: 'host',
  stream: 'strain-readings',
  seconds: 0,
  readings: 0,
  report: 5,
};

class ReportNow extends defineMessage('laboratory.report.ReportNow', {}) {}

interface Summary {
  readings: number;
  lowest: number;
  highest: number;
  mean: number;
  first: string;
  last: string;
}

async function report(self: ActorContext, settings: typeof factorySettings) {
  const scope = scopeOf(settings.scope);
  if (typeof scope !== 'string') return scope;
  const readings = openConsumer(self, settings.stream, {
    name: 'report',
    start: 'earliest',
    scope,
    seconds: 60,
  });
  const devices: Record<string, Summary> = {};
  const taken: Record<string, { from: number; to: number }> = {};
  let counted = 0;
  const deadline =
    settings.seconds > 0 ? Date.now() + settings.seconds * 1000 : Number.POSITIVE_INFINITY;
  self.start(ReportNow, settings.report, { repeating: true });
  const line = () =>
    Object.entries(devices)
      .map(([d, s]) => `${d} ${s.readings}× ${s.lowest}..${s.highest} µε (mean ${s.mean})`)
      .join('; ');
  for (;;) {
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) break;
    const m = await self.select(StreamDelivery, ReportNow, Stop, { seconds: Math.min(left, 3600) });
    if (m instanceof Stop || m instanceof SelectTimer) break;
    if (m instanceof ReportNow) {
      self.console(line() || 'no readings yet');
      continue;
    }
    const r = readings.message(m);
    if (r instanceof StrainReading) {
      const s = devices[r.device];
      const at = r.at.toISOString();
      if (!s) {
        devices[r.device] = {
          readings: 1,
          lowest: r.microstrain,
          highest: r.microstrain,
          mean: r.microstrain,
          first: at,
          last: at,
        };
      } else {
        s.readings++;
        s.lowest = Math.min(s.lowest, r.microstrain);
        s.highest = Math.max(s.highest, r.microstrain);
        s.mean = Math.round((s.mean + (r.microstrain - s.mean) / s.readings) * 10) / 10;
        s.last = at;
      }
    }
    const p = String(m.partition);
    taken[p] = { from: taken[p]?.from ?? m.sequence, to: m.sequence };
    await readings.ackStored(m);
    if (settings.readings > 0 && ++counted >= settings.readings) break;
  }
  readings.close();
  return { devices, partitions: taken };
}

createNode(report, { factorySettings, name: 'report' });
