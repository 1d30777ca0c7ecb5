/**
 * The observatory's monitor: finds every weather station across the WAN by
 * one regular expression (`station-.*` at `wan` scope), and shows a table of
 * each station's latest temperature, pressure and wind with their min and
 * max, marking the stations that dropped. Redrawn in place every second on a
 * terminal; else a line per station every `--report` seconds on stderr (at
 * CONSOLE level).
 *
 * After `--seconds` (0: until stopped) its output is a summary:
 * `{ stations: { <name>: { readings, state, celsius: {last, min, max}, ... } } }`.
 *
 *   node --import tsx examples/remote-weather-stations/observatory.ts --debug-level=CONSOLE
 */
import {
  type ActorContext,
  Available,
  createNode,
  Dropped,
  defineMessage,
  Faulted,
  NotSubscribed,
  Stop,
  Subscribed,
  subscribe,
} from 'callsign';
import { WeatherReading } from './messages.ts';

const factorySettings = { seconds: 0, report: 2, display: 'auto' };

const METRICS = ['celsius', 'hectopascals', 'windMetresPerSecond'] as const;
type Metric = (typeof METRICS)[number];
const UNITS: Record<Metric, string> = {
  celsius: '°C',
  hectopascals: 'hPa',
  windMetresPerSecond: 'm/s',
};

interface Range {
  last: number;
  min: number;
  max: number;
}

interface Station {
  state: 'available' | 'dropped';
  readings: number;
  values: Partial<Record<Metric, Range>>;
}

class Show extends defineMessage('weather.observatory.Show', {}) {}
class Deadline extends defineMessage('weather.observatory.Deadline', {}) {}

function row(name: string, s: Station): string {
  const cells = METRICS.map((m) => {
    const r = s.values[m];
    return r ? `${r.last} ${UNITS[m]} (${r.min}–${r.max})` : '-';
  });
  return `${name.padEnd(22)} ${s.state === 'dropped' ? 'DROPPED  ' : 'available'} ${cells.join('  ')}`;
}

async function observatory(self: ActorContext, settings: typeof factorySettings) {
  subscribe(self, /station-.*/, { scope: 'wan' });
  const s = await self.select(Subscribed, NotSubscribed);
  if (s instanceof NotSubscribed) return new Faulted({ code: s.code, message: s.reason });
  self.console('looking for station-.* across the WAN');
  const live = settings.display === 'live' || (settings.display === 'auto' && process.stdout.isTTY);
  const stations = new Map<string, Station>();
  self.start(Show, live ? 1 : settings.report, { repeating: true });
  if (settings.seconds > 0) self.start(Deadline, settings.seconds);
  for (;;) {
    const m = await self.select(WeatherReading, Available, Dropped, Show, Deadline, Stop);
    if (m instanceof Available) {
      const st = stations.get(m.name) ?? { state: 'available', readings: 0, values: {} };
      st.state = 'available';
      stations.set(m.name, st);
      self.console(`available ${m.name} (${m.scope})`);
    } else if (m instanceof Dropped) {
      const st = stations.get(m.name);
      if (st) st.state = 'dropped';
      self.console(`dropped ${m.name} (${m.code})`);
    } else if (m instanceof WeatherReading) {
      const st = stations.get(m.station) ?? { state: 'available', readings: 0, values: {} };
      st.readings++;
      for (const k of METRICS) {
        const v = m[k];
        const r = st.values[k];
        st.values[k] = r
          ? { last: v, min: Math.min(r.min, v), max: Math.max(r.max, v) }
          : { last: v, min: v, max: v };
      }
      stations.set(m.station, st);
    } else if (m instanceof Show) {
      const names = [...stations.keys()].sort();
      if (live) {
        process.stdout.write(
          `\x1b[H\x1b[J${names.map((n) => row(n, stations.get(n) as Station)).join('\n')}\n`,
        );
      } else {
        for (const n of names) self.console(row(n, stations.get(n) as Station));
      }
    } else {
      return { stations: Object.fromEntries(stations) };
    }
  }
}

createNode(observatory, { factorySettings, name: 'observatory' });
