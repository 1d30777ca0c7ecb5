/**
 * A private `nats-server` on a free loopback port, for the NATS stack.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TrackedChild } from './child.ts';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** A running `nats-server` started by {@link startNatsServer}. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL); safe to call twice. */
  close(): Promise<void>;
}

/** The version of `nats-server` on PATH (`2.9.10`), or `undefined` when there is none. */
export async function natsServerVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('nats-server', ['--version'], { timeout: 5_000 });
    return /v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? stdout.trim();
  } catch {
    return undefined;
  }
}

/** Options of {@link startNatsServer}. */
export interface NatsServerInit {
  /** How long to wait for `Server is ready`. Default 10 s. */
  readonly readyTimeoutMs?: number;
  /** Run JetStream (`-js`) with file storage in this folder (`-sd`). */
  readonly jetStreamDir?: string;
}

/** Starts once on a port that was free a moment ago. */
async function startOnce(readyTimeoutMs: number, jetStreamDir?: string): Promise<NatsServer> {
  const port = await freePort();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const child = TrackedChild.spawn({
    label: 'nats-server',
    command: 'nats-server',
    args: [
      '--addr',
      '127.0.0.1',
      '--port',
      String(port),
      ...(jetStreamDir ? ['-js', '-sd', jetStreamDir] : []),
    ],
    onStderrLine: (line) => {
      if (line.includes('Server is ready')) markReady();
      else if (/\[(WRN|ERR|FTL)\]/.test(line)) process.stderr.write(`[nats-server] ${line}\n`);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    child.ended,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, readyTimeoutMs, 'timeout');
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome !== 'ready') {
    await child.stop(500);
    throw child.endedError(outcome === 'timeout' ? 'was not ready in time' : outcome);
  }
  return { url: `nats://127.0.0.1:${port}`, pid: child.pid, close: () => child.stop() };
}

/**
 * Starts `nats-server` listening on 127.0.0.1 only, on a free port, and waits
 * until it is ready, failing early if it exits. Tries three ports in case
 * another process takes the free one first.
 */
export async function startNatsServer(init: NatsServerInit = {}): Promise<NatsServer> {
  const readyTimeoutMs = init.readyTimeoutMs ?? 10_000;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(readyTimeoutMs, init.jetStreamDir);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('address already in use')) break;
    }
  }
  throw lastError;
}
