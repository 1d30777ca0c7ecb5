/**
 * A simulated LAN on one Linux machine, for tests that need callsign
 * processes on several hosts: one switch (a bridge in its own network
 * namespace), or several joined in a row by trunks, and N hosts (one network
 * namespace each, `eth0` on a veth to its switch, an address in
 * 10.77.0.0/24 and the multicast route mDNS needs).
 *
 * ```ts
 * await using lan = await startLan({ hosts: 3 });
 * const echo = lan.spawn('h2', ['node', 'echo.js']);
 * await lan.cable('h1', 'down');
 * await lan.loss(30);
 *
 * await using split = await startLan({ hosts: 4, switches: [['h1', 'h2'], ['h3', 'h4']] });
 * await split.trunk('down'); // h1, h2 and h3, h4 no longer reach each other
 * ```
 *
 * Needs root, iproute2 (`ip`), nftables (`nft`) and util-linux (`unshare`).
 * Nothing is routed between the lab and the machine's real network: the lab's
 * addresses exist only inside the namespaces it creates. Everything is torn
 * down when the lab is disposed, when the test that made it finishes, when the
 * process exits or is interrupted; a lab left behind by a process that was
 * killed is swept by the next `startLan`.
 */
import { type ChildProcess, execFileSync, spawn as spawnChild } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { atMost, nodeArguments, type Program, ROOT, watchProgram } from './processes.ts';

/** Every namespace of every lab starts with this, so a sweep finds leftovers. */
export const LAN_PREFIX = 'csl';

/** The lab's subnet (first three octets of a /24); host i (1-based) is `.{10 + i}`. */
export const LAN_SUBNET = '10.77.0';

/** Labs are kept small: the kernel's ARP table is shared by all namespaces. */
export const MAX_HOSTS = 16;

/** The multicast route every host gets, as mDNS needs it (FINDINGS.md). */
export const MULTICAST_ROUTE = '224.0.0.0/4';

/** What `apt-get install` brings what the lab needs. */
const INSTALL_HINT = 'apt-get install -y iproute2 nftables util-linux';

/** `<prefix>-<owner pid>-<random>-<name>-<host or "sw">` */
const NAMESPACE = new RegExp(`^${LAN_PREFIX}-(\\d+)-([0-9a-f]{6})-([a-z0-9]+)-([a-z0-9]+)$`);
const HOST_NAME = /^[a-z][a-z0-9]{0,12}$/;
const LAB_NAME = /^[a-z0-9]{1,12}$/;
const SWITCH = 'sw';
const LOSS_TABLE = 'callsign_loss';
/** Runs argv after giving the private UTS namespace the host's name ($0). */
const SET_HOSTNAME_AND_EXEC =
  'printf %s "$0" > /proc/sys/kernel/hostname || { echo "lan: could not set hostname $0" >&2; exit 125; }; exec "$@"';

/** The programs the lab runs. */
export interface LanTools {
  ip: string;
  nft: string;
  unshare: string;
}

/** Where to look for the lab's prerequisites (defaults: this process). */
export interface LanEnvironment {
  uid?: number | undefined;
  /** Folders searched for `ip`, `nft` and `unshare`. */
  dirs?: readonly string[];
}

/** Thrown when the machine cannot run a lab; the message says what to install. */
export class LanPrerequisiteError extends Error {
  readonly code = 'ERR_LAN_PREREQUISITES';
  override readonly name = 'LanPrerequisiteError';
}

/** A program running inside a host of the lab. */
export interface LanProgram extends Program {
  /** The host it runs on. */
  readonly host: string;
}

/** How a program run to its end inside a host ended. */
export interface LanRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for a program started inside a host. */
export interface LanSpawnInit {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Working folder; the project's root by default. */
  cwd?: string;
}

