/**
 * `callsign wan serve`: runs the relay and WAN directory of the relay folder
 * in the foreground until Ctrl-C (or SIGTERM), and keeps `status.json` in
 * the folder up to date for `callsign wan status` and `callsign network`.
 * docs/wan.md.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRelay } from '../../scopes/wan/relay-service.ts';
import { Logger, type LogLevel } from '../../src/runtime/log.ts';
import { writeJsonAtomic } from '../files.ts';
import type { CommandOutput } from '../run.ts';
import { onStopSignals } from '../signals.ts';

/** What `callsign wan serve` takes. */
export interface ServeInit {
  readonly dir: string;
  readonly listen: string;
  readonly urls: readonly string[];
  readonly cert?: string;
  readonly key?: string;
  /** Appends every byte the relay reads from any socket to this file (0600): an audit of what it sees. */
  readonly record?: string;
  readonly debugLevel?: LogLevel;
}

/** The status file a running relay keeps in its folder. */
export const RELAY_STATUS_FILE = 'status.json';

/** Runs the relay until a stop signal; gives the exit code. */
export async function serveRelay(init: ServeInit, io: CommandOutput): Promise<number> {
  const logger = new Logger(init.debugLevel ?? 'CONSOLE');
  const recording = init.record
    ? createWriteStream(init.record, { flags: 'a', mode: 0o600 })
    : undefined;
  const tls =
    init.cert && init.key
      ? { cert: await readFile(init.cert), key: await readFile(init.key) }
      : undefined;
  const relay = await startRelay({
    dir: init.dir,
    endpoint: init.listen,
    ...(init.urls.length > 0 ? { urls: init.urls } : {}),
    ...(tls ? { tls } : {}),
    ...(recording ? { record: (chunk: Buffer) => void recording.write(chunk) } : {}),
    logger,
  });
  const statusFile = join(init.dir, RELAY_STATUS_FILE);
  const writeStatus = () =>
    writeJsonAtomic(statusFile, {
      pid: process.pid,
      endpoint: relay.endpoint,
      urls: relay.urls,
      publicKey: relay.publicKey,
      forwardedBytes: relay.forwarded,
      tenants: relay.status(),
      at: new Date().toISOString(),
    }).catch(() => {});
  await writeStatus();
  const timer = setInterval(writeStatus, 1000);
  io.stderr(
    `callsign: relay listening at ${relay.endpoint}, reached at ${relay.urls.join(', ') || '(no URL: give --url)'} (Ctrl-C to stop)\n`,
  );
  try {
    await new Promise<void>((resolve) => {
      const off = onStopSignals(
        () => {
          off();
          resolve();
        },
        () => {},
      );
    });
  } finally {
    clearInterval(timer);
    await relay.stop();
    await new Promise<void>((resolve) => (recording ? recording.end(resolve) : resolve()));
  }
  return 0;
}
