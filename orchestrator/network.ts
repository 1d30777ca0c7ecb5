/**
 * `callsign network`: asks the directories that run for this home and host
 * (the group directory of the home, the host directory) for their network
 * reports (`NetworkEnquiry` → `NetworkReport`: each directory gathers what
 * the directories and nodes below it report) and prints the snapshot:
 * directories, nodes, sessions and listings, with rates when sampled.
 * Documented in docs/cli.md and docs/view.md.
 */
import { open, readFile } from 'node:fs/promises';
import { toError } from '../src/errors.ts';
import { configureTransport, generateNodeKeys, Node, type Realm } from '../src/index.ts';
import { loadOrCreateRealm, parseRealm } from '../src/internal.ts';
import { errnoOf } from './files.ts';
import {
  acceptsConnections,
  type HostIo,
  hostPaths,
  type RealmChoice,
  readHostRecord,
} from './host.ts';
import { type DirectoryAnswer, watchDirectory } from './view/directory-watch.ts';
import { RateBook } from './view/rates.ts';
import {
  type AskedDirectory,
  buildSnapshot,
  type NetworkSnapshot,
  type Rate,
  type RefusedConnections,
  type WanAbove,
} from './view/snapshot.ts';

export type {
  DirectoryDescription,
  ListingReport,
  NetworkSnapshot,
  RefusedConnections,
  SearchReport,
  UnreachableDirectory,
  WanAbove,
} from './view/snapshot.ts';

/** How long `network` lets a directory wait for the directories and nodes below it, in ms. */
const GATHER_MS = 1500;

/** How far back `network` looks for refused connections in the host directory's log. */
const REFUSALS_MINUTES = 10;

/** A directory `network` and `view` ask: where it is, and the realm to ask it in. */
export interface Target {
  level: 'group' | 'host' | 'lan' | 'wan';
  endpoint: string;
  realmFile: string;
  /** Its log, where the connections it refused are written. */
  logFile: string | undefined;
  /** Read as a home's file (never created), or as a node reads it (created if missing). */
  strict: boolean;
}

/** What `network` does beyond asking once. */
export interface NetworkOptions {
  /** Ask twice, this many seconds apart, and give message and byte rates (0: once, no rates). */
  sampleSeconds?: number;
}

/**
 * The directories to ask: the group directory of the home (if it accepts
 * connections) and the host directory (unless `CALLSIGN_NO_HOST=1`, if it
 * accepts connections), the host directory in the realm it was started with
 * (its `host.json`), so that one of another realm is shown too.
 */
export async function findTargets(realm: RealmChoice, io: HostIo): Promise<Target[]> {
  const targets: Target[] = [];
  const home = realm.home;
  if (home && (await acceptsConnections(home.groupEndpoint))) {
    targets.push({
      level: 'group',
      endpoint: home.groupEndpoint,
      realmFile: home.realmFile,
      logFile: undefined,
      strict: true,
    });
  }
  if (io.env.CALLSIGN_NO_HOST !== '1') {
    const paths = hostPaths(io.env);
    if (await acceptsConnections(paths.endpoint)) {
      const record = await readHostRecord(paths);
      const own = record?.alive && record.endpoint === paths.endpoint;
      targets.push({
        level: 'host',
        endpoint: paths.endpoint,
        realmFile: own ? record.realmFile : realm.file,
        logFile: paths.logFile,
        strict: own ? record.realmFrom === 'home' : realm.from === 'home',
      });
    }
  }
  return targets;
}

/** What the asker knows of a target before reading its realm. */
export function unknownTarget(target: Target): Omit<AskedDirectory, 'answer'> {
  return {
    level: target.level,
    endpoint: target.endpoint,
    realm: '',
    realmFile: target.realmFile,
    sameRealmAsHome: null,
    refusedConnections: [],
  };
}

/** What the asker knows of a target, beside its answer. */
export async function describeTarget(
  target: Target,
  realm: Realm,
  homeRealm: Realm | undefined,
): Promise<Omit<AskedDirectory, 'answer'>> {
  return {
    level: target.level,
    endpoint: target.endpoint,
    realm: realm.name,
    realmFile: target.realmFile,
    sameRealmAsHome: homeRealm ? sameRealm(homeRealm, realm) : null,
    refusedConnections: target.logFile ? await readRefusals(target.logFile) : [],
  };
}

/**
 * Asks the directories of {@link findTargets} for their network reports
 * (each gathers what the directories and nodes below it report) and puts
 * them together. With `sampleSeconds`, asks twice and gives rates.
 */
