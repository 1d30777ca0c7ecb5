/**
 * What `callsign view` watches, and the state it makes of it every
 * interval: it asks the directories `callsign network` asks (the home's
 * group directory, the host directory) and, up to the scope asked for, the
 * directories above them that their reports name; it asks the stream
 * servers named on the command line; and it turns their answers into the
 * snapshot, the tree, the rates and the charts' series.
 *
 * @module
 */
import { type Scope, scopeRank } from '../../src/directory/scope.ts';
import {
  configureDirectory,
  configureTransport,
  generateNodeKeys,
  Node,
  type Realm,
  Stop,
} from '../../src/index.ts';
import { reachedOnlyFromHere } from '../../src/internal.ts';
import type { HostIo, RealmChoice } from '../host.ts';
import {
  describeTarget,
  findTargets,
  readRealm,
  stopWithin,
  type Target,
  unknownTarget,
} from '../network.ts';
import { type DirectoryAnswer, watchDirectory } from './directory-watch.ts';
import { RateBook, type Series } from './rates.ts';
import { type AskedDirectory, buildSnapshot, type NetworkSnapshot } from './snapshot.ts';
import { type StreamsOfServer, StreamWatch } from './streams.ts';
import { LostBook, type TreeItem } from './tree.ts';

/** What the page shows (and `/api/state` gives). */
export interface ViewState {
  snapshot: NetworkSnapshot;
  tree: TreeItem[];
  /** Chart series by `session:<id>` and `listing:<id>`. */
  series: Record<string, Series>;
  streams: StreamsOfServer[];
  /** True when some directory answered the last time. */
  ready: boolean;
}

/** What the watcher watches, and whom it tells. */
export interface WatcherInit {
  realm: RealmChoice;
  io: HostIo;
  /** Between states, in ms. */
  intervalMs: number;
  /** How far up to look: directories above the host's are asked up to this scope. */
  reach: Scope;
  /** Management listings of stream servers to ask. */
  streams: readonly string[];
  /**
   * True while someone looks (a page is open, or the state or metrics were
   * asked for lately): only then are the nodes asked to count their
   * sessions' traffic, so an unwatched view adds nothing to the hot path.
   */
  watched(): boolean;
  onState(state: ViewState): void;
}

interface Watched {
  target: Target;
  known: Omit<AskedDirectory, 'answer'>;
  answer: DirectoryAnswer | undefined;
  /** Found above another directory, not by {@link findTargets}. */
  above: boolean;
  stop(): void;
}

/** Ticks between looks for directories that started or stopped (and the host log's refusals). */
const REFRESH_TICKS = 5;

const NEXT: Partial<Record<string, Target['level']>> = { group: 'host', host: 'lan', lan: 'wan' };

/** See the module. */
export class NetworkWatcher {
  readonly #init: WatcherInit;
  readonly #watched = new Map<string, Watched>();
  readonly #nodes = new Map<string, { node: Node; us: string; realm: Realm }>();
  readonly #streams = new Map<string, StreamWatch>();
  #streamNode: Node | undefined;
  readonly #rates = new RateBook();
  readonly #lost = new LostBook();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #busy = false;
  #stopped = false;

  private constructor(init: WatcherInit) {
    this.#init = init;
  }