/** Options of {@link startLan}. */
export interface LanInit {
  /** How many hosts (`h1`..`hN`), or their names (`[a-z][a-z0-9]{0,12}`). */
  hosts: number | readonly string[];
  /** A short label (`[a-z0-9]{1,12}`) in the namespace names, to tell labs apart. */
  name?: string;
  /**
   * The hosts of each switch, when there are several: every host on exactly
   * one, the switches joined in a row by trunks (switch i to switch i + 1 by
   * trunk i). Default: one switch for all hosts.
   */
  switches?: readonly (readonly string[])[];
  /** How long processes still running at teardown get after SIGTERM before SIGKILL (ms). */
  killGraceMs?: number;
}

/** A running lab; dispose of it (`await using`) to tear it down. */
export interface Lan extends AsyncDisposable {
  /** The start of every namespace name of this lab, e.g. `csl-4242-a1b2c3-lab`. */
  readonly prefix: string;
  /** The host names, in order. */
  readonly hosts: readonly string[];
  /** The host's lab address (IPv4, without the /24). */
  address(host: string): string;
  /** The host's network namespace (for `ip -n`, `ip netns exec`). */
  namespace(host: string): string;
  /** The switch's network namespace. */
  readonly switchNamespace: string;
  /**
   * Starts `argv` inside the host (its network namespace, and a private UTS
   * namespace whose hostname is the host's name), with its output collected.
   * Killed at the end of the test that started it, and at teardown.
   */
  spawn(host: string, argv: readonly string[], init?: LanSpawnInit): LanProgram;
  /** Starts `file` (relative to the project root) inside the host, as a user would ({@link nodeArguments}). */
  startProgram(
    host: string,
    file: string,
    args?: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): LanProgram;
  /** Runs `argv` inside the host to its end (killed after `timeoutMs`, 15 s by default). */
  run(
    host: string,
    argv: readonly string[],
    init?: LanSpawnInit & { timeoutMs?: number },
  ): Promise<LanRunResult>;
  /**
   * Pulls (`down`) or re-plugs (`up`) the host's cable at the switch end:
   * the host keeps its interface, addresses and routes, and sees NO-CARRIER.
   * Resolves when the change has taken effect.
   */
  cable(host: string, state: 'down' | 'up'): Promise<void>;
  /**
   * Pulls (`down`) or re-plugs (`up`) trunk `index` (default 0), between
   * switch `index` and switch `index + 1`: the hosts on either side stop
   * (or start again) reaching each other. Resolves when the change has taken
   * effect.
   */
  trunk(state: 'down' | 'up', index?: number): Promise<void>;
  /** Drops `percent` (0–100) of the frames crossing the switch, at random; 0 ends the loss. */
  loss(percent: number): Promise<void>;
  /** Kills what still runs in the lab and deletes its namespaces; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Finds what a lab needs, or says exactly what is missing.
 *
 * @returns the tools, or the list of problems (empty when none).
 */
export function findLanTools(env: LanEnvironment = {}): {
  tools: LanTools | undefined;
  problems: string[];
} {
  const uid = 'uid' in env ? env.uid : process.getuid?.();
  const dirs = env.dirs ?? [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/sbin',
    '/usr/bin',
    '/bin',
  ];
  const problems: string[] = [];
  if (uid !== 0) problems.push(`not root (uid ${uid ?? 'unknown'})`);
  const find = (name: string, pkg: string): string | undefined => {
    for (const dir of dirs) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {}
    }
    problems.push(`no ${name} (${pkg})`);
    return undefined;
  };
  const ip = find('ip', 'iproute2');
  const nft = find('nft', 'nftables');
  const unshare = find('unshare', 'util-linux');
  const tools = ip && nft && unshare && problems.length === 0 ? { ip, nft, unshare } : undefined;
  return { tools, problems };
}

/**
 * Throws {@link LanPrerequisiteError} unless this process is root and has
 * `ip`, `nft` and `unshare`.
 */
