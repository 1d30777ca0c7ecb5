// Raw ws between two hosts of the lab: `server` echoes on --port, `client`
// makes --warmup round trips of 100 bytes to --host:--port, then times --count
// more, and prints {"p50_us":...,"samples":N}.
import { WebSocket, WebSocketServer } from 'ws';

const [mode, ...rest] = process.argv.slice(2);
const arg = (name: string, fallback: string) =>
  rest.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

if (mode === 'server') {
  const wss = new WebSocketServer({
    host: '0.0.0.0',
    port: Number(arg('port', '7070')),
    perMessageDeflate: false,
  });
  wss.on('listening', () => console.log('listening'));
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
} else {
  const count = Number(arg('count', '2000'));
  const warmup = Number(arg('warmup', '2000'));
  const ws = new WebSocket(`ws://${arg('host', '127.0.0.1')}:${arg('port', '7070')}/`, {
    perMessageDeflate: false,
    // A zero masking key, as callsign's own links use (docs/transport.md).
    generateMask: (mask: Buffer) => mask.fill(0),
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const data = Buffer.alloc(100);
  const samples: number[] = [];
  for (let i = 0; i < count + warmup; i++) {
    const t0 = performance.now();
    await new Promise((r) => {
      ws.once('message', r);
      ws.send(data);
    });
    if (i >= warmup) samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  console.log(
    JSON.stringify({ p50_us: samples[Math.floor(samples.length / 2)], samples: samples.length }),
  );
  process.exit(0);
}
