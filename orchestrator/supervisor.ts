import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CallsignError, isCallsignError } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import { loadOrCreateNodeKeys } from '../src/internal.ts';
import type { LogLevel } from '../src/runtime/log.ts';
import {
  assertSocketPath,
  GROUP_DIRECTORY_PROGRAM,
  groupDirectoryArguments,
  waitForSocket,
} from './group-directory.ts';
import { type GroupProcess, type Managed, managed, statusOf } from './group-process.ts';
import { DIRECTORY_NAME, type Home } from './home.ts';
import { lastRunOfLog, lineSplitter, orchestratorLine, quote } from './logs.ts';
import { processIdentity } from './pids.ts';
import { nodeArguments, ownProgramArguments, settingArguments } from './program.ts';
import { type ProcessExit, RestartPolicy, type RestartPolicyInit } from './restart-policy.ts';
import { type Role, roleEnvironment } from './roles.ts';
import {
  type GroupMode,
  type GroupState,
  type ProcessState,
  removeGroupState,
  writeGroupState,
} from './state.ts';

/** Options of {@link Supervisor}. */
export interface SupervisorInit {
  home: Home;
  roles: readonly Role[];
  mode: GroupMode;
  /** Passed to every process as `--debug-level`. */
  debugLevel?: LogLevel;
  /** Also copy every process's stderr here, line by line, prefixed by its name. */
  echo?: (text: string) => void;
  /** Restart processes that fail, under this policy; `false` never restarts (foreground). */
  restart: RestartPolicyInit | false;
  /** How long processes are given to stop after SIGTERM before SIGKILL, in ms. */
  stopMs: number;
  /** Told of what the supervisor does (starts, exits, restarts), one line each. */
  report?: (line: string) => void;
}

/** How long the last output of a process that exited may take to arrive. */
const CLOSE_GRACE_MS = 1000;

const FINAL_STATES: ReadonlySet<ProcessState> = new Set(['completed', 'failed', 'stopped']);

/**
 * Runs a group of processes: the group directory first (callsign's own
 * program), then every role, each as `node --import tsx <program>
 * --<setting>=<value>...`, with the group's environment and its stderr
 * appended to its log. Records their state in
 * `run/state.json` as it changes. Restarts failed processes under a
 * {@link RestartPolicy} (background), or lets them end (foreground). Stops
 * them all gracefully, roles first, the directory last.
 *
 * It never signals anything but the processes it started, by their pid.
 */
export class Supervisor {
  readonly #init: SupervisorInit;
  readonly #roles: Managed[];
  readonly #directory: Managed;
  readonly #startedAt = new Date();
  readonly #waiters = new Set<() => void>();
  #ready = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #force: (() => void) | undefined;
  readonly #forced: Promise<void>;
  #writing: Promise<void> = Promise.resolve();
  #writePending = false;
  #discarded = false;
  #directoryLost = false;
  readonly #onProcessExit = () => {
    for (const m of this.#all()) m.child?.kill('SIGKILL');
  };