export function checkLanPrerequisites(env: LanEnvironment = {}): LanTools {
  const { tools, problems } = findLanTools(env);
  if (!tools) {
    throw new LanPrerequisiteError(
      `the lan tests need root and iproute2 + nftables + util-linux (ip, nft, unshare); ` +
        `here: ${problems.join(', ')}. As root: ${INSTALL_HINT}`,
    );
  }
  return tools;
}

/**
 * Builds a lab: a switch and `init.hosts` hosts. Sweeps labs left behind by
 * processes that no longer run first. Inside a test, the lab is also torn
 * down when the test finishes.
 *
 * @example
 * ```ts
 * await using lan = await startLan({ hosts: 3 });
 * const p = lan.spawn('h1', ['hostname']);
 * await p.exited; // p.stdout === 'h1\n'
 * ```
 */
export async function startLan(init: LanInit): Promise<Lan> {
  const tools = checkLanPrerequisites();
  const hosts =
    typeof init.hosts === 'number'
      ? Array.from({ length: init.hosts }, (_, i) => `h${i + 1}`)
      : [...init.hosts];
  if (hosts.length < 1 || hosts.length > MAX_HOSTS) {
    throw new RangeError(`a lab has 1 to ${MAX_HOSTS} hosts, not ${hosts.length}`);
  }
  for (const h of hosts) {
    if (!HOST_NAME.test(h) || h === SWITCH) {
      throw new RangeError(`bad host name ${JSON.stringify(h)}: [a-z][a-z0-9]{0,12}, not "sw"`);
    }
  }
  if (new Set(hosts).size !== hosts.length) throw new RangeError('host names must differ');
  const name = init.name ?? 'lab';
  if (!LAB_NAME.test(name)) throw new RangeError(`bad lab name ${JSON.stringify(name)}`);

  const switches = init.switches?.map((hs) => [...hs]) ?? [hosts];
  const placed = switches.flat();
  if (
    switches.length === 0 ||
    switches.some((hs) => hs.length === 0) ||
    placed.length !== hosts.length ||
    new Set(placed).size !== hosts.length ||
    placed.some((h) => !hosts.includes(h))
  ) {
    throw new RangeError('switches must put every host on exactly one switch, none empty');
  }

  await sweepStaleLabs(tools);

  const prefix = `${LAN_PREFIX}-${process.pid}-${randomBytes(3).toString('hex')}-${name}`;
  const lab = new LabImpl(tools, prefix, hosts, switches, init.killGraceMs ?? 1_000);
  try {
    onTestFinished(() => lab.stop(), 30_000);
  } catch {
    // Not inside a test (a beforeAll hook, a program): dispose it yourself.
  }
  await lab.build();
  return lab;
}

/** Deletes the namespaces of labs whose owner process no longer runs. */
export async function sweepStaleLabs(tools: LanTools): Promise<string[]> {
  const stale = (await listNamespaces(tools)).filter((ns) => {
    const owner = NAMESPACE.exec(ns)?.[1];
    return owner !== undefined && !isAlive(Number(owner));
  });
  if (stale.length > 0) await destroyNamespaces(tools, stale, 0);
  return stale;
}