export async function readNetwork(
  realm: RealmChoice,
  io: HostIo,
  options: NetworkOptions = {},
): Promise<NetworkSnapshot> {
  const targets = await findTargets(realm, io);
  const home = realm.home;
  const homeRealm = home ? await readRealm(home.realmFile, true).catch(() => undefined) : undefined;
  const sample = options.sampleSeconds ?? 0;
  const rounds = await Promise.all(
    targets.map(async (target): Promise<AskedDirectory[]> => {
      try {
        const r = await readRealm(target.realmFile, target.strict);
        const known = await describeTarget(target, r, homeRealm);
        const answers = await askDirectory(target.endpoint, r, sample);
        return answers.map((answer) => ({ ...known, answer }));
      } catch (err) {
        const failed: AskedDirectory = {
          ...unknownTarget(target),
          answer: {
            code: errnoOf(err) ?? (err as { code?: string }).code ?? 'ERR_CONNECT_FAILED',
            reason: toError(err).message,
          },
        };
        return sample > 0 ? [failed, failed] : [failed];
      }
    }),
  );
  const at = (i: number) => rounds.map((r) => r[Math.min(i, r.length - 1)] as AskedDirectory);
  const first = buildSnapshot(at(0), home?.dir ?? null, new Date());
  if (sample <= 0) return withWanAbove(first);
  const rates = new RateBook();
  rates.update(first, 0);
  const second = buildSnapshot(at(1), home?.dir ?? null, new Date());
  rates.update(second, sample * 1000);
  return withWanAbove(second);
}

/** Names the WAN directory above each site directory, from the access file its parent names. */
async function withWanAbove(snapshot: NetworkSnapshot): Promise<NetworkSnapshot> {
  for (const d of snapshot.directories) {
    if (d.parent?.startsWith('wan:')) d.wan = await wanAbove(d.parent.slice(4));
  }
  return snapshot;
}

/** What a site's access file says of the WAN directory above (null when it cannot be read). */
async function wanAbove(accessFile: string): Promise<WanAbove | null> {
  try {
    const { readAccess } = await import('../scopes/wan/access.ts');
    const a = await readAccess(accessFile);
    return { tenant: a.tenant, site: a.site, relays: [...a.relays], accessFile };
  } catch {
    return null;
  }
}

