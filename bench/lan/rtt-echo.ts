// The publisher of bench:lan's request/reply: `lab-echo` at LAN scope,
// replying to every Echo with the same bytes, as rtt-ws.ts's server does for
// raw ws. Logs at CONSOLE: `published lab-echo`.
import {
  type ActorContext,
  createNode,
  Faulted,
  NotPublished,
  Published,
  publish,
  Stop,
} from 'callsign';
import { ECHO_NAME, Echo } from './messages.ts';

async function main(self: ActorContext) {
  publish(self, ECHO_NAME, { scope: 'lan' });
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`published ${p.name} at ${p.endpoints.join(' ')}`);
  for (;;) {
    const m = await self.select(Echo, Stop);
    if (m instanceof Stop) return 'stopped';
    self.reply(m);
  }
}

createNode(main, { name: 'lab-echo' });
