/**
 * `callsign network`: asks the directories that run for this home and host
 * (the group directory of the home, the host directory) to describe
 * themselves (`DirectoryEnquiry` → `DirectoryReport`) and prints them.
 * Documented in docs/cli.md.
 */
import { open, readFile } from 'node:fs/promises';
import { toError } from '../src/errors.ts';
import {
  Abandoned,
  type ActorContext,
  Closed,
  Connected,
  configureTransport,
  connect,
  generateNodeKeys,
  Node,
  NotConnected,
  type Realm,
  SelectTimer,
} from '../src/index.ts';
import {
  DirectoryEnquiry,
  DirectoryReport,
  loadOrCreateRealm,
  parseRealm,
} from '../src/internal.ts';
import { errnoOf } from './files.ts';
import {
  acceptsConnections,
  type HostIo,
  hostPaths,
  type RealmChoice,
  readHostRecord,
} from './host.ts';

/** How long `network` waits for a directory to connect and to answer, each. */
const ASK_SECONDS = 3;

/** A listing as `network --json` prints it. */
export interface ListingReport {
  name: string;
  scope: string;
  multi: boolean;
  /** Who publishes it: `<role or program> (pid N)`. */
  where: string;
}

/** A search as `network --json` prints it. */
export interface SearchReport {
  pattern: string;
  /** How it matches: `name`, `regex` or `subject`. */
  kind: string;
  regex: boolean;
  flags: string | null;
  scope: string;
  /** Who subscribes: `<role or program> (pid N)`. */
  where: string;
}

/** One directory as `network --json` prints it. */
export interface DirectoryDescription {
  level: string;
  endpoint: string;
  /** The directory above, while connected to it. */
  parent: string | null;
  /** The realm's name, and the file it was read from. */
  realm: string;
  realmFile: string;
  /** False when this directory serves another realm than the home's (its nodes never meet). */
  sameRealmAsHome: boolean | null;
  /** The nodes and directories connected below it. */
  children: string[];
  listings: ListingReport[];
  searches: SearchReport[];
  routes: number;
  /** Why the directory above refuses this one, while it does (its realm, say). */
  refusedAbove: { code: string; reason: string } | null;
  /** Connections this directory refused lately, by code (from its log; the host directory's only). */
  refusedConnections: RefusedConnections[];
  /** Its node's counters of messages that reached no actor, those above zero. */
  undelivered: Record<string, number>;
  /** The WAN directory above, when the parent is one (`wan:<access file>`): never a secret. */
  wan?: WanAbove | null;
}

/** The WAN directory above a site's directory, as its access file names it. */
export interface WanAbove {
  tenant: string;
  site: string;
  relays: string[];
  accessFile: string;
}

/** Connections a directory refused with one code in the last {@link REFUSALS_MINUTES} minutes. */
export interface RefusedConnections {
  code: string;
  count: number;
  /** The last one: when, from where, and why. */
  last: { at: string; from: string; reason: string };
}

/** How far back `network` looks for refused connections in the host directory's log. */
const REFUSALS_MINUTES = 10;

/** A directory that runs but did not answer. */
export interface UnreachableDirectory {
  level: string;
  endpoint: string;
  code: string;
  reason: string;
}

/** What `callsign network --json` prints. */
export interface NetworkReport {
  home: string | null;
  directories: DirectoryDescription[];
  unreachable: UnreachableDirectory[];
}

interface Target {
  level: 'group' | 'host';
  endpoint: string;
  realmFile: string;
  /** Its log, where the connections it refused are written. */
  logFile: string | undefined;
  /** Read as a home's file (never created), or as a node reads it (created if missing). */
  strict: boolean;
}

/**
 * Asks the group directory of the home (if it accepts connections) and the
 * host directory (unless `CALLSIGN_NO_HOST=1`, if it accepts connections) for
 * their reports. The host directory is asked in the realm it was started
 * with (its `host.json`), so that one of another realm is shown too.
 */
