/**
 * A node's directory actor: the thin shell around {@link ProcessDirectory}.
 * It selects a message, asks the pure parts what it means, and performs the
 * effects: sends, the link to the directory above ({@link ParentLink}), the
 * node's listeners ({@link OnDemandListeners}), the connections to other
 * nodes ({@link PeerPool}) and the timers, on the node's clock. `publish`,
 * `subscribe`, `clear` and `retract` reach it as messages in its mailbox:
 * nothing changes outside its own turn.
 *
 * @module
 */
import { listingInfo, searchInfo } from '../directory/convert.ts';
import { type ParentEvent, ParentLink } from '../directory/parent-link.ts';
import { Sync, SyncComplete } from '../directory/protocol.ts';
import { isScope, scopeRank } from '../directory/scope.ts';
import { codeOf, toError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import {
  Abandoned,
  Ack,
  Closed,
  Enquiry,
  Listening,
  NotListening,
  Stop,
} from '../messages/standard.ts';
import { ActorAddress } from '../runtime/address.ts';
import type { ActorContext } from '../runtime/context.ts';
import { background } from '../runtime/repeating-task.ts';
import {
  type ListenEvent,
  type ListenerKind,
  OnDemandListeners,
} from '../transport/on-demand-listeners.ts';
import { PeerPool } from '../transport/peer-pool.ts';
import { relayClientOf } from '../transport/relay/client.ts';
import { RELAY_SCHEME } from '../transport/relay/pass.ts';
import { listen, localIdentity, setOverflow } from '../transport/transport.ts';
import { type Effect, send } from './effects.ts';
import { NotPublished, NotSubscribed } from './messages.ts';
import { NodeReporter } from './node-reporter.ts';
import type { SearchSpec } from './options.ts';
import { choiceOf, ProcessDirectory, type PublishAsk } from './process-directory.ts';
import {
  ActorEnded,
  ClearRequest,
  OpenDeadline,
  PublishRequest,
  RetractRequest,
  RetryRoute,
  SubscribeRequest,
} from './requests.ts';
import { sessionSocketEndpoint, socketFolder, sweepSockets } from './socket-folder.ts';

/** Settings of {@link directoryActor}. */
export interface DirectoryActorSettings {
  /** The directory above, if any. */
  parent: string | undefined;
  /** How the node's actors are described. */
  where: string;
  /** Given the pure parts and the listeners' endpoints once the node's identity is known. */
  attach(core: ProcessDirectory, endpoints: () => string[]): void;
  /**
   * Listen for sessions from the start (on this host), not at the first
   * publish, so the first session finds the accepting side ready.
   */
  listenAtStart?: boolean;
  /** Called once the link above has had its first answer (or there is none) and, with `listenAtStart`, the listener runs or failed. */
  ready?: () => void;
}

/** A publish waiting for the node's listeners. */
interface Waiting {
  actor: ActorAddress;
  ask: PublishAsk;
  kinds: ListenerKind[];
}

/** The directory actor of a node: see the module. */
export async function directoryActor(
  self: ActorContext,
  settings: DirectoryActorSettings,
): Promise<void> {
  const node = self.node;
  const link = settings.parent ? new ParentLink(self, { endpoint: settings.parent }) : undefined;
  let sweep: Promise<number> | undefined;
  const listeners = new OnDemandListeners(self, {
    unixEndpoint: () => {
      const dir = socketFolder();
      sweep ??= sweepSockets(dir);
      return sessionSocketEndpoint(dir);
    },
  });
  const pool = new PeerPool(self);
  const deadlines = new Map<string, unknown>();
  const waiting: Waiting[] = [];
  /** The listener of circuits through the WAN relay: none, asked, or its endpoint. */
  let relayListener: 'none' | 'asked' | 'listening' = 'none';
  const first = link?.start();
  const notice = (m: Message) => node.send(m, self.address, self.address);
  let core: ProcessDirectory;
  let reporter: NodeReporter;
  try {
    const { publicKey, nodeId } = await localIdentity(node);
    core = new ProcessDirectory({
      nodeKey: publicKey,
      nodeId,
      where: settings.where,
      hasParent: !!link,
    });
    reporter = new NodeReporter(self, { core, where: settings.where, nodeId });
  } catch (err) {
    link?.stop();
    settings.ready?.();
    return unusable(self, err);
  }
  settings.attach(core, () => listeners.endpoints);
  // A peer's Stop (or any runtime control message) reaches only an actor in session with it.
  const ungate = node.admitControl((to, from) => core.sessions.between(to, from) !== undefined);

  const perform = (effects: Effect[]): void => {
    for (const e of effects) {
      if (e.kind === 'send') {
        // Nothing to tell an actor that has ended.
        if (!e.to.isLocal || node.cell(e.to.id)) node.send(e.message, e.to, e.from ?? self.address);
      } else if (e.kind === 'up') {
        if (link?.parent) node.send(e.message, link.parent, self.address);
      } else if (e.kind === 'connect') {
        const a = pool.get(e.endpoints, e.local, e.sessionId, e.seconds);
        if (a.kind === 'ready') perform(core.peers.peerReady(e.sessionId, a.peer));
        else if (a.kind === 'failed') perform(core.peers.peerFailed(e.sessionId, a.code, a.reason));
      } else if (e.kind === 'deadline') {
        const fire = () => notice(new OpenDeadline({ sessionId: e.sessionId }));
        deadlines.set(e.sessionId, node.clock.after(e.ms, fire));
      } else if (e.kind === 'retry') {
        const { searchId, key, listingId } = e;
        const fire = () => notice(new RetryRoute({ searchId, key, listingId }));
        background(node.clock.after(e.ms, fire));
      } else if (e.kind === 'cancel-open') {
        node.clock.clear(deadlines.get(e.sessionId));
        deadlines.delete(e.sessionId);
        pool.forget(e.sessionId);
      } else if (e.kind === 'relay') {
        relayClientOf(node).admit(e.pass);
        if (e.listen && relayListener === 'none') {
          relayListener = 'asked';
          listen(self, `${RELAY_SCHEME}:`);
        }
      } else if (e.kind === 'overflow') {
        const options = e.limit === undefined ? {} : { limit: e.limit };
        setOverflow({ node, address: e.sender }, e.remote, e.policy, options);
      } else if (e.kind === 'watch') {
        node.watch(e.actor.id, () => notice(new ActorEnded({ actor: e.actor })));
      } else {
        self.log(e.level, e.text);
      }
    }
  };

  let parentSettled = !link;
  let listenerSettled = !settings.listenAtStart;
  let told = false;
  const tellReady = () => {
    if (told || !parentSettled || !listenerSettled) return;
    told = true;
    settings.ready?.();
  };
  const onParent = (event: ParentEvent): Effect[] => {
    // Reachable once the directory above holds this node's tables (its SyncComplete), or
    // once there is no directory above to wait for.
    if (event.kind === 'lost' || event.kind === 'failed' || event.kind === 'settled') {
      parentSettled = true;
      tellReady();
    }
    if (event.kind === 'connected') {
      const { listings, searches } = core.table.snapshot();
      const sync = new Sync({
        where: settings.where,
        listings: listings.map(listingInfo),
        searches: searches.map(searchInfo),
      });
      node.send(sync, event.parent, self.address);
      return core.upstream.connected();
    }
    if (event.kind === 'lost') return core.upstream.lost();
    if (event.kind === 'failed' && event.refused) {
      return core.upstream.refused(event.code, event.reason, event.endpoint);
    }
    if (event.kind === 'failed' || event.kind === 'settled') return core.upstream.unreachable();
    return [];
  };

  /** Publishes once the listeners the scope needs run (none within the process). */
  const publish = (actor: ActorAddress, ask: PublishAsk): Effect[] => {
    if (ask.scope === 'process' || !isScope(ask.scope)) return core.publish(actor, ask, []);
    const lan = scopeRank(ask.scope) >= scopeRank('lan');
    const kinds: ListenerKind[] = lan ? ['unix', 'tcp'] : ['unix'];
    const a = listeners.need(kinds);
    if (a.kind === 'ready') return core.publish(actor, ask, a.endpoints);
    waiting.push({ actor, ask, kinds });
    return [];
  };

  const onListen = (event: ListenEvent): Effect[] => {
    listenerSettled = true;
    tellReady();
    const out: Effect[] = [];
    for (const w of [...waiting]) {
      if (event.kind === 'failed' && w.kinds.includes(event.listener)) {
        waiting.splice(waiting.indexOf(w), 1);
        const reason = `cannot listen for sessions: ${event.reason}`;
        out.push(core.notPublished(w.actor, w.ask, event.code, reason));
        continue;
      }
      const a = listeners.need(w.kinds);
      if (a.kind !== 'ready') continue;
      waiting.splice(waiting.indexOf(w), 1);
      out.push(...core.publish(w.actor, w.ask, a.endpoints));
    }
    return out;
  };

  /** Forgets the publishes of `actor` still waiting; answers how many. */
  const dropWaiting = (actor: ActorAddress): number => {
    const before = waiting.length;
    waiting.splice(0, waiting.length, ...waiting.filter((w) => !w.actor.equals(actor)));
    return before - waiting.length;
  };

  const fromActor = (m: Message, from: ActorAddress): Effect[] => {
    if (m instanceof PublishRequest) return publish(from, m);
    if (m instanceof SubscribeRequest) {
      const overflow = choiceOf(m.overflow, m.overflowLimit);
      return core.subscribe(from, specOf(m), m.scope, overflow);
    }
    if (m instanceof ClearRequest) {
      return m.other instanceof ActorAddress ? core.clear(from, m.other) : [];
    }
    if (m instanceof RetractRequest) return core.retract(from, dropWaiting(from));
    if (m instanceof Enquiry) return [send(new Ack(), from)];
    if (!from.equals(self.address)) return [];
    if (m instanceof ActorEnded && m.actor instanceof ActorAddress) {
      dropWaiting(m.actor);
      return core.actorEnded(m.actor);
    }
    if (m instanceof OpenDeadline) {
      deadlines.delete(m.sessionId);
      return core.peers.openTimedOut(m.sessionId);
    }
    if (m instanceof RetryRoute) return core.retryRoute(m.searchId, m.key, m.listingId);
    return [];
  };

  /** The answer to the relay listener (the transport sends it with no return address). */
  const relayListened = (m: Message, from: ActorAddress | undefined): boolean => {
    if (from !== undefined || relayListener !== 'asked') return false;
    if (m instanceof Listening && m.endpoint.startsWith(`${RELAY_SCHEME}:`)) {
      relayListener = 'listening';
      self.debug(`reached through the WAN relay at ${m.endpoint}`);
      return true;
    }
    if (m instanceof NotListening && m.endpoint.startsWith(`${RELAY_SCHEME}:`)) {
      relayListener = 'none';
      self.warning(`cannot be reached through the WAN relay: ${m.reason} (${m.code})`);
      return true;
    }
    return false;
  };

  const handle = (m: Message, from: ActorAddress | undefined): Effect[] => {
    // Whoever watches the network (through the directory above, or a connection of its own).
    if (reporter.handle(m, from)) return [];
    const up = link?.handle(m, from);
    if (up) return onParent(up);
    if (relayListened(m, from)) return [];
    const listened = listeners.handle(m, from);
    if (listened) return onListen(listened);
    const peer = pool.handle(m, from);
    if (peer?.kind === 'ready')
      return peer.waiting.flatMap((id) => core.peers.peerReady(id, peer.peer));
    if (peer?.kind === 'failed') {
      return peer.waiting.flatMap((id) => core.peers.peerFailed(id, peer.code, peer.reason));
    }
    if ((m instanceof Abandoned || m instanceof Closed) && from) {
      const code = m instanceof Abandoned ? m.code : 'ERR_CLOSED';
      return core.peers.peerLost(from, code, m.reason ?? '');
    }
    if (from?.isLocal) return fromActor(m, from);
    if (from && link?.parent?.equals(from)) {
      if (m instanceof SyncComplete) {
        parentSettled = true;
        tellReady();
      }
      return core.upstream.fromParent(m);
    }
    // Liveness of this node's directory, for `callsign ping`.
    if (m instanceof Enquiry && from) return [send(new Ack(), from)];
    return from ? core.peers.fromPeer(m, from) : [];
  };

  if (first) perform(onParent(first));
  if (settings.listenAtStart) listeners.need(['unix']);
  tellReady();
  for (;;) {
    const m = await self.select();
    if (m instanceof Stop) break;
    try {
      perform(handle(m, self.returnAddress));
    } catch (err) {
      self.warning(`directory: ${toError(err).message} (${codeOf(err, 'ERR_INVALID_STATE')})`);
    }
  }
  ungate();
  link?.stop();
  reporter.stop();
  for (const timer of deadlines.values()) node.clock.clear(timer);
  await sweep;
}

/** Without an identity (a bad realm or key file) nothing can be published: say so to every asker. */
async function unusable(self: ActorContext, err: unknown): Promise<void> {
  const code = codeOf(err, 'ERR_INVALID_REALM');
  const reason = `this node has no identity: ${toError(err).message}`;
  self.warning(`${reason} (${code})`);
  for (;;) {
    const m = await self.select();
    const from = self.returnAddress;
    if (m instanceof Stop) return;
    if (!from?.isLocal) continue;
    if (m instanceof PublishRequest) {
      self.send(new NotPublished({ name: m.name, scope: m.scope, code, reason }), from);
    } else if (m instanceof SubscribeRequest) {
      self.send(new NotSubscribed({ search: m.pattern, code, reason }), from);
    }
  }
}

function specOf(m: SubscribeRequest): SearchSpec {
  if (m.kind === 'regex') return { kind: 'regex', source: m.pattern, flags: m.flags ?? '' };
  if (m.kind === 'subject') return { kind: 'subject', subject: m.pattern };
  return { kind: 'name', name: m.pattern };
}
