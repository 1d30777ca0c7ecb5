// The README's demo: in a fresh temporary folder, make a callsign home, add
// the publisher and the subscriber as roles, and run the group with the
// subscriber as main role. It prints the Welcome the subscriber got.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const callsign = join(here, '../../bin/callsign.js');
const dir = mkdtempSync(join(tmpdir(), 'callsign-demo-'));

function step(args, { show = false } = {}) {
  console.log(`$ callsign ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [callsign, ...args], {
    cwd: dir,
    encoding: 'utf8',
    // A demo must not depend on a host directory that happens to run here.
    env: { ...process.env, CALLSIGN_NO_HOST: '1' },
  });
  if (show || r.status !== 0) process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
}

step(['create']);
step(['add', join(here, 'publish-a-service.ts'), 'pub']);
step(['add', join(here, 'subscribe-to-service.ts'), 'sub']);
step(['run', '--main-role=sub'], { show: true });
rmSync(dir, { recursive: true, force: true });
