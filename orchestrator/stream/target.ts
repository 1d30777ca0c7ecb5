/**
 * What `callsign stream ...` talks to: the store itself (opened by the
 * command, when no server has it), or the stream server that has it open
 * (found by the name of its management listing, through the directories).
 * Both answer the same requests, so the commands do not care which.
 *
 * @module
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CallsignError, toError } from '../../src/errors.ts';
import {
  type ActorContext,
  configureDirectory,
  configureTransport,
  defaultStreamPath,
  Node,
  type NodeKeys,
  openStreamStore,
  Stop,
  type StoredRecord,
  type StreamStore,
} from '../../src/index.ts';
import {
  loadOrCreateNodeKeys,
  loadOrCreateRealm,
  manageStreams,
  natsSettingsPath,
  parseRealm,
  type STREAM_ACTIONS,
  type StreamAnswer,
  StreamLink,
  StreamManage,
  StreamRead,
  type StreamRecordsPack,
  storedRecordsOf,
} from '../../src/internal.ts';
import { acceptsConnections, type HostIo, hostPaths, type RealmChoice } from '../host.ts';
import { stopWithin } from '../network.ts';

/** The record a stream server keeps in its store's folder while it runs. */
export interface ServerRecord {
  readonly kind: 'callsign-stream-server';
  readonly pid: number;
  readonly listing: string;
  readonly scope: string;
  readonly startedAt: string;
}

/** The file of {@link ServerRecord} in a store's folder. */
export const SERVER_RECORD = 'server.json';

/** A page of a stream as a reader sees it. */
export interface RecordPage {
  readonly records: readonly StoredRecord[];
  readonly next: number;
  readonly last: number;
}

/** What the stream commands ask. */
export interface StreamTarget {
  /** `store <path>` or `server <listing>`. */
  readonly where: string;
  manage(
    action: (typeof STREAM_ACTIONS)[number],
    stream: string | undefined,
    args?: Record<string, unknown>,
  ): Promise<unknown>;
  read(
    stream: string,
    at: { partition: number; from: number; max: number; filter?: string; waitMs: number },
  ): Promise<RecordPage>;
  close(): Promise<void>;
}

/** The server of the store in `path`, when one runs (its pid is alive). */
export function readServerRecord(path: string): ServerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(path, SERVER_RECORD), 'utf8')) as ServerRecord;
    if (r.kind !== 'callsign-stream-server' || typeof r.pid !== 'number') return undefined;
    process.kill(r.pid, 0);
    return r;
  } catch {
    return undefined;
  }
}

/** Writes the server record; gives what removes it. */
export function writeServerRecord(path: string, record: ServerRecord): () => void {
  const file = join(path, SERVER_RECORD);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}

/** The store that the command's options name. */
export interface StoreChoice {
  readonly driver: string;
  readonly options: Record<string, unknown>;
  /** `--replicated.<option>`: the nats options of a local store's replicated streams. */
  readonly replicated?: Record<string, unknown>;
  /** Where the driver reads the home and the servers. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * What {@link openStreamStore} takes for a store choice (an lmdb folder at
 * `path`). A local store keeps replicated streams on the servers given by
 * `--replicated.<option>`, else on those of the home or host
 * (`CALLSIGN_NATS_SERVERS`, `nats.json`); with none, it refuses them.
 * `warn` hears when those servers stop answering (local streams go on).
 */
export function openInitOf(
  choice: StoreChoice,
  path: string | undefined,
  warn: (message: string) => void,
) {
  const env = choice.env ?? process.env;
  const given = choice.replicated ?? {};
  const servers =
    Object.keys(given).length > 0 ||
    Boolean(env.CALLSIGN_NATS_SERVERS) ||
    existsSync(natsSettingsPath(env));
  return {
    driver: choice.driver,
    options: choice.driver === 'lmdb' ? { ...choice.options, path } : choice.options,
    ...(servers && choice.driver !== 'nats' ? { replicated: given } : {}),
    env,
    warn,
  };
}

/** The folder of an lmdb store choice (its path, the home's `streams/`, or the user's). */
export function storePath(
  choice: StoreChoice,
  homeDir: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (typeof choice.options.path === 'string') return choice.options.path;
  if (homeDir && existsSync(homeDir)) return join(homeDir, 'streams');
  return defaultStreamPath(env);
}

/** The store itself, as a target. */
export async function directTarget(
  choice: StoreChoice,
  path: string | undefined,
  warn: (message: string) => void,
): Promise<StreamTarget> {
  const store = await openStreamStore(openInitOf(choice, path, warn));
  let ids = 0;
  const everything = { list() {}, unlist() {}, hosted: () => true };
  return {
    where: `store ${path ?? choice.driver}`,
    async manage(action, stream, args = {}) {
      const m = new StreamManage({
        id: ++ids,
        action,
        ...(stream === undefined ? {} : { stream }),
        args,
      });
      return (await manageStreams(store, m, everything)).value;
    },
    async read(stream, at) {
      return readPage(store, stream, at);
    },
    close: () => store.close(),
  };
}

async function readPage(
  store: StreamStore,
  stream: string,
  at: { partition: number; from: number; max: number; filter?: string; waitMs: number },
): Promise<RecordPage> {
  const once = async () => {
    const batch = await store.readBatch(stream, {
      partition: at.partition,
      from: at.from,
      max: at.max,
      ...(at.filter ? { filter: at.filter } : {}),
    });
    const part = (await store.streamInfo(stream)).partitions[at.partition];
    return {
      records: storedRecordsOf(stream, batch),
      next: batch.next,
      last: part?.lastSequence ?? 0,
    };
  };
  const page = await once();
  if (page.records.length > 0 || at.waitMs === 0 || page.last >= page.next) return page;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, at.waitMs);
    const stop = store.watch((e) => {
      if (e.kind === 'appended' && e.stream === stream) done();
    });
    function done() {
      clearTimeout(timer);
      stop();
      resolve();
    }
  });
  return once();
}

