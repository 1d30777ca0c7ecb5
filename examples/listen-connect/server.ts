/**
 * A server that listens on an endpoint and answers every Request with a
 * Response, until it is stopped (Ctrl-C). Its output is how many it served.
 *
 *   node --import tsx examples/listen-connect/server.ts --endpoint=127.0.0.1:5010
 */
import {
  Abandoned,
  Accepted,
  type ActorContext,
  Closed,
  createNode,
  Faulted,
  Listening,
  listen,
  NotListening,
  Stop,
} from 'callsign';
import { Request, Response } from './messages.ts';

const factorySettings = { endpoint: '127.0.0.1:0', name: 'server' };

async function server(self: ActorContext, settings: typeof factorySettings) {
  listen(self, settings.endpoint);
  const listening = await self.select(Listening, NotListening);
  if (listening instanceof NotListening) {
    return new Faulted({ code: listening.code, message: listening.reason });
  }
  self.console(`listening on ${listening.endpoint}`);
  let served = 0;
  let clients = 0;
  for (;;) {
    const m = await self.select(Request, Accepted, Closed, Abandoned, Stop);
    if (m instanceof Request) {
      served++;
      self.reply(new Response({ text: m.text.toUpperCase(), sent: m.sent, server: settings.name }));
    } else if (m instanceof Accepted) {
      clients++;
      self.console(`accepted a client (key ${m.peerKey.slice(0, 8)}…)`);
    } else if (m instanceof Closed || m instanceof Abandoned) {
      self.console(`a client left (${m instanceof Closed ? 'Closed' : 'Abandoned'}: ${m.reason})`);
    } else {
      return { served, clients };
    }
  }
}

createNode(server, { factorySettings });
