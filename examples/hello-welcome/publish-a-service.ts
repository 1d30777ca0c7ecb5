/**
 * Publishes the name `hello-welcome` and answers every Hello with a Welcome,
 * until stopped. No address, no port: subscribers find it by name.
 */
import {
  type ActorContext,
  createNode,
  Delivered,
  Dropped,
  Faulted,
  NotPublished,
  Published,
  publish,
  Stop,
} from 'callsign';
import { Hello, Welcome } from './messages.ts';

const factorySettings = { name: 'hello-welcome', greeting: 'Welcome' };

async function publisher(self: ActorContext, settings: typeof factorySettings) {
  publish(self, settings.name);
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at ${p.scope} scope`);
  let welcomed = 0;
  for (;;) {
    const m = await self.select(Hello, Delivered, Dropped, Stop);
    if (m instanceof Hello) {
      welcomed++;
      self.reply(new Welcome({ text: `${settings.greeting}, ${m.name}`, from: settings.name }));
    } else if (m instanceof Delivered) {
      self.console(`a subscriber arrived (${m.scope})`);
    } else if (m instanceof Dropped) {
      self.console(`a subscriber left (${m.code})`);
    } else {
      return { welcomed };
    }
  }
}

createNode(publisher, { factorySettings });
