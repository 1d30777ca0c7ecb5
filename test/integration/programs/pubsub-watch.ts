// Subscribes to a name and logs, at CONSOLE level, every Available, Dropped
// and NotAvailable (`available hello-welcome (host)`, `dropped hello-welcome
// (ERR_CONNECTION_LOST)`) until Stop; with `--hello`, it also says Hello to
// the publisher every `interval` seconds and logs each Welcome (`welcome 7`).
// Used to watch sessions come and go from the command line's tests.

import {
  type ActorAddress,
  type ActorContext,
  Available,
  createNode,
  Dropped,
  NotAvailable,
  NotSubscribed,
  SelectTimer,
  Stop,
  Subscribed,
  subscribe,
} from 'callsign';
import { Hello, Welcome } from '../../../examples/hello-welcome/messages.ts';

const factorySettings = {
  name: 'hello-welcome',
  scope: 'host',
  hello: false,
  interval: 0.1,
  seconds: 60,
};

async function main(self: ActorContext, settings: typeof factorySettings) {
  subscribe(self, settings.name, { scope: settings.scope === 'group' ? 'group' : 'host' });
  const deadline = Date.now() + settings.seconds * 1000;
  let publisher: ActorAddress | undefined;
  let welcomes = 0;
  let availables = 0;
  for (;;) {
    const left = (deadline - Date.now()) / 1000;
    if (left <= 0) break;
    const wait = publisher && settings.hello ? Math.min(left, settings.interval) : left;
    const m = await self.select(
      Subscribed,
      NotSubscribed,
      Available,
      Dropped,
      NotAvailable,
      Welcome,
      Stop,
      { seconds: wait },
    );
    if (m instanceof Stop) break;
    if (m instanceof SelectTimer) {
      if (publisher && settings.hello) self.send(new Hello({ name: 'watch' }), publisher);
    } else if (m instanceof Subscribed) {
      self.console(`subscribed ${settings.name} (${m.scope})`);
    } else if (m instanceof NotSubscribed) {
      self.console(`not subscribed ${settings.name} (${m.code})`);
    } else if (m instanceof Available) {
      availables++;
      publisher = self.returnAddress;
      self.console(`available ${m.name} (${m.scope})`);
    } else if (m instanceof Dropped) {
      publisher = undefined;
      self.console(`dropped ${m.name} (${m.code})`);
    } else if (m instanceof NotAvailable) {
      self.console(`not available ${m.name} (${m.code})`);
    } else {
      welcomes++;
      self.console(`welcome ${welcomes}`);
    }
  }
  return { availables, welcomes };
}

createNode(main, { factorySettings });
