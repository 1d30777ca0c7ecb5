/**
 * Runs the remote weather stations in a simulated internet on this machine
 * (network namespaces: needs root, `ip`, `nft` and `unshare`, and the
 * package built with `npm run build`): a relay on a public network, two
 * stations at each of two sites behind NAT routers, and the observatory at a
 * third site behind a NAT router of its own. Halfway through, one station is stopped: the observatory
 * marks it dropped. Prints the observatory's lines, then its summary (JSON).
 *
 *   sudo node --import tsx examples/remote-weather-stations/simulate.ts [--seconds=20]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRealm } from 'callsign';
import { serializeRealm } from 'callsign/internal';
import { PUBLIC_ADDRESS, startWan } from '../../test/helpers/wan-netns.ts';

const HERE = 'examples/remote-weather-stations';
const CALLSIGN = 'bin/callsign.js';
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);
if (!(seconds >= 6)) throw new Error('--seconds must be at least 6');

const run = (args: string[], cwd: string) =>
  new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [join(process.cwd(), CALLSIGN), ...args],
      { cwd },
      (err, _o, stderr) =>
        err ? reject(new Error(`callsign ${args.join(' ')}: ${stderr}`)) : resolve(),
    ),
  );

const wan = await startWan();
const dir = mkdtempSync(join(tmpdir(), 'callsign-weather-'));
try {
  const realm = join(dir, 'realm.json');
  writeFileSync(realm, serializeRealm(createRealm('weather')), { mode: 0o600 });
  const relayDir = ['--dir', join(dir, 'relay')];
  const url = `ws://${PUBLIC_ADDRESS.relay}:7600/`;
  await run(['wan', 'tenant', 'add', 'weather', ...relayDir], dir);
  for (const site of ['north', 'south', 'observatory']) {
    await run(
      [
        'wan',
        'invite',
        'weather',
        '--site',
        site,
        '--url',
        url,
        '--out',
        `${site}.json`,
        ...relayDir,
      ],
      dir,
    );
  }
  const relay = wan.startLasting('relay', CALLSIGN, [
    'wan',
    'serve',
    ...relayDir,
    '--listen',
    `${PUBLIC_ADDRESS.relay}:7600`,
  ]);
  await relay.waitFor(/relay listening/, 20_000);

  const site = (host: string, name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    const env = { CALLSIGN_REALM: realm, CALLSIGN_HOST: `unix:${join(dir, name, 'host.sock')}` };
    const directory = wan.startLasting(
      host,
      'scopes/host/directory.ts',
      ['--debug-level=CONSOLE'],
      {
        ...env,
        CALLSIGN_WAN: join(dir, `${name}.json`),
      },
    );
    const start = (file: string, args: string[]) =>
      wan.startLasting(host, `${HERE}/${file}`, ['--debug-level=CONSOLE', ...args], env);
    return { directory, start };
  };
  const north = site('a1', 'north');
  const south = site('b1', 'south');
  const observatory = site('c1', 'observatory');
  for (const s of [north, south, observatory])
    await s.directory.waitFor(/connected to the directory above/, 20_000);
  const stations = [
    north.start('station.ts', ['--name=station-north-1']),
    north.start('station.ts', ['--name=station-north-2']),
    south.start('station.ts', ['--name=station-south-1']),
    south.start('station.ts', ['--name=station-south-2']),
  ];
  for (const s of stations) await s.waitFor(/published/, 20_000);
  const monitor = observatory.start('observatory.ts', [
    `--seconds=${seconds}`,
    '--report=2',
    '--display=log',
  ]);
  let shown = 0;
  const show = setInterval(() => {
    const lines = monitor.stderr.split('\n');
    for (const line of lines.slice(shown, -1))
      process.stderr.write(`observatory: ${line.replace(/^\S+ \S+ \S+ - /, '')}\n`);
    shown = Math.max(shown, lines.length - 1);
  }, 200);
  await new Promise((r) => setTimeout(r, (seconds / 2) * 1000));
  process.stderr.write('-- stopping station-south-2 --\n');
  stations[3]?.child.kill('SIGTERM');
  await monitor.exited;
  clearInterval(show);
  process.stdout.write(`${monitor.stdout.trim()}\n`);
} finally {
  await wan.stop();
  rmSync(dir, { recursive: true, force: true });
}
