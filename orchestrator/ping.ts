/**
 * `callsign ping <name>`: subscribes to a name from a node of the command's
 * own, and for each listing that becomes Available prints the scope, the
 * time from subscribe to Available, and round trips (Enquiry → Ack) to the
 * publisher's node. Documented in docs/cli.md.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  Ack,
  type ActorContext,
  Available,
  CallsignError,
  configureDirectory,
  configureTransport,
  Enquiry,
  generateNodeKeys,
  Node,
  NotAvailable,
  NotSubscribed,
  type Realm,
  type Scope,
  SelectTimer,
  subscribe,
} from '../src/index.ts';
import { loadOrCreateRealm, parseRealm, remoteDirectoryOf } from '../src/internal.ts';
import {
  acceptsConnections,
  type HostIo,
  hostPaths,
  type RealmChoice,
  readHostRecord,
} from './host.ts';
import { stopWithin } from './network.ts';

/** The scopes `ping --scope` takes. */
export const PING_SCOPES = ['host', 'group'] as const;

/** After an Available, how long ping waits for another (multi listings) before it ends. */
const MORE_AVAILABLE_MS = 500;

/** How long one round trip may take. */
const ROUND_TRIP_SECONDS = 2;

/** Options of {@link ping}. */
export interface PingInit {
  name: string;
  count: number;
  scope: Scope;
  seconds: number;
  realm: RealmChoice;
}

/**
 * Runs `callsign ping`. The node's directory parent is the home's group
 * directory if it accepts connections, else the host directory.
 *
 * @throws CallsignError `ERR_NOT_AVAILABLE` when no listing is Available in
 *   time, or there is no directory to ask.
 */
export async function ping(init: PingInit, io: HostIo): Promise<number> {
  const { name, count, scope, seconds, realm } = init;
  const home = realm.home;
  const group = home && (await acceptsConnections(home.groupEndpoint)) ? home.groupEndpoint : '';
  const noHost = io.env.CALLSIGN_NO_HOST === '1';
  const parent = group || (noHost ? '' : hostPaths(io.env).endpoint);
  if (!parent) {
    throw new CallsignError(
      'ERR_NOT_AVAILABLE',
      `no directory to ask: ${home ? `no group runs in ${home.dir}` : 'no home here'}, and CALLSIGN_NO_HOST=1`,
    );
  }
  const r: Realm =
    realm.from === 'home'
      ? parseRealm(await readFile(realm.file, 'utf8'))
      : await loadOrCreateRealm(realm.file);

  const node = new Node({ name: 'callsign-ping' });
  configureTransport(node, { realm: r, keys: generateNodeKeys() });
  configureDirectory(node, { parent });
  const { result } = node.start(async (self: ActorContext) => {
    const started = performance.now();
    const deadline = started + seconds * 1000;
    subscribe(self, name, { scope });
    let answered = 0;
    let moreUntil = deadline;
    for (;;) {
      const left = Math.min(deadline, moreUntil) - performance.now();
      if (left <= 0) break;
      const m = await self.select(Available, NotAvailable, NotSubscribed, { seconds: left / 1000 });
      if (m instanceof SelectTimer) break;
      if (m instanceof NotSubscribed) {
        throw new CallsignError('ERR_USAGE', `cannot search for ${name}: ${m.reason} (${m.code})`);
      }
      if (m instanceof NotAvailable) {
        io.stderr(
          `callsign: ${m.name} was matched but is not available: ${m.reason} (${m.code})\n`,
        );
        continue;
      }
      const session = performance.now() - started;
      const publisher = self.returnAddress;
      const remote = publisher ? remoteDirectoryOf(self, publisher) : undefined;
      const head = `${m.name}  ${m.scope}  session ${session.toFixed(1)} ms`;
      answered++;
      if (!remote) {
        io.stdout(`${head}  in this process: no round trips\n`);
      } else {
        const times: string[] = [];
        for (let i = 0; i < count; i++) {
          const sent = performance.now();
          self.send(new Enquiry(), remote);
          const a = await self.select(Ack, { seconds: ROUND_TRIP_SECONDS });
          if (a instanceof SelectTimer) {
            times.push(`timeout(${ROUND_TRIP_SECONDS} s)`);
            break;
          }
          times.push((performance.now() - sent).toFixed(2));
        }
        io.stdout(`${head}  rtt ${times.join(' ')} ms\n`);
      }
      moreUntil = performance.now() + MORE_AVAILABLE_MS;
    }
    return answered;
  });
  let answered: number;
  try {
    answered = await result;
  } finally {
    await stopWithin(node, 2000);
  }
  if (answered === 0) {
    io.stderr(`callsign: asked ${await describeParent(group, parent, r, io)}\n`);
    throw new CallsignError('ERR_NOT_AVAILABLE', `no listing ${name} answered within ${seconds} s`);
  }
  return 0;
}

/** Which directory ping asked, and why it may not have answered. */
async function describeParent(group: string, parent: string, realm: Realm, io: HostIo) {
  if (group) return `the group directory at ${group}`;
  if (!(await acceptsConnections(parent))) {
    return `the host directory at ${parent}, which does not accept connections (\`callsign host start\` starts one)`;
  }
  const record = await readHostRecord(hostPaths(io.env));
  if (record?.alive) {
    const theirs = await readFile(record.realmFile, 'utf8')
      .then(parseRealm)
      .catch(() => undefined);
    if (theirs && !Buffer.from(theirs.secret).equals(Buffer.from(realm.secret))) {
      return `the host directory at ${parent}, which serves another realm (${record.realmFile}): ping from a home of its realm`;
    }
  }
  return `the host directory at ${parent}`;
}
