// Connects to a listener (or listens for a connection) and reports how the
// connection ended: used to test Abandoned and keep-alive by spawning it.
import {
  Abandoned,
  Accepted,
  type ActorContext,
  Closed,
  Connected,
  connect,
  createNode,
  Faulted,
  Listening,
  listen,
  NotConnected,
  NotListening,
  SelectTimer,
} from '../../../src/index.ts';

const factorySettings = { endpoint: '', role: 'connect', seconds: 20 };

async function main(self: ActorContext, settings: typeof factorySettings) {
  if (settings.role === 'listen') {
    listen(self, settings.endpoint);
    const l = await self.select(Listening, NotListening);
    if (l instanceof NotListening) return new Faulted({ code: l.code, message: l.reason });
    self.console(`listening on ${l.endpoint}`);
    const a = await self.select(Accepted);
    self.console(`accepted ${a.peerKey}`);
  } else {
    connect(self, settings.endpoint);
    const c = await self.select(Connected, NotConnected);
    if (c instanceof NotConnected) return { ended: 'NotConnected', code: c.code, reason: c.reason };
    self.console(`connected ${c.peerKey}`);
  }
  const m = await self.select(Abandoned, Closed, { seconds: settings.seconds });
  if (m instanceof SelectTimer) return { ended: 'no' };
  return { ended: m instanceof Abandoned ? 'Abandoned' : 'Closed', code: m.code ?? null };
}

createNode(main, { factorySettings });
