// Runs the listen/connect example: a server on a unix socket in a fresh
// temporary folder, a client that talks to it, then stops the server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'callsign-demo-'));
const endpoint = `unix:${join(dir, 'server.sock')}`;
const env = { ...process.env, CALLSIGN_REALM: join(dir, 'realm.json') };
const run = (file, args) =>
  spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
const output = (child) =>
  new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, out: out.trim() }));
  });

const server = run('server.ts', [`--endpoint=${endpoint}`, '--debug-level=CONSOLE']);
const served = output(server);
const deadline = Date.now() + 15_000;
while (!existsSync(join(dir, 'server.sock'))) {
  if (Date.now() > deadline || server.exitCode !== null) {
    console.error('the server did not start');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 50));
}
const client = await output(run('client.ts', [`--endpoint=${endpoint}`, '--count=3']));
console.log(`client output (exit ${client.code}):\n${client.out}`);
server.kill('SIGTERM');
const s = await served;
console.log(`server output (exit ${s.code}):\n${s.out}`);
rmSync(dir, { recursive: true, force: true });
process.exit(client.code || s.code ? 1 : 0);
