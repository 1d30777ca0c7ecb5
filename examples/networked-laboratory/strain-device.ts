/**
 * A strain gauge: publishes `strain-<n>` and pushes a StrainReading every
 * `--interval` seconds to every subscriber, until stopped. Its output is how
 * many readings it took and how many subscribers it had at the end.
 *
 *   callsign add examples/networked-laboratory/strain-device.ts strain --count 4
 *   node --import tsx examples/networked-laboratory/strain-device.ts --name=strain-7 --scope=lan
 */
import {
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
  Undelivered,
} from 'callsign';
import { AddressSet, deviceName, scopeOf } from './device.ts';
import { StrainReading } from './messages.ts';

const factorySettings = { name: 'strain-0', scope: 'host', interval: 0.5 };

/** The device's own timer: time to take a reading. */
class Sample extends defineMessage('laboratory.strain.Sample', {}) {}

/** A gauge on a beam that sways slowly, with a little noise. */
function gauge(seed: number) {
  const base = 200 + 50 * seed;
  const period = 8 + seed;
  return (now: number) =>
    Math.round(
      (base + 80 * Math.sin((2 * Math.PI * now) / 1000 / period) + 4 * (Math.random() - 0.5)) * 10,
    ) / 10;
}

async function strainDevice(self: ActorContext, settings: typeof factorySettings) {
  const name = deviceName('strain', settings.name, factorySettings.name);
  const scope = scopeOf(settings.scope);
  if (scope instanceof Faulted) return scope;
  if (!(settings.interval > 0))
    return new Faulted({ code: 'ERR_INVALID_SETTINGS', message: '--interval must be above 0' });
  publish(self, name, { scope });
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at ${p.scope} scope, a reading every ${settings.interval} s`);

  const read = gauge(Number(name.match(/\d+$/)?.[0] ?? 0));
  const subscribers = new AddressSet();
  let readings = 0;
  self.start(Sample, settings.interval, { repeating: true });
  for (;;) {
    const m = await self.select(Sample, Delivered, Dropped, Cleared, Undelivered, Stop);
    if (m instanceof Sample) {
      readings++;
      const now = Date.now();
      const reading = new StrainReading({
        device: name,
        microstrain: read(now),
        at: new Date(now),
      });
      for (const to of subscribers) self.send(reading, to);
    } else if (m instanceof Delivered) {
      subscribers.add(self.returnAddress);
      self.console(`a subscriber arrived (${m.scope}); ${subscribers.size} now`);
    } else if (m instanceof Dropped || m instanceof Cleared) {
      subscribers.delete(self.returnAddress);
      self.console(`a subscriber left; ${subscribers.size} now`);
    } else if (m instanceof Undelivered) {
      self.warning(`a ${m.typeName} was not delivered (${m.reason})`);
    } else {
      return { device: name, readings, subscribers: subscribers.size };
    }
  }
}

createNode(strainDevice, { factorySettings, name: 'strain-device' });