  /** Starts watching; the first state follows within an interval. */
  static async start(init: WatcherInit): Promise<NetworkWatcher> {
    const w = new NetworkWatcher(init);
    await w.#refresh();
    w.#timer = setInterval(() => void w.#tick(), init.intervalMs);
    return w;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const w of this.#watched.values()) w.stop();
    for (const s of this.#streams.values()) s.stop();
    const nodes = [...this.#nodes.values()].map((n) => n.node);
    if (this.#streamNode) nodes.push(this.#streamNode);
    await Promise.all(nodes.map((n) => stopWithin(n, 2000)));
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      if (++this.#ticks % REFRESH_TICKS === 0) await this.#refresh();
      if (!this.#stopped) this.#init.onState(this.#state());
    } finally {
      this.#busy = false;
    }
  }

  #state(): ViewState {
    const asked: AskedDirectory[] = [];
    for (const w of this.#watched.values()) {
      if (w.answer) asked.push({ ...w.known, answer: w.answer });
    }
    const home = this.#init.realm.home?.dir ?? null;
    const snapshot = buildSnapshot(asked, home, new Date());
    this.#lookAbove(snapshot);
    this.#watchStreams(snapshot);
    const now = Date.now();
    return {
      snapshot,
      tree: this.#lost.tree(snapshot, now),
      series: this.#rates.update(snapshot, now),
      streams: [...this.#streams.values()].map((s) => s.latest),
      ready: asked.some((a) => !('code' in a.answer)),
    };
  }

  /** Watches the directories the top ones report as their parents, up to the scope asked for. */
  #lookAbove(snapshot: NetworkSnapshot): void {
    for (const w of [...this.#watched.values()]) {
      const a = w.answer;
      if (!a || 'code' in a) continue;
      const top = a.report.directories.find((d) => d.under === '')?.report;
      const level = top ? NEXT[top.level] : undefined;
      if (!top?.parent || !level || scopeRank(level) > scopeRank(this.#init.reach)) continue;
      // A WAN directory is reached only through its site's directory, which reports it.
      if (reachedOnlyFromHere(top.parent)) continue;
      if (this.#watched.has(top.parent)) continue;
      void this.#watch({ ...w.target, level, endpoint: top.parent, logFile: undefined }, true);
    }
    // One found above that is gone, and that no directory names as its parent any more.
    for (const [endpoint, w] of this.#watched) {
      if (!w.above || !w.answer || !('code' in w.answer)) continue;
      if (snapshot.directories.some((d) => d.parent === endpoint)) continue;
      w.stop();
      this.#watched.delete(endpoint);
    }
  }

  #watchStreams(snapshot: NetworkSnapshot): void {
    for (const server of this.#init.streams) {
      const listed = snapshot.listings.some((l) => l.name === server);
      const watch = this.#streams.get(server);
      if (listed && !watch) {
        const node = this.#streamNodeFor();
        if (node) this.#streams.set(server, new StreamWatch(node, server, 2000));
      } else if (!listed && watch) {
        watch.stop();
        this.#streams.delete(server);
      }
    }
  }

  /** The node that asks stream servers: its directory's parent is the group's, else the host's. */
  #streamNodeFor(): Node | undefined {
    if (this.#streamNode) return this.#streamNode;
    const watched = [...this.#watched.values()];
    const w =
      watched.find((x) => x.target.level === 'group') ??
      watched.find((x) => x.target.level === 'host');
    const realm = w ? this.#nodes.get(w.target.realmFile)?.realm : undefined;
    if (!w || !realm) return undefined;
    const node = new Node({ name: 'callsign-view' });
    configureTransport(node, { realm, keys: generateNodeKeys() });
    configureDirectory(node, {
      parent: w.target.endpoint,
      where: `callsign view (pid ${process.pid})`,
    });
    this.#streamNode = node;
    return node;
  }

  /** Looks again for the directories {@link findTargets} gives, and the host's refusals. */
  async #refresh(): Promise<void> {
    const targets = await findTargets(this.#init.realm, this.#init.io);
    const found = new Set(targets.map((t) => t.endpoint));
    for (const t of targets) {
      const w = this.#watched.get(t.endpoint);
      if (!w) await this.#watch(t, false);
      else if (t.logFile) w.known = { ...w.known, ...(await this.#describe(t)) };
    }
    for (const [endpoint, w] of this.#watched) {
      if (w.above || found.has(endpoint)) continue;
      // Stopped, and told so: dropped once it fails.
      if (w.answer && 'code' in w.answer) {
        w.stop();
        this.#watched.delete(endpoint);
      }
    }
  }

  async #describe(t: Target): Promise<Omit<AskedDirectory, 'answer'>> {
    const home = this.#init.realm.home;
    const homeRealm = home
      ? await readRealm(home.realmFile, true).catch(() => undefined)
      : undefined;
    return describeTarget(t, await readRealm(t.realmFile, t.strict), homeRealm);
  }

  async #watch(target: Target, above: boolean): Promise<void> {
    if (this.#watched.has(target.endpoint) || this.#stopped) return;
    const entry: Watched = {
      target,
      known: unknownTarget(target),
      answer: undefined,
      above,
      stop: () => {},
    };
    this.#watched.set(target.endpoint, entry);
    try {
      entry.known = await this.#describe(target);
      const { node, us } = await this.#nodeFor(target);
      const interval = this.#init.intervalMs;
      const { address } = watchDirectory(node, us, {
        endpoint: target.endpoint,
        rounds: Number.POSITIVE_INFINITY,
        intervalMs: interval,
        meter: () => this.#init.watched(),
        deadlineMs: Math.min(1500, Math.floor(interval * 0.8)),
        above: scopeRank('wan') <= scopeRank(this.#init.reach),
        onAnswer: (a) => {
          entry.answer = a;
        },
      });
      entry.stop = () => node.send(new Stop(), address);
    } catch (err) {
      entry.answer = {
        code: (err as { code?: string }).code ?? 'ERR_INVALID_REALM',
        reason: err instanceof Error ? err.message : String(err),
      };
    }
  }

  async #nodeFor(target: Target): Promise<{ node: Node; us: string }> {
    const known = this.#nodes.get(target.realmFile);
    if (known) return known;
    const realm = await readRealm(target.realmFile, target.strict);
    const node = new Node({ name: 'callsign-view' });
    const keys = generateNodeKeys();
    configureTransport(node, { realm, keys });
    const made = { node, us: Buffer.from(keys.publicKey).toString('base64').slice(0, 12), realm };
    this.#nodes.set(target.realmFile, made);
    return made;
  }
}
