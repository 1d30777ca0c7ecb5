/**
 * A remote weather station: publishes `station-<site>-<n>` at `wan` scope and
 * pushes a WeatherReading (temperature, pressure, wind) every `--interval`
 * seconds to every subscriber, wherever it is, until stopped. Its output is
 * how many readings it took.
 *
 *   node --import tsx examples/remote-weather-stations/station.ts --name=station-north-1
 */
import {
  type ActorAddress,
  type ActorContext,
  Cleared,
  createNode,
  Delivered,
  Dropped,
  defineMessage,
  Faulted,
  NotPublished,
  Published,
  publish,
  Stop,
} from 'callsign';
import { WeatherReading } from './messages.ts';

const factorySettings = { name: 'station-0', interval: 0.5 };

/** Time to take a reading. */
class Sample extends defineMessage('weather.station.Sample', {}) {}

/** Slow daily swings with some noise, different for each station. */
function weather(name: string) {
  let seed = 0;
  for (const c of name) seed = (seed * 31 + c.charCodeAt(0)) % 1000;
  const noise = (k: number) => k * (Math.random() - 0.5);
  return (now: number) => {
    const phase = (2 * Math.PI * now) / 60_000 + seed;
    return {
      celsius: Math.round((8 + (seed % 15) + 6 * Math.sin(phase) + noise(0.4)) * 10) / 10,
      hectopascals: Math.round((1005 + (seed % 20) + 3 * Math.cos(phase) + noise(0.6)) * 10) / 10,
      windMetresPerSecond: Math.max(
        0,
        Math.round((4 + 3 * Math.sin(phase * 3) + noise(2)) * 10) / 10,
      ),
    };
  };
}

async function station(self: ActorContext, settings: typeof factorySettings) {
  const name = settings.name;
  if (!/^station-[a-z0-9-]+$/.test(name)) {
    return new Faulted({
      code: 'ERR_INVALID_SETTINGS',
      message: `--name must be station-<...>, not ${name}`,
    });
  }
  if (!(settings.interval > 0))
    return new Faulted({ code: 'ERR_INVALID_SETTINGS', message: '--interval must be above 0' });
  publish(self, name, { scope: 'wan' });
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at wan scope, a reading every ${settings.interval} s`);

  const measure = weather(name);
  const subscribers = new Map<string, ActorAddress>();
  let readings = 0;
  self.start(Sample, settings.interval, { repeating: true });
  for (;;) {
    const m = await self.select(Sample, Delivered, Dropped, Cleared, Stop);
    if (m instanceof Sample) {
      readings++;
      const now = Date.now();
      const reading = new WeatherReading({ station: name, ...measure(now), at: new Date(now) });
      for (const to of subscribers.values()) self.send(reading, to);
    } else if (m instanceof Delivered && self.returnAddress) {
      subscribers.set(self.returnAddress.toString(), self.returnAddress);
      self.console(`an observatory arrived (${m.scope}); ${subscribers.size} now`);
    } else if ((m instanceof Dropped || m instanceof Cleared) && self.returnAddress) {
      subscribers.delete(self.returnAddress.toString());
    } else if (m instanceof Stop) {
      return { station: name, readings };
    }
  }
}

createNode(station, { factorySettings, name: 'weather-station' });
