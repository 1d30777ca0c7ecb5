/**
 * Global setup of the test projects that run callsign as users do (the
 * `callsign` command, examples importing `callsign`): builds the package
 * (`npm run build`: tsc, incremental, then the command line's bundle) so
 * that they never run stale compiled code, then compiles the tests' own
 * programs beside it (test/helpers/test-programs.ts). Projects may set up at
 * the same time: one build at a time.
 */
import { execFile } from 'node:child_process';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './processes.ts';
import { compileTestPrograms } from './test-programs.ts';

const LOCK = join(ROOT, 'dist.build-lock');

/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 120_000;

export default async function setup(): Promise<void> {
  await withLock(async () => {
    try {
      await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      throw new Error(`npm run build failed:\n${stdout}${stderr}`);
    }
    await compileTestPrograms();
  });
}

async function withLock(work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_LOCK_MS || Date.now() > deadline) await rmdir(LOCK).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    await work();
  } finally {
    await rmdir(LOCK).catch(() => {});
  }
}
