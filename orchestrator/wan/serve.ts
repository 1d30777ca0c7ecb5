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
import {
  checkNatsServers,
  joinNatsCluster,
  type RelayCluster,
} from '../../scopes/wan/nats/cluster.ts';
import { startRelay } from '../../scopes/wan/relay-service.ts';
import { CallsignError } from '../../src/errors.ts';
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
  /** Be a member of this NATS cluster; empty: the servers kept in the folder (`nats.json`). */
  readonly nats?: readonly string[];
}

/** Where `--nats` servers are kept in the relay folder, so that they are listed once. */
export const RELAY_NATS_FILE = 'nats.json';

/** The servers of `--nats`: those given (kept in the folder), else those kept there. */
async function natsServers(dir: string, given: readonly string[]): Promise<string[]> {
  const file = join(dir, RELAY_NATS_FILE);
  if (given.length > 0) {
    const servers = checkNatsServers(given);
    await writeJsonAtomic(file, { servers });
    return servers;
  }
  let kept: unknown;
  try {
    kept = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new CallsignError(
      'ERR_USAGE',
      `--nats without servers takes those kept in ${file}, and there is none: give --nats nats://host:port`,
    );
  }
  const servers = (kept as { servers?: unknown })?.servers;
  return checkNatsServers(Array.isArray(servers) ? servers.map(String) : []);
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
  let cluster: RelayCluster | undefined;
  if (init.nats) {
    const servers = await natsServers(init.dir, init.nats);
    cluster = await joinNatsCluster({
      servers,
      warn: (text) => logger.log('WARNING', 'wan-relay', text),
    });
    io.stderr(`callsign: a member of the NATS cluster at ${servers.join(', ')}\n`);
  }
  const relay = await startRelay({
    ...(cluster ? { cluster } : {}),
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
      remoteCircuits: relay.remoteCircuits,
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
    await cluster?.close();
    await new Promise<void>((resolve) => (recording ? recording.end(resolve) : resolve()));
  }
  return 0;
}
