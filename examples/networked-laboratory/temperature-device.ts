/**
 * A thermometer: publishes `temperature-<n>` and answers every Enquiry (the
 * standard message) with a TemperatureReading, until stopped. The value
 * drifts slowly, as a room's does. Its output is how many enquiries it
 * answered.
 *
 *   callsign add examples/networked-laboratory/temperature-device.ts temperature --count 4
 *   node --import tsx examples/networked-laboratory/temperature-device.ts --name=temperature-7 --scope=lan
 */
import {
  type ActorContext,
  Cleared,
  createNode,
  Delivered,
  Dropped,
  Enquiry,
  Faulted,
  NotPublished,
  Published,
  publish,
  Stop,
} from 'callsign';
import { deviceName, scopeOf } from './device.ts';
import { TemperatureReading } from './messages.ts';

const factorySettings = { name: 'temperature-0', scope: 'host', celsius: 21 };

/**
 * A room that starts at `celsius` and drifts: a random walk of about 0.1 °C
 * a second, pulled back towards where it started.
 */
function thermometer(celsius: number) {
  let value = celsius;
  let last = Date.now();
  return (now: number) => {
    const seconds = Math.max(0, (now - last) / 1000);
    last = now;
    value += (Math.random() - 0.5) * 0.2 * Math.sqrt(seconds) + (celsius - value) * 0.01 * seconds;
    return Math.round(value * 100) / 100;
  };
}

async function temperatureDevice(self: ActorContext, settings: typeof factorySettings) {
  const name = deviceName('temperature', settings.name, factorySettings.name);
  const scope = scopeOf(settings.scope);
  if (scope instanceof Faulted) return scope;
  publish(self, name, { scope });
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at ${p.scope} scope`);

  const read = thermometer(settings.celsius + Math.random() - 0.5);
  let enquiries = 0;
  for (;;) {
    const m = await self.select(Enquiry, Delivered, Dropped, Cleared, Stop);
    if (m instanceof Enquiry) {
      enquiries++;
      const now = Date.now();
      self.reply(new TemperatureReading({ device: name, celsius: read(now), at: new Date(now) }));
    } else if (m instanceof Delivered) {
      self.console(`a subscriber arrived (${m.scope})`);
    } else if (m instanceof Dropped || m instanceof Cleared) {
      self.console('a subscriber left');
    } else {
      return { device: name, enquiries };
    }
  }
}

createNode(temperatureDevice, { factorySettings, name: 'temperature-device' });