/** The network as a tree for people. */
export function formatNetwork(report: NetworkSnapshot, io: Pick<HostIo, 'env'>): string {
  if (report.directories.length === 0 && report.unreachable.length === 0) {
    const group = report.home ? `no group runs in ${report.home}` : 'no home here';
    const host =
      io.env.CALLSIGN_NO_HOST === '1'
        ? 'no host directory (CALLSIGN_NO_HOST=1)'
        : `no host directory at ${hostPaths(io.env).endpoint}`;
    return `no directory is running: ${group}, ${host}\n`;
  }
  const lines: string[] = [];
  for (const d of report.directories) {
    const parent = d.parent ? `, parent ${d.parent}` : '';
    lines.push(`${d.level} directory ${d.endpoint}${parent}`);
    if (d.realmFile) lines.push(`  realm ${d.realm} (${d.realmFile})`);
    if (d.tenant) {
      lines.push(`  tenant ${d.tenant.name}`);
      lines.push(`  sites (${d.tenant.sites.length})`);
      for (const site of d.tenant.sites) {
        const at = site.relay ? ` to ${site.relay}` : '';
        const state = site.connected
          ? `connected since ${site.connectedSince}${at}`
          : 'not connected';
        lines.push(`    ${site.name}  ${state}  invited ${site.invited}`);
      }
    }
    if (d.wan) {
      lines.push(
        `  above: the WAN directory of tenant ${d.wan.tenant}, as site ${d.wan.site}, through the relay at ${d.wan.relays.join(', ')}`,
      );
    }
    if (d.sameRealmAsHome === false) {
      lines.push("  note: another realm than the home's: the home's nodes do not meet here");
    }
    lines.push(`  children (${d.children.length})`);
    for (const c of d.children) lines.push(`    ${c}`);
    lines.push(`  listings (${d.listings.length})`);
    for (const l of d.listings) {
      lines.push(`    ${l.name}  ${l.scope}${l.multi ? '  multi' : ''}  ${l.where}`);
    }
    lines.push(`  searches (${d.searches.length})`);
    for (const s of d.searches) {
      const pattern = s.regex ? `/${s.pattern}/${s.flags ?? ''}` : s.pattern;
      const kind = s.kind === 'name' ? 'exact' : s.kind;
      lines.push(`    ${pattern}  ${kind}  ${s.scope}  ${s.where}`);
    }
    lines.push(`  routes ${d.routes}`);
    if (d.refusedAbove) {
      lines.push(
        `  refused by the directory above: ${d.refusedAbove.reason} (${d.refusedAbove.code}); nothing here reaches beyond ${d.level}`,
      );
    }
    for (const r of d.refusedConnections) {
      const hint =
        r.code === 'ERR_WRONG_REALM'
          ? `: nodes of another realm; this directory's realm file is ${d.realmFile}`
          : '';
      lines.push(
        `  refused ${r.count} connection(s) in the last ${REFUSALS_MINUTES} min with ${r.code}${hint} (last at ${r.last.at} from ${r.last.from}: ${r.last.reason})`,
      );
    }
    const undelivered = Object.entries(d.undelivered);
    if (undelivered.length > 0) {
      lines.push(`  undelivered ${undelivered.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
  }
  for (const u of report.unreachable) {
    lines.push(`${u.level} directory ${u.endpoint}: did not answer: ${u.reason} (${u.code})`);
  }
  if (report.sessions.length > 0) lines.push(`sessions (${report.sessions.length})`);
  for (const s of report.sessions) {
    const sub = s.subscriber.where ?? s.subscriber.node ?? '?';
    const rate = s.rate ? `  ${formatRate(s.rate)}` : '';
    lines.push(`  session ${s.name}: ${sub} → ${s.publisher.where} at ${s.level} scope${rate}`);
  }
  return `${lines.map((l) => `${l}\n`).join('')}`;
}

/** A rate for people: `12.5 msg/s 1.2 KB/s over 5 s`. */
export function formatRate(rate: Rate): string {
  const bytes = rate.bytesPerSecond;
  const size =
    bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB/s`
      : bytes >= 1e3
        ? `${(bytes / 1e3).toFixed(1)} KB/s`
        : `${bytes.toFixed(0)} B/s`;
  return `${rate.messagesPerSecond.toFixed(1)} msg/s ${size} over ${rate.seconds} s`;
}

/**
 * Connects to the directory at `endpoint` from a node of its own (in
 * `realm`) and asks it for its network report: once, or (with `sample`
 * seconds) twice that far apart with the nodes counting traffic.
 */
async function askDirectory(
  endpoint: string,
  realm: Realm,
  sample: number,
): Promise<DirectoryAnswer[]> {
  const node = new Node({ name: 'callsign-network' });
  const keys = generateNodeKeys();
  configureTransport(node, { realm, keys });
  // A directory names a link by its key until the link syncs: that is us.
  const us = Buffer.from(keys.publicKey).toString('base64').slice(0, 12);
  const answers: DirectoryAnswer[] = [];
  const { done } = watchDirectory(node, us, {
    endpoint,
    rounds: sample > 0 ? 2 : 1,
    intervalMs: sample * 1000,
    meter: sample > 0,
    deadlineMs: GATHER_MS,
    above: true,
    onAnswer: (a) => answers.push(a),
  });
  try {
    await done;
    return answers;
  } finally {
    await stopWithin(node, 2000);
  }
}

/**
 * The connections a directory refused lately, by code, from the lines its
 * transport writes to its log (`connection from <where> to <endpoint>
 * refused: <why> (<CODE>)`). Reads the last 256 KiB at most.
 */
export async function readRefusals(
  logFile: string,
  now: number = Date.now(),
): Promise<RefusedConnections[]> {
  let text: string;
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 256 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
  const since = now - REFUSALS_MINUTES * 60_000;
  const byCode = new Map<string, RefusedConnections>();
  const line = /^(\S+) \? \S+ - connection from (\S+) to \S+ refused: (.*) \((ERR_[A-Z0-9_]+)\)$/;
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const [, at = '', from = '', reason = '', code = ''] = m;
    if (!(Date.parse(at) >= since)) continue;
    const seen = byCode.get(code);
    if (seen) {
      seen.count++;
      seen.last = { at, from, reason };
    } else byCode.set(code, { code, count: 1, last: { at, from, reason } });
  }
  return [...byCode.values()];
}

/** Reads a realm file: a home's must be there; another is created if missing, as nodes do. */
export async function readRealm(file: string, strict: boolean): Promise<Realm> {
  if (!strict) return loadOrCreateRealm(file);
  return parseRealm(await readFile(file, 'utf8'));
}

export function sameRealm(a: Realm, b: Realm): boolean {
  return Buffer.from(a.secret).equals(Buffer.from(b.secret));
}

/** Stops `node`, waiting at most `ms` for its connections to close. */
export async function stopWithin(node: Node, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    node.stop().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
