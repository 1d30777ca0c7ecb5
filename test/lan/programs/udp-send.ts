// Sends --count datagrams "<tag> <n>" to --to (address:port), paced so that
// the receiver keeps up, then "<tag> done" with --done. With --probe instead
// sends "<tag> <n>" every 100 ms until an answer arrives or --window-ms is
// over. Prints JSON: {"sent": n, "answered": boolean}.
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    tag: { type: 'string', default: 'x' },
    count: { type: 'string', default: '1' },
    done: { type: 'boolean', default: false },
    probe: { type: 'boolean', default: false },
    'window-ms': { type: 'string', default: '2000' },
  },
});
const [address = '', portText = ''] = (values.to ?? '').split(':');
const port = Number(portText);
if (!address || !port) throw new Error('--to address:port');

const socket = createSocket('udp4');
let answered = false;
socket.on('message', () => {
  answered = true;
});
let sendErrors = 0;
const send = (text: string) =>
  new Promise<void>((resolve) =>
    socket.send(text, port, address, (err) => {
      if (err) sendErrors += 1;
      resolve();
    }),
  );

let sent = 0;
if (values.probe) {
  const deadline = Date.now() + Number(values['window-ms']);
  while (!answered && Date.now() < deadline) {
    await send(`${values.tag} ${sent}`);
    sent += 1;
    for (let i = 0; i < 10 && !answered; i++) await sleep(10);
  }
} else {
  const count = Number(values.count);
  for (; sent < count; sent++) {
    await send(`${values.tag} ${sent}`);
    if (sent % 10 === 9) await sleep(2);
  }
  if (values.done) await send(`${values.tag} done`);
}
console.log(JSON.stringify({ sent, answered, sendErrors }));
socket.close();
