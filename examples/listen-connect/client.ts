/**
 * A client that connects to a server, sends `count` requests one after the
 * other and returns the answers with their round-trip times.
 *
 *   node --import tsx examples/listen-connect/client.ts --endpoint=127.0.0.1:5010 --count=3
 */
import {
  type ActorContext,
  Connected,
  close,
  connect,
  createNode,
  Faulted,
  NotConnected,
  SelectTimer,
  TimedOut,
} from 'callsign';
import { Request, Response } from './messages.ts';

const factorySettings = { endpoint: '127.0.0.1:5010', count: 3, text: 'hello, callsign' };

async function client(self: ActorContext, settings: typeof factorySettings) {
  connect(self, settings.endpoint);
  const connected = await self.select(Connected, NotConnected);
  if (connected instanceof NotConnected) {
    return new Faulted({ code: connected.code, message: connected.reason });
  }
  const server = self.returnAddress!;
  const answers: { text: string; server: string; ms: number }[] = [];
  for (let i = 0; i < settings.count; i++) {
    self.send(new Request({ text: `${settings.text} #${i + 1}`, sent: new Date() }), server);
    const m = await self.select(Response, { seconds: 5 });
    if (m instanceof SelectTimer) return new TimedOut({ seconds: 5 });
    answers.push({ text: m.text, server: m.server, ms: Date.now() - m.sent.getTime() });
  }
  close(self, server);
  return { endpoint: connected.endpoint, answers };
}

createNode(client, { factorySettings });
