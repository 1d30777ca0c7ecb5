// Listens for UDP datagrams "<tag> <n>" and prints one line per datagram
// ("got <text> from <address>"). On "<tag> done" prints "done <tag> <count>"
// (the datagrams seen with that tag). With --echo answers each datagram with
// "pong <text>". With --group joins that multicast group on --iface (the
// address of the interface). Ends by itself after --max-ms.
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7000' },
    group: { type: 'string' },
    iface: { type: 'string' },
    echo: { type: 'boolean', default: false },
    'max-ms': { type: 'string', default: '60000' },
  },
});
const port = Number(values.port);
const counts = new Map<string, number>();
const socket = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 1 << 20 });
socket.on('message', (msg, from) => {
  const text = msg.toString();
  const [tag = '', n = ''] = text.split(' ');
  console.log(`got ${text} from ${from.address}`);
  if (n === 'done') {
    console.log(`done ${tag} ${counts.get(tag) ?? 0}`);
  } else {
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  if (values.echo) socket.send(`pong ${text}`, from.port, from.address);
});
socket.bind(port, () => {
  if (values.group) socket.addMembership(values.group, values.iface);
  console.log(`listening ${port}`);
});
setTimeout(() => process.exit(0), Number(values['max-ms']));