  constructor(init: SupervisorInit) {
    assertSocketPath(init.home);
    this.#init = init;
    const policy = () => (init.restart === false ? undefined : new RestartPolicy(init.restart));
    this.#directory = managed(
      DIRECTORY_NAME,
      'group-directory',
      GROUP_DIRECTORY_PROGRAM,
      groupDirectoryArguments(init.home),
      policy(),
      true,
    );
    this.#roles = init.roles.map((r) =>
      managed(r.name, r.name, r.programPath, settingArguments(r.settings), policy(), false),
    );
    this.#forced = new Promise((resolve) => {
      this.#force = resolve;
    });
    // A supervisor that exits by surprise takes its processes with it.
    process.on('exit', this.#onProcessExit);
  }

  /** The roles, in the order given. */
  get roles(): readonly GroupProcess[] {
    return this.#roles;
  }

  /** The group directory. */
  get directory(): GroupProcess {
    return this.#directory;
  }

  /**
   * Starts the group directory and waits until it accepts connections.
   *
   * @throws CallsignError `ERR_GROUP_DIRECTORY_FAILED` (with what it wrote to
   *   its log) when it exits first or takes too long; `ERR_ABORTED`.
   */
  async startDirectory(signal?: AbortSignal): Promise<void> {
    const { home } = this.#init;
    await mkdir(home.logsDir, { recursive: true, mode: 0o700 });
    await rm(home.groupSocket, { force: true });
    await this.#spawn(this.#directory);
    try {
      await waitForSocket(home.groupSocket, { exited: this.#directory.ended, signal });
    } catch (err) {
      if (!isCallsignError(err, 'ERR_GROUP_DIRECTORY_FAILED')) throw err;
      this.#directory.child?.kill('SIGKILL');
      await Promise.race([this.#directory.ended, sleep(CLOSE_GRACE_MS)]);
      const said = await lastRunOfLog(home.logFile(DIRECTORY_NAME)).catch(() => '');
      throw new CallsignError(
        'ERR_GROUP_DIRECTORY_FAILED',
        `${err.message} (${GROUP_DIRECTORY_PROGRAM})${said ? `:\n${said}` : ''}`,
      );
    }
  }

  /** Starts every role, then records the group as ready. */
  async startRoles(): Promise<void> {
    await Promise.all(this.#roles.map((m) => this.#spawn(m)));
    this.#ready = true;
    this.#changed();
  }

  /** Resolves when every role named has ended for good (completed, failed or stopped). */
  async whenEnded(names: readonly string[] = this.#roles.map((m) => m.name)): Promise<void> {
    const watched = this.#roles.filter((m) => names.includes(m.name));
    await this.#until(() => watched.every((m) => FINAL_STATES.has(m.state)));
  }

  /** Resolves when the group directory exits while it should run and is not restarted. */
  async whenDirectoryLost(): Promise<void> {
    await this.#until(() => this.#directoryLost);
  }

  /**
   * Stops the group: SIGTERM to every role (a node takes it as Stop), SIGKILL
   * to those still there after `stopMs` (or at once after {@link kill}); then
   * the same for the group directory. Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  /**
   * Restarts a role now (`callsign restart`), its failures forgotten: one
   * that runs is stopped as the group stops its roles (SIGTERM, SIGKILL after
   * `stopMs`) and started again at once; one that completed, failed or waits
   * out its backoff is started at once. False when the group has no such
   * role, is not started yet, or is stopping.
   */
  restart(name: string): boolean {
    const m = this.#roles.find((r) => r.name === name);
    if (m === undefined || !this.#ready || this.#stopping) return false;
    m.policy?.reset();
    clearTimeout(m.timer);
    m.timer = undefined;
    const child = m.child;
    if (child === undefined) {
      this.#respawn(m, 'callsign restart');
      return true;
    }
    if (m.restarting) return true;
    m.restarting = true;
    m.state = 'stopping';
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      this.#init.report?.(`${m.name} did not stop in time: killing it`);
      child.kill('SIGKILL');
    }, this.#init.stopMs);
    void m.ended.then(() => clearTimeout(kill));
    this.#changed();
    return true;
  }

  /** Kills every process of the group now (SIGKILL), also one being stopped. */
  kill(): void {
    this.#stopping = true;
    this.#force?.();
    for (const m of this.#all()) m.child?.kill('SIGKILL');
  }

  /** The group's state, as written to `run/state.json`. */
  snapshot(): GroupState {
    return {
      kind: 'callsign-group-state',
      version: 1,
      supervisor: {
        pid: process.pid,
        mode: this.#init.mode,
        startedAt: this.#startedAt.toISOString(),
      },
      ready: this.#ready,
      directory: statusOf(this.#directory),
      roles: this.#roles.map(statusOf),
      updatedAt: new Date().toISOString(),
    };
  }

  /** Waits for pending writes of the state, then removes it; it is not written again. */
  async discardState(): Promise<void> {
    this.#discarded = true;
    await this.#writing;
    await removeGroupState(this.#init.home);
    process.off('exit', this.#onProcessExit);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await this.discardState();
  }

  #all(): Managed[] {
    return [...this.#roles, this.#directory];
  }

  async #stopAll(): Promise<void> {
    this.#stopping = true;
    for (const m of this.#all()) {
      clearTimeout(m.timer);
      m.timer = undefined;
      if (m.state === 'starting' || m.state === 'restarting') m.state = 'stopped';
    }
    await this.#stopEach(this.#roles);
    await this.#stopEach([this.#directory]);
    this.#changed();
    await this.#writing;
  }

  async #stopEach(list: readonly Managed[]): Promise<void> {
    const running = list.filter((m) => m.child !== undefined);
    for (const m of running) {
      m.state = 'stopping';
      m.child?.kill('SIGTERM');
    }
    this.#changed();
    const all = Promise.all(running.map((m) => m.ended));
    await Promise.race([all, sleep(this.#init.stopMs), this.#forced]);
    for (const m of running) {
      if (m.child !== undefined) {
        this.#init.report?.(`${m.name} did not stop in time: killing it`);
        m.child.kill('SIGKILL');
      }
    }
    await Promise.race([all, sleep(3000)]);
  }

  async #spawn(m: Managed, why?: string): Promise<void> {
    const { home, debugLevel } = this.#init;
    await loadOrCreateNodeKeys(home.keysFile(m.name));
    if (this.#stopping) {
      m.state = 'stopped';
      this.#changed();
      return;
    }
    const given = [...m.args, ...(debugLevel === undefined ? [] : [`--debug-level=${debugLevel}`])];
    const args = m.own ? ownProgramArguments(m.program, given) : nodeArguments(m.program, given);
    const log = createWriteStream(home.logFile(m.name), { flags: 'a', mode: 0o600 });
    log.on('error', (err) => this.#init.report?.(`cannot write the log of ${m.name}: ${err}`));
    const child = spawn(process.execPath, args, {
      cwd: home.parent,
      env: { ...process.env, ...roleEnvironment(home, m.name) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C on the terminal reaches only us, and
      // we stop the group in order.
      detached: true,
    });
    m.child = child;
    m.identity = child.pid === undefined ? undefined : processIdentity(child.pid);
    m.startedAt = new Date();
    m.state = 'running';
    m.stdout = '';
    m.exit = undefined;
    const started = `started ${m.name} (pid ${child.pid ?? 'none'}): ${[m.program, ...m.args].join(' ')}${why ? ` (${why})` : ''}`;
    log.write(orchestratorLine(started));
    this.#init.report?.(started);
    const echo = this.#init.echo;
    const lines = echo === undefined ? undefined : lineSplitter((l) => echo(`${m.label} | ${l}\n`));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      m.stdout += d;
    });
    const decoder = new StringDecoder('utf8');
    let finished = false;
    child.stderr?.on('data', (d: Buffer) => {
      if (finished) return; // from a grandchild that holds the pipe after the role ended
      log.write(d);
      lines?.push(decoder.write(d));
    });
    m.ended = new Promise<void>((resolve) => {
      let exit: ProcessExit | undefined;
      let grace: NodeJS.Timeout | undefined;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(grace);
        lines?.flush();
        const ended = exit ?? { code: null, signal: null };
        const decision = this.#afterExit(m, ended);
        const how = ended.signal
          ? `killed by ${ended.signal}`
          : `exit code ${ended.code ?? 'none'}`;
        const output =
          this.#init.mode === 'background' && m.stdout.trim() !== ''
            ? `; output: ${quote(m.stdout.trim())}`
            : '';
        const line = `${m.name} ended (${how})${output}${decision ? `; ${decision}` : ''}`;
        log.end(orchestratorLine(line));
        this.#init.report?.(line);
        this.#changed();
        resolve();
      };
      child.once('error', (err) => {
        this.#init.report?.(`${m.name}: ${err.message}`);
        if (child.pid === undefined) finish(); // it never started: no exit will come
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        // Its last output may still be in the pipes; don't wait for ever
        // (a grandchild may hold them open).
        grace = setTimeout(finish, CLOSE_GRACE_MS);
      });
      child.once('close', finish);
    });
    this.#changed();
  }

  /** Records an exit, starts a restart if the policy says so; gives what was decided, for the log. */
  #afterExit(m: Managed, exit: ProcessExit): string | undefined {
    m.child = undefined;
    m.identity = undefined;
    m.exit = exit;
    const success = exit.code === 0 && exit.signal === null;
    if (this.#stopping) {
      m.state = 'stopped';
      m.restarting = false;
      return undefined;
    }
    if (m.restarting) {
      m.restarting = false;
      m.state = 'restarting';
      setImmediate(() => this.#respawn(m, 'callsign restart'));
      return 'restarting now (callsign restart)';
    }
    if (m.policy === undefined) {
      m.state = success ? 'completed' : 'failed';
      if (m === this.#directory) this.#directoryLost = true;
      return undefined;
    }
    const decision = m.policy.onExit(exit);
    if (decision.kind === 'completed') {
      m.state = 'completed';
      if (m === this.#directory) this.#directoryLost = true;
      return 'completed: not restarted';
    }
    if (decision.kind === 'failed') {
      m.state = 'failed';
      if (m === this.#directory) this.#directoryLost = true;
      return `failed ${decision.failures} times within ${this.#windowSeconds()} s: not restarted`;
    }
    m.state = 'restarting';
    m.timer = setTimeout(() => {
      m.timer = undefined;
      this.#respawn(m);
    }, decision.delayMs);
    return `restarting in ${decision.delayMs} ms (failure ${decision.failures} within ${this.#windowSeconds()} s)`;
  }

  /** Starts a process again (unless the group is stopping), counting the restart. */
  #respawn(m: Managed, why?: string): void {
    if (this.#stopping) return;
    m.restarts++;
    this.#spawn(m, why).catch((err: unknown) => {
      m.state = 'failed';
      this.#init.report?.(`${m.name} could not be restarted: ${String(err)}`);
      this.#changed();
    });
  }

  #windowSeconds(): number {
    const restart = this.#init.restart;
    return ((restart === false ? undefined : restart.windowMs) ?? 60_000) / 1000;
  }

  #changed(): void {
    for (const wake of this.#waiters) wake();
    if (this.#writePending || this.#discarded) return;
    this.#writePending = true;
    this.#writing = this.#writing.then(async () => {
      this.#writePending = false;
      if (this.#discarded) return;
      try {
        await writeGroupState(this.#init.home, this.snapshot());
      } catch (err) {
        this.#init.report?.(`cannot write ${this.#init.home.stateFile}: ${String(err)}`);
      }
    });
  }

  #until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }
}
