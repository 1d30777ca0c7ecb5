import { basename } from 'node:path';
import { parentEndpoint } from '../../scopes/host/well-known.ts';
import { isCallsignError, toError } from '../errors.ts';
import { Stop } from '../messages/standard.ts';
import { configureDirectory, startDirectory } from '../pubsub/api.ts';
import type { NodeDirectoryInit } from '../pubsub/options.ts';
import { warmSessionCodecs } from '../pubsub/warm-codecs.ts';
import { configureTransport, prepareTransport } from '../transport/transport.ts';
import { useNodeCryptoForFrames } from '../wire/frame-aead.ts';
import { resolveRealmPath } from '../wire/realm.ts';
import { Logger, streamSink } from './log.ts';
import { type ActorKind, faultedFrom, Node } from './node.ts';
import { EXIT_CODES, exitCodeFor, formatOutput } from './output.ts';
import { parseSettings, type Settings } from './settings.ts';

/** Options of {@link createNode}. */
export interface CreateNodeOptions<S extends Settings> {
  /** Defaults of every setting; each may be overridden with `--name=value`. */
  factorySettings?: S;
  /** The program's name in `--help` and logs. Default: the script's file name. */
  name?: string;
  /** Command-line arguments. Default: `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** How long the node may take to close its connections after main ends, in seconds. Default 2. */
  stopSeconds?: number;
  /**
   * Whether the node connects to the directory above at start, in the
   * background, so its first publish finds the connection open. Default
   * true; false for a process that is itself a directory (its parent link is
   * its directory service's, and the directory above may be itself).
   */
  connectAtStart?: boolean;
  /**
   * With `connectAtStart`, how long main may wait for the node to be
   * reachable, in ms: its session listener running, the link to the
   * directory above up and that directory's SyncComplete in (or the link
   * failed). Main starts at once when there is no
   * directory to reach. Default 250; 0 starts main without waiting.
   */
  reachableMs?: number;
}

/**
 * How long main waits at most for its node to be reachable (see
 * {@link CreateNodeOptions.reachableMs}): a link to the host directory is made
 * in 10-30 ms in a new process, so a first publish made at once otherwise
 * waits for all of it.
 */
const REACHABLE_MS = 250;

/**
 * What the environment says about a node's transport: its realm file
 * (`CALLSIGN_REALM`, else under `XDG_CONFIG_HOME` or `~/.config`) and its
 * key file (`CALLSIGN_NODE_KEYS`, else new keys per process). `createNode`
 * also reads `CALLSIGN_NO_SODIUM=1` (frames sealed by node:crypto only).
 */
export function transportFromEnvironment(env: NodeJS.ProcessEnv): {
  realmFile: string;
  keysFile?: string;
} {
  const keysFile = env.CALLSIGN_NODE_KEYS;
  return { realmFile: resolveRealmPath(env), ...(keysFile ? { keysFile } : {}) };
}

/**
 * What the environment says about a node's directory: the directory above
 * (`CALLSIGN_GROUP`, set for every role of a group, else `CALLSIGN_HOST` or
 * the host directory's well-known endpoint; none with `CALLSIGN_NO_HOST=1`)
 * and how its actors are described (`CALLSIGN_ROLE`, else the program's
 * name). This and the command line are the only readers of the environment.
 */
export function directoryFromEnvironment(
  env: NodeJS.ProcessEnv,
  programName: string,
): NodeDirectoryInit {
  return {
    parent: parentEndpoint(env) ?? null,
    where: `${env.CALLSIGN_ROLE || programName} (pid ${process.pid})`,
  };
}

/** What {@link runNode} needs from its process, so tests can run it in memory. */
export interface NodeProcess {
  argv: readonly string[];
  /** The environment the node's directory is configured from. Default: none (the defaults). */
  env?: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Subscribes to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: string) => void): () => void;
}

/**
 * Starts this process as a callsign node: reads settings from the command
 * line, runs `main` as the main actor, prints what it returns to stdout as
 * one JSON document and exits (0, or non-zero when main returned Faulted,
 * Aborted or TimedOut, or threw). SIGINT/SIGTERM send Stop to main; a second
 * signal exits at once.
 *
 * @example
 * ```ts
 * createNode(async (self, settings) => {
 *   const m = await self.select(Stop, { seconds: settings.seconds });
 *   return m instanceof Stop ? 'stopped' : 'timed out';
 * }, { factorySettings: { seconds: 5 } });
 * ```
 */
