import { CallsignError, type ErrorCode } from '../errors.ts';
import type {
  DialInit,
  Link,
  LinkEnding,
  LinkEvents,
  LinkListener,
  LinkTransport,
  ListenInit,
} from './link.ts';

/**
 * Links inside one process, for tests and for the compliance suite: frames
 * are handed over in a later turn of the event loop (as a socket would), in
 * order, with the same limits as a listener on a socket. `sever()` on a link
 * ends both sides as a lost connection would.
 *
 * @module
 */

/** A link of a {@link memoryTransport}. */
export type MemoryLink = Link;

class MemoryEnd implements MemoryLink {
  readonly remote: string | undefined = undefined;
  peer: MemoryEnd | undefined;
  private events: LinkEvents | undefined;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private scheduled = false;
  private ending: LinkEnding | undefined;
  private closing = false;
  private readonly whenClosed: Promise<LinkEnding>;
  private resolve: (ending: LinkEnding) => void = () => {};
  private readonly onAuthenticated: (() => void) | undefined;
  private readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number, onAuthenticated?: () => void) {
    this.maxFrameBytes = maxFrameBytes;
    this.onAuthenticated = onAuthenticated;
    this.whenClosed = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** What waits for this end to read it, which is what the peer sees as buffered. */
  get buffered(): number {
    return this.peer?.inboxBytes ?? 0;
  }

  get isClosed(): boolean {
    return this.ending !== undefined || this.closing;
  }

  attach(events: LinkEvents): void {
    this.events = events;
    this.schedule();
  }

  send(frame: Uint8Array): void {
    const peer = this.peer;
    if (this.isClosed || !peer || peer.ending) return;
    peer.inbox.push(frame);
    peer.inboxBytes += frame.length;
    peer.schedule();
  }

  authenticated(): void {
    this.onAuthenticated?.();
  }

  close(err?: CallsignError): void {
    if (this.isClosed) return;
    this.closing = true;
    const code: ErrorCode = err ? err.code : 'ERR_CLOSED';
    const reason = err ? err.message : 'closed';
    // What was sent is read first; then both ends are told.
    setImmediate(() => {
      this.end({ here: true, code, reason });
      this.peer?.afterInbox({
        here: false,
        code,
        reason: err ? `the peer closed with ${code}` : 'closed by the peer',
      });
    });
  }

  sever(): void {
    const lost: LinkEnding = {
      here: false,
      code: 'ERR_CONNECTION_LOST',
      reason: 'the connection was lost',
    };
    this.end(lost);
    this.peer?.end(lost);
  }

  closed(): Promise<LinkEnding> {
    return this.whenClosed;
  }

  private afterInbox(ending: LinkEnding): void {
    if (this.inbox.length === 0 || !this.events) this.end(ending);
    else setImmediate(() => this.afterInbox(ending));
  }

  private schedule(): void {
    if (this.scheduled || !this.events || this.inbox.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.read());
  }

  private read(): void {
    this.scheduled = false;
    const frames = this.inbox;
    this.inbox = [];
    this.inboxBytes = 0;
    for (const frame of frames) {
      if (this.ending) return;
      if (frame.length > this.maxFrameBytes) {
        this.end({ here: false, code: 'ERR_FRAME_TOO_LARGE', reason: 'frame above the limit' });
        this.peer?.end({ here: false, code: 'ERR_FRAME_TOO_LARGE', reason: 'refused by peer' });
        return;
      }
      try {
        this.events?.frame(frame);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.end({ here: true, code: 'ERR_INTERNAL', reason: e.message });
        this.peer?.end({ here: false, code: 'ERR_INTERNAL', reason: 'the peer failed' });
        return;
      }
    }
    this.peer?.events?.drain();
  }

  private end(ending: LinkEnding): void {
    if (this.ending) return;
    this.ending = ending;
    this.inbox = [];
    const events = this.events;
    this.events = undefined;
    this.resolve(ending);
    events?.end(ending);
  }
}

/** A connected pair of in-memory links. */
export function memoryLinkPair(maxFrameBytes = Number.MAX_SAFE_INTEGER): [MemoryLink, MemoryLink] {
  const a = new MemoryEnd(maxFrameBytes);
  const b = new MemoryEnd(maxFrameBytes);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Listeners of one in-memory network, by endpoint. */
interface MemoryListener {
  init: ListenInit;
  links: Set<MemoryLink>;
  pending: number;
}

/**
 * An in-process {@link LinkTransport}: `listen('mem:name')`, `dial('mem:name')`.
 * Nodes share links only if they share the transport object (one "network").
 */
export function memoryTransport(): LinkTransport & {
  /** Every link accepted or dialled so far that is still open. */
  readonly links: ReadonlySet<MemoryLink>;
} {
  const listeners = new Map<string, MemoryListener>();
  const open = new Set<MemoryLink>();
  let nextPort = 1;
  const track = (link: MemoryLink) => {
    open.add(link);
    void link.closed().then(() => open.delete(link));
  };
  return {
    name: 'memory',
    links: open,
    async listen(endpoint: string, init: ListenInit): Promise<LinkListener> {
      const name = endpoint.endsWith(':0') ? `${endpoint.slice(0, -2)}:${nextPort++}` : endpoint;
      if (listeners.has(name)) {
        throw new CallsignError('ERR_LISTEN_FAILED', `${name} is in use by another listener`);
      }
      const entry: MemoryListener = { init, links: new Set(), pending: 0 };
      listeners.set(name, entry);
      return {
        endpoint: name,
        get counts() {
          return { links: entry.links.size, pending: entry.pending };
        },
        async close() {
          listeners.delete(name);
        },
      };
    },
    async dial(endpoint: string, init: DialInit): Promise<Link> {
      const listener = listeners.get(endpoint);
      if (!listener) throw new CallsignError('ERR_CONNECT_FAILED', `nobody listens on ${endpoint}`);
      const { limits } = listener.init;
      if (listener.links.size >= limits.maxConnections) {
        throw new CallsignError('ERR_CONNECT_FAILED', `${endpoint}: ERR_TOO_MANY_CONNECTIONS`);
      }
      if (listener.pending >= limits.maxPending) {
        throw new CallsignError('ERR_CONNECT_FAILED', `${endpoint}: ERR_TOO_MANY_PENDING`);
      }
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        listener.pending--;
      };
      const near = new MemoryEnd(init.maxFrameBytes);
      const far = new MemoryEnd(limits.maxFrameBytes, settle);
      near.peer = far;
      far.peer = near;
      listener.pending++;
      listener.links.add(far);
      track(near);
      track(far);
      const deadline = listener.init.context.clock.after(limits.handshakeMs, () => {
        if (settled) return;
        listener.init.context.log(
          'WARNING',
          `listener ${endpoint}: connection refused: no handshake within ${limits.handshakeMs} ms (ERR_HANDSHAKE_TIMEOUT)`,
        );
        far.close(new CallsignError('ERR_HANDSHAKE_TIMEOUT', 'no handshake in time'));
      });
      void far.closed().then(() => {
        settle();
        listener.links.delete(far);
        listener.init.context.clock.clear(deadline);
      });
      listener.init.onLink(far);
      return near;
    },
  };
}
