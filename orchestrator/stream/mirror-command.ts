/**
 * `callsign stream mirror <name> [--to <name>] [--once]`: mirrors a local
 * stream (the store the command names, or the server that has it open)
 * into a replicated one on NATS JetStream (the `nats` driver; its servers
 * from `--mirror.servers`, `CALLSIGN_NATS_SERVERS` or the home's
 * `nats.json`). Without `--once` it goes on until Ctrl-C.
 *
 * @module
 */
import {
  type MirrorProgress,
  type MirrorSource,
  mirrorStream,
  openStreamStore,
  type StreamInfo,
} from '../../src/index.ts';
import type { HostIo } from '../host.ts';
import { onStopSignals } from '../signals.ts';
import type { StreamTarget } from './target.ts';

/** What `stream mirror` was given. */
export interface MirrorCommand {
  readonly stream: string;
  readonly to?: string;
  readonly once: boolean;
  readonly json: boolean;
  /** The `nats` driver's options (`--mirror.servers` ...). */
  readonly natsOptions: Record<string, unknown>;
}

function sourceOf(t: StreamTarget): MirrorSource {
  return {
    info: async (stream) => (await t.manage('info', stream)) as StreamInfo,
    read: (stream, at) => t.read(stream, at),
  };
}

function line(p: MirrorProgress): string {
  const at = p.positions.map((q) => `${q.partition}:${q.next - 1}→${q.targetLast}`).join(' ');
  return `mirror ${p.stream} → ${p.to}: ${p.copied} copied; partition:source→target ${at}${p.retrying ? `; retrying after: ${p.retrying}` : ''}\n`;
}

/** Runs the mirror until done (`--once`) or stopped. */
export async function runMirror(c: MirrorCommand, io: HostIo, source: StreamTarget): Promise<void> {
  const target = await openStreamStore({ driver: 'nats', options: c.natsOptions, env: io.env });
  const stop = new AbortController();
  const unhook = c.once
    ? () => {}
    : onStopSignals(
        () => stop.abort(),
        () => process.exit(130),
      );
  try {
    let last = 0;
    const done = await mirrorStream({
      source: sourceOf(source),
      target,
      stream: c.stream,
      ...(c.to ? { to: c.to } : {}),
      once: c.once,
      signal: stop.signal,
      onProgress: (p) => {
        if (c.json) return;
        const now = Date.now();
        if (p.retrying || now - last > 1000) {
          last = now;
          io.stderr(line(p));
        }
      },
    });
    io.stdout(c.json ? `${JSON.stringify(done, null, 2)}\n` : line(done));
  } finally {
    unhook();
    await target.close();
  }
}