export async function createNode<S extends Settings>(
  main: ActorKind<S>,
  options: CreateNodeOptions<S> = {},
): Promise<never> {
  const code = await runNode(main, options, {
    argv: options.argv ?? process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    onSignal(handler) {
      const listener = (signal: NodeJS.Signals) => handler(signal);
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  });
  // Main has ended: a signal now must not kill the process before its output is out.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

/** Runs a node as {@link createNode} does and returns the exit code instead of exiting. */
export async function runNode<S extends Settings>(
  main: ActorKind<S>,
  options: CreateNodeOptions<S>,
  proc: NodeProcess,
): Promise<number> {
  const programName =
    options.name ?? basename(process.argv[1] ?? 'node').replace(/\.[cm]?[jt]s$/, '');
  let parsed: ReturnType<typeof parseSettings<S>>;
  try {
    parsed = parseSettings(proc.argv, options.factorySettings ?? ({} as S), programName);
  } catch (err) {
    const e = toError(err);
    proc.stderr.write(
      `${programName}: ${e.message} (${isCallsignError(e) ? e.code : 'ERR_INVALID_SETTINGS'})\n`,
    );
    return EXIT_CODES.invalidSettings;
  }
  if (parsed.help !== undefined) {
    proc.stdout.write(`${parsed.help}\n`);
    return EXIT_CODES.completed;
  }
  if (parsed.printSettings) {
    proc.stdout.write(`${JSON.stringify(parsed.settings)}\n`);
    return EXIT_CODES.completed;
  }
  const logger = new Logger(parsed.debugLevel, streamSink(proc.stderr));
  const node = new Node({ name: programName, logger });
  const directory = directoryFromEnvironment(proc.env ?? {}, programName);
  configureDirectory(node, directory);
  configureTransport(node, transportFromEnvironment(proc.env ?? {}));
  if (proc.env?.CALLSIGN_NO_SODIUM === '1') useNodeCryptoForFrames();
  // Read the identity and warm the handshake now, not on the way of main's first publish;
  // then listen for sessions and connect to the directory above, and let main wait (a
  // bounded time) until both are done, so its first publish finds them ready.
  // Without a realm file there is no directory of this realm to reach: nothing is created.
  const ready = await prepareTransport(node);
  if (ready && directory.parent !== null && options.connectAtStart !== false) {
    const reachable = startDirectory(node);
    // While the link above is being made: its first session's messages need not compile on its way.
    warmSessionCodecs();
    await within(reachable, options.reachableMs ?? REACHABLE_MS);
  }
  const { address, result } = node.start(main, parsed.settings, { name: programName });
  let signals = 0;
  let forced: ((code: number) => void) | undefined;
  const forcedExit = new Promise<number>((resolve) => {
    forced = resolve;
  });
  const unsubscribe = proc.onSignal((signal) => {
    signals++;
    if (signals === 1) {
      node.log('CONSOLE', `${signal}: stopping`);
      node.send(new Stop(), address);
    } else {
      proc.stderr.write(`${programName}: ${signal} again, exiting at once\n`);
      forced?.(EXIT_CODES.forced);
    }
  });
  try {
    const outcome = await Promise.race([
      result.then(
        (value) => ({ value }),
        (err: unknown) => ({ value: faultedFrom(toError(err)), error: toError(err) }),
      ),
      forcedExit.then((code) => ({ forced: code })),
    ]);
    if ('forced' in outcome) return outcome.forced;
    if ('error' in outcome && outcome.error) {
      proc.stderr.write(
        `${programName}: main faulted: ${outcome.error.stack ?? outcome.error.message}\n`,
      );
    }
    await stopWithin(node, (options.stopSeconds ?? 2) * 1000);
    proc.stdout.write(`${formatOutput(outcome.value)}\n`);
    return exitCodeFor(outcome.value);
  } finally {
    unsubscribe();
  }
}

/** Waits for `p`, at most `ms` (never rejects: `p` never does). */
async function within(p: Promise<void>, ms: number): Promise<void> {
  if (ms <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopWithin(node: Node, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      node.log('WARNING', `connections did not close within ${ms} ms`);
      resolve();
    }, ms);
  });
  try {
    await Promise.race([node.stop(), deadline]);
  } catch (err) {
    node.log('WARNING', `stop failed: ${toError(err).message}`);
  } finally {
    clearTimeout(timer);
  }
}
