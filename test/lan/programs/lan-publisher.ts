// Publishes `--name` at `--scope` (lan by default) and answers every Hello
// with a Welcome that names this host. Logs at CONSOLE: `published <name>`.
import { hostname } from 'node:os';
import {
  type ActorContext,
  createNode,
  Faulted,
  NotPublished,
  Published,
  publish,
  type Scope,
  Stop,
} from 'callsign';
import { Hello, Welcome } from '../../../examples/hello-welcome/messages.ts';

const factorySettings = { name: 'lab-service', scope: 'lan' };

async function main(self: ActorContext, settings: typeof factorySettings) {
  publish(self, settings.name, { scope: settings.scope as Scope });
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at ${p.endpoints.join(' ')}`);
  for (;;) {
    const m = await self.select(Hello, Stop);
    if (m instanceof Stop) return 'stopped';
    self.reply(new Welcome({ text: `welcome ${m.name}`, from: hostname() }));
  }
}

createNode(main, { factorySettings });
