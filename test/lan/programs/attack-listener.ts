// Attacks the listener at --endpoint as a stranger would (raw garbage, an
// HTTP request, a TLS ClientHello, malformed WebSocket frames before the
// handshake), then connects to it as a node of its realm. Prints one JSON
// object: whether each attack was cut, and whether the node connected.
import { randomBytes } from 'node:crypto';
import {
  type ActorContext,
  Connected,
  connect,
  createNode,
  NotConnected,
} from '../../../src/index.ts';
import {
  BAD_FRAMES,
  closedWithin,
  sendAndExpectCut,
  tlsHello,
  upgraded,
} from '../../integration/attack-tools.ts';

const factorySettings = { endpoint: '' };

async function main(self: ActorContext, settings: typeof factorySettings) {
  const { endpoint } = settings;
  const cut: Record<string, boolean> = {};
  cut.garbage = await sendAndExpectCut(endpoint, randomBytes(4096));
  cut.http = await sendAndExpectCut(endpoint, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  cut.tls = await tlsHello(endpoint);
  for (const [what, frame] of Object.entries(BAD_FRAMES)) {
    const socket = await upgraded(endpoint);
    socket.write(frame);
    cut[what] = await closedWithin(socket, 10_000);
  }
  connect(self, endpoint);
  const c = await self.select(Connected, NotConnected);
  return {
    cut,
    connected: c instanceof Connected,
    code: c instanceof NotConnected ? c.code : null,
  };
}

createNode(main, { factorySettings });
