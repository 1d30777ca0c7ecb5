/**
 * `callsign stream serve`: a dedicated stream host. It opens a store, serves
 * every stream in it (each a listing under its name) and a management
 * listing for the other stream commands, until Ctrl-C or SIGTERM.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { CallsignError } from '../../src/errors.ts';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  generateNodeKeys,
  Node,
  openStreamStore,
  type Scope,
  streamHost,
} from '../../src/index.ts';
import { loadOrCreateRealm, parseRealm, StreamLink } from '../../src/internal.ts';
import { Logger, type LogLevel } from '../../src/runtime/log.ts';
import { acceptsConnections, type HostIo, hostPaths, type RealmChoice } from '../host.ts';
import { stopWithin } from '../network.ts';
import { untilStopSignal } from '../signals.ts';
import {
  openInitOf,
  readServerRecord,
  type StoreChoice,
  streamAdminKeys,
  writeServerRecord,
} from './target.ts';

/** Options of {@link serveStreams}. */
export interface ServeInit {
  readonly choice: StoreChoice;
  /** The lmdb folder (undefined for memory). */
  readonly path: string | undefined;
  readonly listing: string;
  readonly scope: Scope;
  readonly realm: RealmChoice;
  readonly debugLevel?: LogLevel;
  /** Public keys (base64) of more nodes that may manage the streams (`--admin`). */
  readonly admins?: readonly string[];
}

/** Runs the server until a stop signal; gives the exit code. */
export async function serveStreams(init: ServeInit, io: HostIo): Promise<number> {
  const { choice, path, listing, scope } = init;
  if (path) {
    const running = readServerRecord(path);
    if (running) {
      throw new CallsignError(
        'ERR_INVALID_STATE',
        `a stream server (pid ${running.pid}, listing ${running.listing}) serves ${path} already`,
      );
    }
  }
  const warn = (message: string) => io.stderr(`callsign: warning: ${message}\n`);
  const store = await openStreamStore(openInitOf(choice, path, warn));
  const home = init.realm.home;
  const group = home && (await acceptsConnections(home.groupEndpoint)) ? home.groupEndpoint : '';
  const parent = group || (io.env.CALLSIGN_NO_HOST === '1' ? null : hostPaths(io.env).endpoint);
  const realm =
    init.realm.from === 'home'
      ? parseRealm(await readFile(init.realm.file, 'utf8'))
      : await loadOrCreateRealm(init.realm.file);
  const logger = new Logger(init.debugLevel ?? 'WARNING');
  const node = new Node({ name: 'callsign-stream-serve', logger });
  configureTransport(node, { realm, keys: generateNodeKeys() });
  configureDirectory(node, { parent });
  const removeRecord = path
    ? writeServerRecord(path, {
        kind: 'callsign-stream-server',
        pid: process.pid,
        listing,
        scope,
        startedAt: new Date().toISOString(),
      })
    : () => {};
  try {
    // The command line of this home manages with its own keys; `--admin` adds others.
    const cli = Buffer.from((await streamAdminKeys(init.realm)).publicKey).toString('base64');
    const admins = [cli, ...(init.admins ?? [])];
    const host = node.start(streamHost, { store, scope, listing, admins });
    host.result.catch((err) => io.stderr(`callsign: the stream host failed: ${String(err)}\n`));
    // Ready once our own listing is found by name.
    await node.start(async (self: ActorContext) => {
      const link = new StreamLink(self, listing, { scope, seconds: 15 });
      try {
        await link.ready();
      } finally {
        link.close();
      }
    }).result;
    const streams = (await store.listStreams()).length;
    io.stderr(
      `callsign: serving ${streams} stream${streams === 1 ? '' : 's'} of ${path ?? choice.driver} as ${listing} at ${scope} scope (Ctrl-C to stop)\n`,
    );
    await untilStopSignal();
    return 0;
  } finally {
    await stopWithin(node, 3000);
    await store.close();
    removeRecord();
  }
}
