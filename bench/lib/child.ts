/**
 * Child processes of the harness: spawned (optionally pinned to a core),
 * tracked, and always ended by the time the harness exits.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pinnedCommand } from './pinning.ts';
import { type ChildMessage, parseChildMessage } from './protocol.ts';

/** Every child still running; the `exit` hook below kills what is left. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

/** How to start a child. */
export interface SpawnInit {
  /** Name in error messages and log prefixes, e.g. `ws server`. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Core to pin the child to with `taskset`; undefined leaves it to the scheduler. */
  readonly cpu?: number | undefined;
  readonly cwd?: string;
  /** Called with each stderr line. */
  readonly onStderrLine?: (line: string) => void;
  /** Called with each stdout line. */
  readonly onStdoutLine?: (line: string) => void;
}

/** Keeps the last `limit` characters of what a child wrote to stderr, for error messages. */
class Tail {
  private text = '';
  constructor(private readonly limit: number) {}
  add(line: string): void {
    this.text = `${this.text}${line}\n`.slice(-this.limit);
  }
  toString(): string {
    return this.text.trim();
  }
}

/**
 * A tracked child process. It is killed when the harness exits, whatever
 * happens; {@link TrackedChild.stop} ends it gracefully first.
 */
export class TrackedChild {
  /** Resolves with a description of how the child ended, once its output is closed. */
  readonly ended: Promise<string>;
  private endedWith: string | undefined;
  private readonly stderr = new Tail(4_000);

  private constructor(
    readonly label: string,
    private readonly subprocess: ChildProcess,
    init: SpawnInit,
  ) {
    running.add(subprocess);
    createInterface({ input: subprocess.stderr! }).on('line', (line) => {
      this.stderr.add(line);
      init.onStderrLine?.(line);
    });
    if (init.onStdoutLine) {
      createInterface({ input: subprocess.stdout! }).on('line', init.onStdoutLine);
    } else {
      subprocess.stdout?.resume();
    }
    this.ended = new Promise((resolve) => {
      const finish = (how: string): void => {
        running.delete(subprocess);
        this.endedWith ??= how;
        resolve(this.endedWith);
      };
      subprocess.once('error', (error) => finish(`failed to start: ${error.message}`));
      subprocess.once('close', (code, signal) =>
        finish(signal === null ? `exited with code ${code}` : `was killed by ${signal}`),
      );
    });
  }

  /** Starts a child with stdin, stdout and stderr piped. */
  static spawn(init: SpawnInit): TrackedChild {
    installExitHook();
    const { command, args } = pinnedCommand(init.command, init.args, init.cpu);
    const child = spawn(command, args, { cwd: init.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin?.on('error', () => {}); // EPIPE when the child is already gone
    return new TrackedChild(init.label, child, init);
  }

  /** Process id (of the child itself: `taskset` execs the command in place). */
  get pid(): number | undefined {
    return this.subprocess.pid;
  }

  /** Whether the child has ended. */
  get hasEnded(): boolean {
    return this.endedWith !== undefined;
  }

  /** An error saying that and how the child ended, with the end of its stderr. */
  endedError(how: string): Error {
    const tail = this.stderr.toString();
    return new Error(`${this.label} ${how}${tail ? `:\n${tail}` : ''}`);
  }

  /**
   * Ends the child: closes its stdin (its cue to shut down), then sends
   * SIGTERM after `graceMs`, then SIGKILL after another `graceMs`. Safe to
   * call twice.
   */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.hasEnded) return;
    this.subprocess.stdin?.end();
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const timeout = new Promise<'timeout'>((resolve) => {
        setTimeout(resolve, graceMs, 'timeout').unref();
      });
      if ((await Promise.race([this.ended, timeout])) !== 'timeout') return;
      this.subprocess.kill(signal);
    }
    await this.ended;
  }
}

/**
 * A stack child: a {@link TrackedChild} that reports {@link ChildMessage}s as
 * JSON lines on stdout. Other stdout lines go to the harness's stderr.
 */
export class ReportingChild {
  private readonly queue: ChildMessage[] = [];
  private waiter: ((message: ChildMessage | undefined) => void) | undefined;
  /** The underlying process. */
  readonly child: TrackedChild;

  constructor(init: Omit<SpawnInit, 'onStdoutLine'>) {
    this.child = TrackedChild.spawn({
      ...init,
      onStdoutLine: (line) => {
        const message = parseChildMessage(line);
        if (message === undefined) process.stderr.write(`[${init.label}] ${line}\n`);
        else this.deliver(message);
      },
    });
    void this.child.ended.then(() => this.deliver(undefined));
  }

  private deliver(message: ChildMessage | undefined): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(message);
    else if (message) this.queue.push(message);
  }

  /**
   * The next message, rejecting when the child ends first or nothing arrives
   * within `timeoutMs`. An `error` message is returned like any other.
   */
  async next(timeoutMs: number): Promise<ChildMessage> {
    const queued = this.queue.shift();
    if (queued) return queued;
    if (this.child.hasEnded) throw this.child.endedError(await this.child.ended);
    let timer: NodeJS.Timeout | undefined;
    const message = await new Promise<ChildMessage | undefined | 'timeout'>((resolve) => {
      this.waiter = resolve;
      timer = setTimeout(resolve, timeoutMs, 'timeout');
    }).finally(() => clearTimeout(timer));
    if (message === 'timeout') {
      this.waiter = undefined;
      throw new Error(`${this.child.label} reported nothing within ${timeoutMs / 1e3} s`);
    }
    if (message === undefined) throw this.child.endedError(await this.child.ended);
    return message;
  }

  /**
   * Waits for the next message of `type`, skipping none: any other message,
   * and an `error` message in particular, rejects.
   */
  async expect<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const message = await this.next(timeoutMs);
    if (message.type === 'error') throw new Error(`${this.child.label}: ${message.message}`);
    if (message.type !== type) {
      throw new Error(`${this.child.label}: expected ${type}, got ${message.type}`);
    }
    return message as Extract<ChildMessage, { type: T }>;
  }

  /** See {@link TrackedChild.stop}. */
  stop(graceMs?: number): Promise<void> {
    return this.child.stop(graceMs);
  }
}