export async function readNetwork(realm: RealmChoice, io: HostIo): Promise<NetworkReport> {
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
  const homeRealm = home ? await readRealm(home.realmFile, true).catch(() => undefined) : undefined;
  const answers = await Promise.all(
    targets.map(async (target) => {
      try {
        const r = await readRealm(target.realmFile, target.strict);
        const answer = await askDirectory(target.endpoint, r);
        if ('code' in answer) return { ...answer, level: target.level, endpoint: target.endpoint };
        return {
          ...answer,
          realm: r.name,
          realmFile: target.realmFile,
          sameRealmAsHome: homeRealm ? sameRealm(homeRealm, r) : null,
          refusedConnections: target.logFile ? await readRefusals(target.logFile) : [],
        };
      } catch (err) {
        return {
          level: target.level,
          endpoint: target.endpoint,
          code: errnoOf(err) ?? (err as { code?: string }).code ?? 'ERR_CONNECT_FAILED',
          reason: toError(err).message,
        };
      }
    }),
  );
  const directories: DirectoryDescription[] = [];
  const unreachable: UnreachableDirectory[] = [];
  for (const a of answers) {
    if ('code' in a) unreachable.push(a);
    else directories.push(a);
  }
  for (const d of directories) {
    if (d.parent?.startsWith('wan:')) d.wan = await wanAbove(d.parent.slice(4));
  }
  // From the top down: the host directory first.
  directories.sort((a, b) => (a.level === 'host' ? -1 : 0) - (b.level === 'host' ? -1 : 0));
  return { home: home?.dir ?? null, directories, unreachable };
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
export function formatNetwork(report: NetworkReport, io: Pick<HostIo, 'env'>): string {
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
    lines.push(`  realm ${d.realm} (${d.realmFile})`);
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
  return `${lines.map((l) => `${l}\n`).join('')}`;
}

type Answer = Omit<
  DirectoryDescription,
  'realm' | 'realmFile' | 'sameRealmAsHome' | 'refusedConnections'
>;

/**
 * Connects to the directory at `endpoint` from a node of its own (in
 * `realm`), sends it a DirectoryEnquiry and waits for its DirectoryReport.
 */
async function askDirectory(
  endpoint: string,
  realm: Realm,
): Promise<Answer | { code: string; reason: string }> {
  const node = new Node({ name: 'callsign-network' });
  const keys = generateNodeKeys();
  configureTransport(node, { realm, keys });
  // A directory names a link by its key until the link syncs: that is us.
  const us = Buffer.from(keys.publicKey).toString('base64').slice(0, 12);
  const { result } = node.start(async (self: ActorContext) => {
    connect(self, endpoint, { seconds: ASK_SECONDS });
    const c = await self.select(Connected, NotConnected, { seconds: ASK_SECONDS + 1 });
    if (c instanceof SelectTimer) {
      return { code: 'ERR_CONNECT_FAILED', reason: `no connection within ${ASK_SECONDS} s` };
    }
    if (c instanceof NotConnected) return { code: c.code, reason: c.reason };
    const directory = self.returnAddress;
    if (!directory) return { code: 'ERR_CONNECT_FAILED', reason: 'no directory actor' };
    self.send(new DirectoryEnquiry(), directory);
    const r = await self.select(DirectoryReport, Abandoned, Closed, { seconds: ASK_SECONDS });
    if (r instanceof SelectTimer) {
      return { code: 'ERR_TIMEOUT', reason: `no DirectoryReport within ${ASK_SECONDS} s` };
    }
    if (r instanceof Abandoned || r instanceof Closed) {
      return { code: r.code ?? 'ERR_CLOSED', reason: r.reason ?? 'the connection ended' };
    }
    return {
      level: r.level,
      endpoint: r.endpoint,
      parent: r.parent ?? null,
      children: r.children.filter((c) => c !== us),
      listings: r.listings.map((l) => ({
        name: l.name,
        scope: l.scope,
        multi: l.multi,
        where: l.publisher.where,
      })),
      searches: r.searches.map((s) => ({
        pattern: s.pattern,
        kind: s.kind,
        regex: s.kind === 'regex',
        flags: s.flags ?? null,
        scope: s.scope,
        where: s.subscriber.where,
      })),
      routes: r.routes,
      refusedAbove: r.refusedCode ? { code: r.refusedCode, reason: r.refusedReason ?? '' } : null,
      undelivered: Object.fromEntries(Object.entries(r.counters).filter(([, n]) => n > 0)),
    } satisfies Answer;
  });
  try {
    return await result;
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
async function readRealm(file: string, strict: boolean): Promise<Realm> {
  if (!strict) return loadOrCreateRealm(file);
  return parseRealm(await readFile(file, 'utf8'));
}

function sameRealm(a: Realm, b: Realm): boolean {
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
