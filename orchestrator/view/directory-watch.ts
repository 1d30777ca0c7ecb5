/**
 * Asks one directory for network reports over one connection that it keeps
 * (and makes again when lost): an actor that sends {@link NetworkEnquiry}
 * every interval and hands each answer, or why there is none, to a callback.
 * `callsign network` asks once (twice to measure rates), `callsign view`
 * until it stops.
 *
 * @module
 */
import {
  Abandoned,
  type ActorAddress,
  type ActorContext,
  Closed,
  Connected,
  connect,
  type Node,
  NotConnected,
  SelectTimer,
  Stop,
} from '../../src/index.ts';
import { NetworkEnquiry, NetworkReport } from '../../src/internal.ts';

/** How long a connection to a directory may take, in seconds. */
export const CONNECT_SECONDS = 3;

/** A directory's report, and how the asker's own link shows among its children; or why there is none. */
export type DirectoryAnswer =
  | { report: NetworkReport; us: string }
  | { code: string; reason: string };

/** What {@link watchDirectory} does. */
export interface DirectoryWatchInit {
  endpoint: string;
  /** How many enquiries to make (`Infinity`: until stopped). */
  rounds: number;
  /** Between enquiries, in ms. */
  intervalMs: number;
  /** Ask the nodes to count their sessions' traffic (asked again before each enquiry). */
  meter: boolean | (() => boolean);
  /** How long the directory may wait for those below it, in ms. */
  deadlineMs: number;
  /** Also ask for the WAN directory above, which only the directory asked can reach. */
  above: boolean;
  /** Told each answer (in the watching actor's turn). */
  onAnswer(answer: DirectoryAnswer): void;
}

/**
 * Starts the watching actor on `node` (`us`: how the node's links show
 * among a directory's children, its key's first 12 base64 characters).
 * Send it Stop to end it early.
 */
export function watchDirectory(
  node: Node,
  us: string,
  init: DirectoryWatchInit,
): { address: ActorAddress; done: Promise<unknown> } {
  const metering = typeof init.meter === 'function' ? init.meter : () => init.meter === true;
  const { address, result } = node.start(async (self: ActorContext) => {
    let directory: ActorAddress | undefined;
    let id = 0;
    /** Waits `ms`; true when told to stop meanwhile. */
    const pause = async (ms: number) =>
      (await self.select(Stop, { seconds: ms / 1000 })) instanceof Stop;
    for (let round = 0; round < init.rounds; round++) {
      if (round > 0 && (await pause(init.intervalMs))) break;
      if (directory === undefined) {
        connect(self, init.endpoint, { seconds: CONNECT_SECONDS });
        const c = await self.select(Connected, NotConnected, Stop, {
          seconds: CONNECT_SECONDS + 1,
        });
        if (c instanceof Stop) break;
        if (c instanceof SelectTimer) {
          init.onAnswer({
            code: 'ERR_CONNECT_FAILED',
            reason: `no connection within ${CONNECT_SECONDS} s`,
          });
          continue;
        }
        if (c instanceof NotConnected) {
          init.onAnswer({ code: c.code, reason: c.reason });
          continue;
        }
        directory = self.returnAddress;
        if (directory === undefined) {
          init.onAnswer({ code: 'ERR_CONNECT_FAILED', reason: 'no directory actor' });
          continue;
        }
      }
      const asked = ++id;
      self.send(
        new NetworkEnquiry({
          id: asked,
          deadlineMs: init.deadlineMs,
          meter: metering(),
          above: init.above,
        }),
        directory,
      );
      const seconds = (init.deadlineMs + 2000) / 1000;
      for (;;) {
        const r = await self.select(NetworkReport, Abandoned, Closed, Stop, { seconds });
        if (r instanceof Stop) return;
        if (r instanceof SelectTimer) {
          init.onAnswer({ code: 'ERR_TIMEOUT', reason: `no NetworkReport within ${seconds} s` });
          break;
        }
        if (r instanceof Abandoned || r instanceof Closed) {
          directory = undefined;
          init.onAnswer({
            code: r.code ?? 'ERR_CLOSED',
            reason: r.reason ?? 'the connection ended',
          });
          break;
        }
        if (r.id === asked) {
          init.onAnswer({ report: r, us });
          break;
        }
        // An answer to an enquiry given up on: skipped.
      }
    }
  });
  return { address, done: result };
}
