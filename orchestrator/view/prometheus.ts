/**
 * The snapshot as Prometheus text (exposition format 0.0.4), for `/metrics`
 * of `callsign view`. Traffic is given as counters (`_total`), which restart
 * from 0 when a node's metering begins again, as Prometheus expects of
 * counters; rates are Prometheus's to compute. Pure.
 *
 * @module
 */
import type { NetworkSnapshot } from './snapshot.ts';
import type { StreamDescription } from './streams.ts';

/** The content type of {@link formatMetrics}' text. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Family {
  readonly lines: string[] = [];
  constructor(
    readonly name: string,
    readonly type: 'gauge' | 'counter',
    readonly help: string,
  ) {}

  add(labels: Labels, value: number): void {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    this.lines.push(`${this.name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
}

/** The metrics of `snapshot` and `streams`. */
export function formatMetrics(
  snapshot: NetworkSnapshot,
  streams: readonly StreamDescription[] = [],
): string {
  const families: Family[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string) => {
    const f = new Family(name, type, help);
    families.push(f);
    return f;
  };

  const up = family(
    'callsign_directory_up',
    'gauge',
    'Whether the directory answered (1) or not (0).',
  );
  const dirListings = family(
    'callsign_directory_listings',
    'gauge',
    'Listings the directory holds.',
  );
  const dirSearches = family(
    'callsign_directory_searches',
    'gauge',
    'Searches the directory holds.',
  );
  const dirRoutes = family('callsign_directory_routes', 'gauge', 'Routes the directory matched.');
  const dirChildren = family('callsign_directory_children', 'gauge', 'Links below the directory.');
  for (const d of snapshot.directories) {
    const l = { level: d.level, endpoint: d.endpoint };
    up.add(l, 1);
    dirListings.add(l, d.listings.length);
    dirSearches.add(l, d.searches.length);
    dirRoutes.add(l, d.routes);
    dirChildren.add(l, d.children.length);
  }
  for (const u of snapshot.unreachable) up.add({ level: u.level, endpoint: u.endpoint }, 0);

  const nodeSessions = family(
    'callsign_node_sessions',
    'gauge',
    'Sessions the node takes part in.',
  );
  const nodeConnections = family(
    'callsign_node_connections',
    'gauge',
    'Open connections of the node.',
  );
  const nodeWaiting = family(
    'callsign_node_waiting_messages',
    'gauge',
    'Messages waiting for a slow receiver.',
  );
  const undelivered = family(
    'callsign_node_undelivered_total',
    'counter',
    'Messages that reached no actor, by counter.',
  );
  for (const n of snapshot.nodes) {
    const l = { node: n.id, where: n.where };
    nodeSessions.add(l, n.sessions);
    nodeConnections.add(l, n.connections);
    nodeWaiting.add(l, n.waiting);
    for (const [counter, value] of Object.entries(n.undelivered)) {
      undelivered.add({ ...l, counter }, value);
    }
  }

  const sessionMessages = family(
    'callsign_session_messages_total',
    'counter',
    'Messages over the session since its node began counting, by direction.',
  );
  const sessionBytes = family(
    'callsign_session_bytes_total',
    'counter',
    'Bytes of messages over the session since its node began counting, by direction.',
  );
  for (const s of snapshot.sessions) {
    if (s.countedAt === null) continue;
    const l = {
      session: s.id,
      listing: s.name,
      subscriber: s.subscriber.where ?? '',
      publisher: s.publisher.where ?? '',
    };
    sessionMessages.add({ ...l, direction: 'to_subscriber' }, s.toSubscriber.messages);
    sessionMessages.add({ ...l, direction: 'to_publisher' }, s.toPublisher.messages);
    sessionBytes.add({ ...l, direction: 'to_subscriber' }, s.toSubscriber.bytes);
    sessionBytes.add({ ...l, direction: 'to_publisher' }, s.toPublisher.bytes);
  }

  const listingSessions = family('callsign_listing_sessions', 'gauge', 'Sessions of the listing.');
  for (const l of snapshot.listings) {
    listingSessions.add({ listing: l.name, id: l.id, scope: l.scope, where: l.where }, l.sessions);
  }

  const streamMessages = family(
    'callsign_stream_messages',
    'gauge',
    'Messages stored in the stream.',
  );
  const streamBytes = family(
    'callsign_stream_bytes',
    'gauge',
    'Bytes of data stored in the stream.',
  );
  const lastSequence = family(
    'callsign_stream_last_sequence',
    'gauge',
    'The last sequence given in the partition.',
  );
  const ackFloor = family(
    'callsign_consumer_ack_floor',
    'gauge',
    'Every sequence up to this one is acknowledged by the consumer.',
  );
  const pending = family(
    'callsign_consumer_pending',
    'gauge',
    'Deliveries awaiting acknowledgement.',
  );
  for (const s of streams) {
    const l = { stream: s.name, server: s.server };
    streamMessages.add(l, s.messages);
    streamBytes.add(l, s.bytes);
    for (const p of s.partitions)
      lastSequence.add({ ...l, partition: String(p.partition) }, p.lastSequence);
    for (const c of s.consumers) {
      for (const p of c.positions) {
        const cl = { ...l, consumer: c.name, partition: String(p.partition) };
        ackFloor.add(cl, p.ackFloor);
        pending.add(cl, p.pending);
      }
    }
  }

  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
  }
  return `${out.join('\n')}\n`;
}
