/**
 * The streams of a stream server, as the view shows them: each stream's
 * size and partitions, and each consumer's positions. Asked of the server
 * through its management listing with the requests `callsign stream` makes
 * (`list`, `info`, `consumers`), every few seconds while the view runs.
 *
 * @module
 */
import { type ActorContext, type Node, Stop } from '../../src/index.ts';
import { type StreamAnswer, StreamLink, StreamManage } from '../../src/internal.ts';

/** A partition of a stream. */
export interface PartitionDescription {
  partition: number;
  messages: number;
  bytes: number;
  firstSequence: number;
  lastSequence: number;
}

/** A consumer's position in one partition. */
export interface PositionDescription {
  partition: number;
  ackFloor: number;
  nextSequence: number;
  pending: number;
  waiting: number;
}

/** One stream of a server. */
export interface StreamDescription {
  /** The server's management listing. */
  server: string;
  name: string;
  messages: number;
  bytes: number;
  partitions: PartitionDescription[];
  consumers: { name: string; positions: PositionDescription[] }[];
}

/** What the view knows of one server's streams. */
export interface StreamsOfServer {
  server: string;
  streams: StreamDescription[];
  /** Why the last asking failed, if it did. */
  error: string | null;
}

/** How long one request may take, in ms. */
const REQUEST_MS = 5000;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && !!x)
    : [];

/** The streams of an answer to `info`, and consumers of one to `consumers` (plain values). */
export function describeStream(
  server: string,
  name: string,
  info: unknown,
  consumers: unknown,
): StreamDescription {
  const i = (typeof info === 'object' && info ? info : {}) as Record<string, unknown>;
  return {
    server,
    name,
    messages: num(i.messages),
    bytes: num(i.bytes),
    partitions: list(i.partitions).map((p) => ({
      partition: num(p.partition),
      messages: num(p.messages),
      bytes: num(p.bytes),
      firstSequence: num(p.firstSequence),
      lastSequence: num(p.lastSequence),
    })),
    consumers: list(consumers).map((c) => ({
      name: String((c.config as Record<string, unknown> | undefined)?.name ?? ''),
      positions: list(c.positions).map((p) => ({
        partition: num(p.partition),
        ackFloor: num(p.ackFloor),
        nextSequence: num(p.nextSequence),
        pending: num(p.pending),
        waiting: num(p.waiting),
      })),
    })),
  };
}

/** Asks the stream server of `server` (its management listing) every `intervalMs`. */
export class StreamWatch {
  readonly server: string;
  #latest: StreamsOfServer;
  readonly #stop: () => void;

  constructor(node: Node, server: string, intervalMs: number) {
    this.server = server;
    this.#latest = { server, streams: [], error: 'not asked yet' };
    const { address } = node.start(async (self: ActorContext) => {
      const link = new StreamLink(self, server, { scope: 'host', seconds: REQUEST_MS / 1000 });
      const manage = async (action: 'list' | 'info' | 'consumers', stream?: string) => {
        const asked = link.request<InstanceType<typeof StreamAnswer>>(
          (id) => new StreamManage({ id, action, ...(stream ? { stream } : {}), args: {} }),
        );
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${REQUEST_MS} ms`)),
            REQUEST_MS,
          );
        });
        try {
          return (await Promise.race([asked, late])).value;
        } finally {
          clearTimeout(timer);
        }
      };
      for (;;) {
        try {
          const streams: StreamDescription[] = [];
          for (const row of list(await manage('list'))) {
            // A replicated stream while no NATS server answers: nothing to describe.
            if (row.unavailable !== undefined) continue;
            const name = String(row.name ?? '');
            streams.push(
              describeStream(
                server,
                name,
                await manage('info', name),
                await manage('consumers', name),
              ),
            );
          }
          this.#latest = { server, streams, error: null };
        } catch (err) {
          this.#latest = {
            server,
            streams: [],
            error: err instanceof Error ? err.message : String(err),
          };
        }
        if ((await self.select(Stop, { seconds: intervalMs / 1000 })) instanceof Stop) break;
      }
      link.close();
    });
    this.#stop = () => node.send(new Stop(), address);
  }

  /** The streams as last asked. */
  get latest(): StreamsOfServer {
    return this.#latest;
  }

  stop(): void {
    this.#stop();
  }
}