/**
 * The keys the command line manages stream servers with: the home's
 * `keys/stream-admin.json`, else `stream-admin.keys.json` beside the realm
 * file. `stream serve` lists its public key among the server's admins, so
 * the command line of the same home (or realm) may create, change, purge
 * and delete through the server, and other nodes may not.
 */
export function streamAdminKeys(realm: RealmChoice): Promise<NodeKeys> {
  const file = realm.home
    ? realm.home.keysFile('stream-admin')
    : join(dirname(realm.file), 'stream-admin.keys.json');
  return loadOrCreateNodeKeys(file);
}

/**
 * A server found by its listing, as a target: requests go over a session
 * with it. With `admin`, the node has the {@link streamAdminKeys}; else keys
 * of its own, made for this command.
 */
export async function serverTarget(
  listing: string,
  realm: RealmChoice,
  io: HostIo,
  seconds: number,
  admin: boolean,
): Promise<StreamTarget> {
  const home = realm.home;
  const group = home && (await acceptsConnections(home.groupEndpoint)) ? home.groupEndpoint : '';
  const parent = group || (io.env.CALLSIGN_NO_HOST === '1' ? '' : hostPaths(io.env).endpoint);
  if (!parent)
    throw new CallsignError('ERR_NOT_AVAILABLE', `no directory to find ${listing} through`);
  const r =
    realm.from === 'home'
      ? parseRealm(await readFile(realm.file, 'utf8'))
      : await loadOrCreateRealm(realm.file);
  const node = new Node({ name: 'callsign-stream' });
  configureTransport(node, { realm: r, ...(admin ? { keys: await streamAdminKeys(realm) } : {}) });
  configureDirectory(node, { parent });
  let link!: StreamLink;
  const started = new Promise<void>((resolve) => {
    node.start(async (self: ActorContext) => {
      link = new StreamLink(self, listing, { scope: 'host', seconds });
      resolve();
      await self.select(Stop);
    });
  });
  await started;
  try {
    await link.ready();
  } catch (err) {
    await stopWithin(node, 2000);
    throw new CallsignError(
      'ERR_NOT_AVAILABLE',
      `no stream server ${listing} answered within ${seconds} s (${toError(err).message})`,
    );
  }
  return {
    where: `server ${listing}`,
    async manage(action, stream, args = {}) {
      const a = await link.request<InstanceType<typeof StreamAnswer>>(
        (id) => new StreamManage({ id, action, ...(stream === undefined ? {} : { stream }), args }),
      );
      return a.value;
    },
    async read(stream, at) {
      const page = await link.request<InstanceType<typeof StreamRecordsPack>>(
        (id) =>
          new StreamRead({
            id,
            stream,
            partition: at.partition,
            from: at.from,
            max: at.max,
            ...(at.filter ? { filter: at.filter } : {}),
            metadataOnly: false,
            waitMs: at.waitMs,
          }),
      );
      return {
        records: storedRecordsOf(stream, { count: page.count, bytes: page.records, positions: [] }),
        next: page.next,
        last: page.last,
      };
    },
    async close() {
      link.close();
      await stopWithin(node, 2000);
    },
  };
}
