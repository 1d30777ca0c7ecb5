// A slow consumer: listens, takes one Sample every `--every-ms`, answers
// Finish with its Tally. It grants small windows so the flood's tail is short.
// When its connection ends it says how many it had received.
import {
  Abandoned,
  Accepted,
  type ActorContext,
  Closed,
  configureTransport,
  createNode,
  Faulted,
  Listening,
  listen,
  NotListening,
  SelectTimer,
  Stop,
} from '../../../src/index.ts';
import { Finish, Sample, Tally } from './flow-messages.ts';

const factorySettings = { endpoint: '127.0.0.1:0', everyMs: 10, window: 200 };

async function main(self: ActorContext, settings: typeof factorySettings) {
  configureTransport(self.node, {
    windows: {
      actorMessages: settings.window,
      actorBytes: 1024 * 1024,
      connectionBytes: 4 * 1024 * 1024,
    },
  });
  listen(self, settings.endpoint);
  const l = await self.select(Listening, NotListening);
  if (l instanceof NotListening) return new Faulted({ code: l.code, message: l.reason });
  self.console(`listening on ${l.endpoint}`);
  let received = 0;
  for (;;) {
    const m = await self.select(Sample, Finish, Accepted, Abandoned, Closed, Stop);
    if (m instanceof Sample) {
      received++;
      if (received % 100 === 0) self.console(`received ${received}`);
      if (settings.everyMs > 0)
        await self.select(SelectTimer, { seconds: settings.everyMs / 1000 });
    } else if (m instanceof Finish) {
      self.reply(new Tally({ received }));
      self.console(`tally ${received} of ${m.sent}`);
    } else if (m instanceof Accepted) {
      self.console('accepted the producer');
    } else if (m instanceof Abandoned || m instanceof Closed) {
      self.console(`connection ended (${m.code ?? 'closed'}) after receiving ${received}`);
    } else {
      return { received };
    }
  }
}

createNode(main, { factorySettings });