/** The names of all network namespaces with the lab prefix. */
export async function listNamespaces(tools: LanTools): Promise<string[]> {
  const { stdout } = await tool(tools.ip, ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((ns) => ns.startsWith(`${LAN_PREFIX}-`));
}

class LabImpl implements Lan {
  readonly switchNamespace: string;
  #stopped: Promise<void> | undefined;
  readonly #programs = new Set<LanProgram>();

  constructor(
    readonly tools: LanTools,
    readonly prefix: string,
    readonly hosts: readonly string[],
    readonly switches: readonly (readonly string[])[],
    readonly killGraceMs: number,
  ) {
    this.switchNamespace = `${prefix}-${SWITCH}`;
  }

  /** All namespaces, switch first. */
  get namespaces(): string[] {
    return [this.switchNamespace, ...this.hosts.map((h) => this.namespace(h))];
  }

  async build(): Promise<void> {
    // Registered before anything exists, so that an interrupt mid-build
    // still removes what was made.
    live.add(this);
    installExitHooks();
    const { ip } = this.tools;
    try {
      try {
        await tool(ip, ['-batch', '-'], this.namespaces.map((ns) => `netns add ${ns}`).join('\n'));
      } catch (err) {
        throw new LanPrerequisiteError(
          `could not create network namespaces; the lan tests need root with CAP_SYS_ADMIN and ` +
            `CAP_NET_ADMIN (in a container: --privileged): ${(err as Error).message}`,
          { cause: err },
        );
      }
      // Plain L2 switches: no STP (ports forward at once), multicast flooded
      // to every port (no IGMP snooping surprises); one bridge each, in the
      // one switch namespace, trunks between neighbours.
      const switchLines = ['link set lo up'];
      this.switches.forEach((hosts, i) => {
        switchLines.push(
          `link add br${i} type bridge stp_state 0 mcast_snooping 0`,
          `link set br${i} up`,
        );
        for (const h of hosts) {
          switchLines.push(
            `link add ${port(h)} type veth peer name eth0 netns ${this.namespace(h)}`,
            `link set ${port(h)} master br${i} up`,
          );
        }
        if (i > 0) {
          const [a, b] = trunkEnds(i - 1);
          switchLines.push(
            `link add ${a} type veth peer name ${b}`,
            `link set ${a} master br${i - 1} up`,
            `link set ${b} master br${i} up`,
          );
        }
      });
      await tool(ip, ['-n', this.switchNamespace, '-batch', '-'], switchLines.join('\n'));
      await Promise.all(
        this.hosts.map((h) =>
          tool(
            ip,
            ['-n', this.namespace(h), '-batch', '-'],
            [
              'link set lo up',
              'link set eth0 multicast on up',
              `addr add ${this.address(h)}/24 dev eth0`,
              `route add ${MULTICAST_ROUTE} dev eth0`,
            ].join('\n'),
          ),
        ),
      );
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  #index(host: string): number {
    const i = this.hosts.indexOf(host);
    if (i < 0) throw new RangeError(`no host ${host} in this lab (${this.hosts.join(', ')})`);
    return i;
  }

  address(host: string): string {
    return `${LAN_SUBNET}.${11 + this.#index(host)}`;
  }

  namespace(host: string): string {
    this.#index(host);
    return `${this.prefix}-${host}`;
  }

  spawn(host: string, argv: readonly string[], init: LanSpawnInit = {}): LanProgram {
    const ns = this.namespace(host);
    if (this.#stopped) throw new Error(`lab ${this.prefix} is torn down`);
    if (argv.length === 0) throw new RangeError('spawn needs a command');
    const { ip, unshare } = this.tools;
    // Every step execs the next, so the child's PID is the program's PID.
    const child = spawnChild(
      ip,
      [
        'netns',
        'exec',
        ns,
        unshare,
        '--uts',
        '--',
        '/bin/sh',
        '-c',
        SET_HOSTNAME_AND_EXEC,
        host,
        ...argv,
      ],
      {
        cwd: init.cwd ?? ROOT,
        env: { ...process.env, ...init.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const program = collect(child, host, `${host}: ${argv.join(' ')}`);
    this.#programs.add(program);
    void program.exited.then(() => this.#programs.delete(program));
    try {
      onTestFinished(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await program.exited;
        }
      });
    } catch {
      // Not inside a test: teardown kills it.
    }
    return program;
  }

  startProgram(
    host: string,
    file: string,
    args: readonly string[] = [],
    env: NodeJS.ProcessEnv = {},
  ): LanProgram {
    return this.spawn(host, [process.execPath, ...nodeArguments(file, args)], { env });
  }

  async run(
    host: string,
    argv: readonly string[],
    init: LanSpawnInit & { timeoutMs?: number } = {},
  ): Promise<LanRunResult> {
    const p = this.spawn(host, argv, init);
    const ms = init.timeoutMs ?? 15_000;
    const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
    try {
      const { code, signal } = await p.exited;
      return { code, signal, stdout: p.stdout, stderr: p.stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  async cable(host: string, state: 'down' | 'up'): Promise<void> {
    const ns = this.namespace(host);
    if (state !== 'down' && state !== 'up') throw new RangeError(`cable state ${state}`);
    const { ip } = this.tools;
    await tool(ip, ['-n', this.switchNamespace, 'link', 'set', port(host), state]);
    // Down: the host sees NO-CARRIER. Up: the host has carrier again and the
    // switch forwards on the port.
    await until(`${host}'s cable to be ${state}`, 5_000, async () => {
      const hostLink = (await tool(ip, ['-n', ns, '-o', 'link', 'show', 'eth0'])).stdout;
      const carrier = /[<,]LOWER_UP[,>]/.test(hostLink);
      if (state === 'down') return !carrier;
      const switchPort = (
        await tool(ip, ['-n', this.switchNamespace, '-d', '-o', 'link', 'show', port(host)])
      ).stdout;
      return carrier && /bridge_slave state forwarding/.test(switchPort);
    });
  }

  async trunk(state: 'down' | 'up', index = 0): Promise<void> {
    if (state !== 'down' && state !== 'up') throw new RangeError(`trunk state ${state}`);
    if (!Number.isInteger(index) || index < 0 || index >= this.switches.length - 1) {
      throw new RangeError(`no trunk ${index}: this lab has ${this.switches.length - 1}`);
    }
    const { ip } = this.tools;
    const ns = this.switchNamespace;
    const [a, b] = trunkEnds(index);
    await tool(ip, ['-n', ns, 'link', 'set', a, state]);
    await until(`trunk ${index} to be ${state}`, 5_000, async () => {
      const ends = await Promise.all(
        [a, b].map(
          async (end) => (await tool(ip, ['-n', ns, '-d', '-o', 'link', 'show', end])).stdout,
        ),
      );
      const carrier = ends.map((text) => /[<,]LOWER_UP[,>]/.test(text));
      if (state === 'down') return !carrier[0] && !carrier[1];
      return ends.every((text, i) => carrier[i] && /bridge_slave state forwarding/.test(text));
    });
  }

  async loss(percent: number): Promise<void> {
    if (this.#stopped) throw new Error(`lab ${this.prefix} is torn down`);
    if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new RangeError(`loss is a percentage from 0 to 100, not ${percent}`);
    }
    // tc netem does not exist on every kernel; nftables' numgen does. In the
    // switch's bridge, so that senders see no error (as on a real lossy LAN).
    const perTenThousand = Math.round(percent * 100);
    const lines = [
      `table bridge ${LOSS_TABLE}`,
      `delete table bridge ${LOSS_TABLE}`,
      ...(perTenThousand === 0
        ? []
        : [
            `table bridge ${LOSS_TABLE} {`,
            '  chain forward {',
            '    type filter hook forward priority 0; policy accept;',
            `    numgen random mod 10000 < ${perTenThousand} counter drop`,
            '  }',
            '}',
          ]),
    ];
    await tool(
      this.tools.ip,
      ['netns', 'exec', this.switchNamespace, this.tools.nft, '-f', '-'],
      `${lines.join('\n')}\n`,
    );
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      try {
        await destroyNamespaces(this.tools, this.namespaces, this.killGraceMs);
        // Let the programs' last output arrive (they are dead by now).
        await atMost(Promise.all([...this.#programs].map((p) => p.exited)), 2_000);
      } finally {
        live.delete(this);
        if (live.size === 0) removeExitHooks();
      }
    })();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Synchronous last-resort teardown, for `exit` and signals. */
  stopSync(): void {
    destroyNamespacesSync(this.tools, this.namespaces);
    live.delete(this);
  }
}

function port(host: string): string {
  return `p-${host}`;
}

/** The two ends of trunk `index`: on switch `index`, and on switch `index + 1`. */
function trunkEnds(index: number): [string, string] {
  return [`t${index}a`, `t${index}b`];
}

// ----------------------------------------------------------------- teardown

/**
 * Kills every process inside `namespaces` (SIGTERM, then SIGKILL after
 * `graceMs`), then deletes the namespaces (their veths, bridge and rules go
 * with them). Namespaces that do not exist are skipped.
 */
async function destroyNamespaces(
  tools: LanTools,
  namespaces: readonly string[],
  graceMs: number,
): Promise<void> {
  const existing = new Set(await listNamespaces(tools));
  const mine = namespaces.filter((ns) => existing.has(ns));
  if (mine.length === 0) return;
  const pids = (await Promise.all(mine.map((ns) => namespacePids(tools, ns)))).flat();
  if (pids.length > 0) {
    if (graceMs > 0) {
      signalAll(pids, 'SIGTERM');
      await until('', graceMs, () => pids.every((p) => !isRunning(p)), false);
    }
    signalAll(
      pids.filter((p) => isRunning(p)),
      'SIGKILL',
    );
    await until(
      `processes ${pids.join(' ')} to end`,
      5_000,
      () => pids.every((p) => !isRunning(p)),
      false,
    );
  }
  await tool(tools.ip, ['-force', '-batch', '-'], mine.map((ns) => `netns del ${ns}`).join('\n'), {
    check: false,
  });
  const left = (await listNamespaces(tools)).filter((ns) => mine.includes(ns));
  if (left.length > 0) throw new Error(`could not delete network namespaces ${left.join(', ')}`);
}

function destroyNamespacesSync(tools: LanTools, namespaces: readonly string[]): void {
  const run = (args: string[], input?: string): string => {
    try {
      return execFileSync(tools.ip, args, {
        input,
        encoding: 'utf8',
        timeout: 5_000,
        stdio: ['pipe', 'pipe', 'ignore'],
      });
    } catch {
      return '';
    }
  };
  for (const ns of namespaces) {
    signalAll(parsePids(run(['netns', 'pids', ns])), 'SIGKILL');
  }
  run(['-force', '-batch', '-'], namespaces.map((ns) => `netns del ${ns}`).join('\n'));
}

async function namespacePids(tools: LanTools, ns: string): Promise<number[]> {
  const { stdout } = await tool(tools.ip, ['netns', 'pids', ns], undefined, { check: false });
  return parsePids(stdout);
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** Exists and is not a zombie (a zombie is dead, just not yet reaped). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ------------------------------------------- teardown on exit and interrupt

const live = new Set<LabImpl>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooksInstalled = false;

function stopAllSync(): void {
  for (const lab of [...live]) lab.stopSync();
}

function onSignal(signal: NodeJS.Signals): void {
  stopAllSync();
  removeExitHooks();
  // We were the only listener, so the default action (ending the process)
  // did not happen: let it happen now.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', stopAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function removeExitHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', stopAllSync);
  for (const s of SIGNALS) process.off(s, onSignal);
}

// ------------------------------------------------------------------ helpers

/** Runs a tool to its end (10 s at most), feeding it `input`. */
function tool(
  file: string,
  args: readonly string[],
  input?: string,
  { check = true }: { check?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (check && code !== 0) {
        const what = `${file} ${args.join(' ')}`;
        reject(new Error(`${what} failed (${code ?? signal}): ${stderr.trim()}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, but at most `ms`. */

/** Polls `condition` every 10 ms for at most `ms`; throws with `what` on time-out unless `strict` is false. */
async function until(
  what: string,
  ms: number,
  condition: () => boolean | Promise<boolean>,
  strict = true,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) break;
    await delay(10);
  }
  if (strict) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A lab program: {@link watchProgram}'s view, with the host it runs on. */
function collect(child: ChildProcess, host: string, label: string): LanProgram {
  return Object.assign(watchProgram(child, label), { host });
}
