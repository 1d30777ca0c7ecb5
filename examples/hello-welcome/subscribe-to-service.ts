/**
 * Subscribes to `hello-welcome`, says Hello as soon as it is Available and
 * returns the Welcome as its output.
 */
import {
  Aborted,
  type ActorContext,
  Available,
  createNode,
  NotAvailable,
  SelectTimer,
  Stop,
  subscribe,
  TimedOut,
} from 'callsign';
import { Hello, Welcome } from './messages.ts';

const factorySettings = { name: 'hello-welcome', who: 'callsign', seconds: 10 };

async function subscriber(self: ActorContext, settings: typeof factorySettings) {
  subscribe(self, settings.name);
  for (;;) {
    const m = await self.select(Available, NotAvailable, Stop, { seconds: settings.seconds });
    if (m instanceof SelectTimer) return new TimedOut({ seconds: settings.seconds });
    if (m instanceof Stop) return new Aborted({ reason: 'stopped' });
    if (m instanceof NotAvailable) {
      self.warning(`${m.name} not available: ${m.reason} (${m.code})`);
      continue;
    }
    self.send(new Hello({ name: settings.who }), self.returnAddress!);
    const w = await self.select(Welcome, { seconds: settings.seconds });
    if (w instanceof SelectTimer) return new TimedOut({ seconds: settings.seconds });
    return w;
  }
}

createNode(subscriber, { factorySettings });
