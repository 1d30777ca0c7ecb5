/**
 * `callsign ping <name>`: subscribes to a name (or a regular expression)
 * from a node of the command's own, and for each listing that becomes Available prints the scope, the
 * time from subscribe to Available, and round trips (Enquiry → Ack) to the
 * publisher's node. Documented in docs/cli.md.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { CallsignError } from '../src/errors.ts';
import {
  Ack,
  type ActorAddress,
  type ActorContext,
  Available,
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
  /** A name (exact), or a regular expression matching whole names. */
  search: string | RegExp;
  count: number;
  scope: Scope;
  seconds: number;
  realm: RealmChoice;
}

/** A listing that became Available, and where its publisher's node answers. */
interface Reached {
  name: string;
  scope: string;
  /** ms from subscribe to Available. */
  session: number;
  remote: ActorAddress | undefined;
}

/**
 * Runs `callsign ping`. The node's directory parent is the home's group
 * directory if it accepts connections, else the host directory. Prints a
 * line for each listing reached (each name a regular expression matches).
 *
 * @throws CallsignError `ERR_NOT_AVAILABLE` at once when no directory
 *   answers (or the host directory serves another realm), and when no
 *   listing is Available in time.
 */
export async function ping(init: PingInit, io: HostIo): Promise<number> {
  const { search, count, scope, seconds, realm } = init;
  const shown = typeof search === 'string' ? search : String(search);
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
  if (!group) {
    const refusal = await hostRefusal(parent, r, io);
    if (refusal) throw new CallsignError('ERR_NOT_AVAILABLE', `no directory answers: ${refusal}`);
  }

  const node = new Node({ name: 'callsign-ping' });
  configureTransport(node, { realm: r, keys: generateNodeKeys() });
  configureDirectory(node, { parent });
  const { result } = node.start(async (self: ActorContext) => {
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const queue: Reached[] = [];
    const reached = (m: Available): Reached => {
      const publisher = self.returnAddress;
      return {
        name: m.name,
        scope: m.scope,
        session: performance.now() - started,
        remote: publisher && remoteDirectoryOf(self, publisher),
      };
    };
    subscribe(self, search, { scope });
    let answered = 0;
    let moreUntil = deadline;
    for (;;) {
      if (queue.length === 0) {
        const left = Math.min(deadline, moreUntil) - performance.now();
        if (left <= 0) break;
        const m = await self.select(Available, NotAvailable, NotSubscribed, {
          seconds: left / 1000,
        });
        if (m instanceof SelectTimer) break;
        if (m instanceof NotSubscribed) {
          throw new CallsignError(
            'ERR_USAGE',
            `cannot search for ${shown}: ${m.reason} (${m.code})`,
          );
        }
        if (m instanceof NotAvailable) {
          io.stderr(
            `callsign: ${m.name} was matched but is not available: ${m.reason} (${m.code})\n`,
          );
          continue;
        }
        queue.push(reached(m));
      }
      const listing = queue.shift() as Reached;
      answered++;
      const head = `${listing.name}  ${listing.scope}  session ${listing.session.toFixed(1)} ms`;
      if (!listing.remote) {
        io.stdout(`${head}  in this process: no round trips\n`);
      } else {
        const times: string[] = [];
        while (times.length < count) {
          const sent = performance.now();
          self.send(new Enquiry(), listing.remote);
          // Listings reached meanwhile are timed from their own Available.
          let a = await self.select(Ack, Available, { seconds: ROUND_TRIP_SECONDS });
          while (a instanceof Available) {
            queue.push(reached(a));
            a = await self.select(Ack, Available, { seconds: ROUND_TRIP_SECONDS });
          }
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
    io.stderr(
      `callsign: asked ${group ? `the group directory at ${group}` : `the host directory at ${parent}`}\n`,
    );
    throw new CallsignError(
      'ERR_NOT_AVAILABLE',
      `no listing ${shown} answered within ${seconds} s`,
    );
  }
  return 0;
}

/**
 * Why the host directory at `endpoint` cannot answer a node of `realm`, if
 * that is known before asking: nothing accepts connections there, or the one
 * `callsign host start` started serves another realm.
 */
async function hostRefusal(
  endpoint: string,
  realm: Realm,
  io: HostIo,
): Promise<string | undefined> {
  if (!(await acceptsConnections(endpoint))) {
    return `the host directory at ${endpoint} does not accept connections (\`callsign host start\` starts one)`;
  }
  const record = await readHostRecord(hostPaths(io.env));
  if (record?.alive && record.endpoint === endpoint) {
    const theirs = await readFile(record.realmFile, 'utf8')
      .then(parseRealm)
      .catch(() => undefined);
    if (theirs && !Buffer.from(theirs.secret).equals(Buffer.from(realm.secret))) {
      return `the host directory at ${endpoint} serves another realm (${record.realmFile}): ping from a home of its realm`;
    }
  }
  return undefined;
}
