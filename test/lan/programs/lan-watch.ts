// Subscribes to `--search` (a name, or /regex/) at `--scope`, logs at CONSOLE
// `searching <search> <scope>` once it has, and then every `available <name> <scope>` and `dropped <name> <code>`; with
// `--hello`, says Hello to every publisher every `--interval` s and logs each
// `welcome from <host>`.

import {
  type ActorAddress,
  type ActorContext,
  Available,
  createNode,
  Dropped,
  NotAvailable,
  type Scope,
  SelectTimer,
  Stop,
  subscribe,
} from 'callsign';
import { Hello, Welcome } from '../../../examples/hello-welcome/messages.ts';

const factorySettings = { search: 'lab-service', scope: 'lan', hello: false, interval: 0.2 };

async function main(self: ActorContext, settings: typeof factorySettings) {
  const regex = /^\/(.*)\/$/.exec(settings.search);
  subscribe(self, regex ? new RegExp(regex[1] as string) : settings.search, {
    scope: settings.scope as Scope,
  });
  self.console(`searching ${settings.search} ${settings.scope}`);
  const publishers = new Set<ActorAddress>();
  for (;;) {
    const m = await self.select(Available, Dropped, NotAvailable, Welcome, Stop, {
      seconds: settings.interval,
    });
    if (m instanceof Stop) return { publishers: publishers.size };
    if (m instanceof Available) {
      publishers.add(self.returnAddress as ActorAddress);
      self.console(`available ${m.name} ${m.scope}`);
    } else if (m instanceof Dropped) {
      for (const p of publishers) if (p.equals(self.returnAddress)) publishers.delete(p);
      self.console(`dropped ${m.name} ${m.code}`);
    } else if (m instanceof NotAvailable) {
      self.console(`not available ${m.name} ${m.code}`);
    } else if (m instanceof Welcome) {
      self.console(`welcome from ${m.from}`);
    } else if (m instanceof SelectTimer && settings.hello) {
      for (const p of publishers) self.send(new Hello({ name: 'lab' }), p);
    }
  }
}

createNode(main, { factorySettings });
