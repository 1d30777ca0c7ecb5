/**
 * nats-server processes for the tests of the `nats` stream driver: one
 * server, or a cluster of three with JetStream and routes, on loopback
 * ports, in a temporary folder. Every server started here is ended by its
 * PID (also when the test process exits).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../helpers/free-port.ts';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running)
    if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
});

/** Fails with what to install when there is no nats-server. */
export function requireNatsServer(): void {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'these tests need nats-server with JetStream (Debian: apt-get install nats-server; .ci/run installs it)',
    );
  }
}

/** One nats-server process, which may be killed and started again on its ports and folder. */
export class NatsServerProcess {
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts it and waits (at most `timeoutMs`) until it says it is ready. */
  async start(timeoutMs = 20_000): Promise<void> {
    const child = spawn('nats-server', ['-c', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    this.#child = child;
    this.#log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${this.name} was not ready in ${timeoutMs} ms:\n${this.#log.slice(-2000)}`),
          ),
        timeoutMs,
      );
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (text: string) => {
        this.#log = `${this.#log}${text}`.slice(-20_000);
        if (this.#log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        running.delete(child);
        clearTimeout(timer);
        reject(new Error(`${this.name} ended (${code ?? signal}):\n${this.#log.slice(-2000)}`));
      });
    });
  }

  /** What it wrote last. */
  log(): string {
    return this.#log;
  }

  /** Ends it by its PID: SIGKILL when `hard`, else SIGTERM and SIGKILL after a while. */
  async stop(hard = false): Promise<void> {
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }, 5_000);
    await ended;
    clearTimeout(timer);
    running.delete(child);
  }
}

/** Servers in a temporary folder; `close()` ends every one and removes the folder. */
export interface NatsServers {
  readonly servers: readonly NatsServerProcess[];
  readonly urls: readonly string[];
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * One JetStream server on a free loopback port; `extra` is added to its
 * configuration (an `authorization` or `tls` block), with `{dir}` standing
 * for the servers' folder.
 */
export async function startNatsServer(extra = ''): Promise<NatsServers> {
  return startServers(1, extra);
}

/** A cluster of three JetStream servers with routes to each other, on loopback. */
export async function startNatsCluster(): Promise<NatsServers> {
  return startServers(3);
}

async function startServers(count: number, extra = ''): Promise<NatsServers> {
  requireNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'callsign-nats-'));
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: count }, () => freePort()));
  const servers = ports.map((port, i) => {
    const name = `n${i}`;
    const store = join(dir, name);
    mkdirSync(store);
    const cluster =
      count > 1
        ? `cluster {\n  name: callsign-test\n  listen: 127.0.0.1:${routes[i]}\n  routes: [${routes
            .map((r) => `nats-route://127.0.0.1:${r}`)
            .join(', ')}]\n}\n`
        : '';
    const file = join(dir, `${name}.conf`);
    writeFileSync(
      file,
      `server_name: ${name}\nlisten: 127.0.0.1:${port}\njetstream {\n  store_dir: "${store}"\n}\n${cluster}${extra.replaceAll('{dir}', dir)}\n`,
    );
    return new NatsServerProcess(name, port, file);
  });
  const close = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (error) {
    await close();
    throw error;
  }
  return { servers, urls: servers.map((s) => s.url), dir, close };
}

/** Waits until `condition` holds (checked every 50 ms), failing after `ms`. */
export async function eventually<T>(
  what: string,
  condition: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One JetStream server for the tests of a file: started before them, ended
 * after them. Gives its URL (once started).
 */
export function useNatsServer(): { url: () => string; servers: () => NatsServers } {
  let servers: NatsServers | undefined;
  beforeAll(async () => {
    servers = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    await servers?.close();
  });
  const started = () => {
    if (!servers) throw new Error('the nats-server of these tests has not started');
    return servers;
  };
  return { url: () => started().urls[0] as string, servers: started };
}
