import { duplexPair } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ErrorCode } from '../../../src/errors.ts';
import { manualClock } from '../../../src/runtime/clock.ts';
import type { LinkContext, LinkEnding } from '../../../src/transport/link.ts';
import { guardSocket, wsLink } from '../../../src/transport/ws-link.ts';
import { type WsFrameSpec, wsFrameBytes } from '../../helpers/ws-frames.ts';
import { below, concat, mutate, prng, randomBytes } from './fuzz-helpers.ts';

/**
 * The WebSocket framing level, fuzzed: seeded inputs (bad opcodes, reserved
 * bits, unmasked frames, oversized and undersized lengths, long control
 * frames, interleaved fragments, bad close codes, truncated input, random
 * mutations of valid sequences) go through the very code a listener runs
 * (the handshake guard, the ws library's receiver, our ws link) over an
 * in-memory socket. Every input must end its link with a code, never with an
 * exception, and never deliver more than the phase allows.
 */

const MAX_PAYLOAD = 64 * 1024;
const HANDSHAKE_MAX = 256;
const ALLOWED: ReadonlySet<ErrorCode> = new Set([
  'ERR_WS_PROTOCOL',
  'ERR_FRAME_TOO_LARGE',
  'ERR_HANDSHAKE_TOO_LARGE',
  'ERR_CONNECTION_LOST',
  'ERR_CLOSED',
]);

type FrameSpec = Omit<WsFrameSpec, 'maskKey'> & { mask?: boolean };

function wsFrame(random: () => number, spec: FrameSpec): Uint8Array {
  const { mask = true, ...rest } = spec;
  return wsFrameBytes({ ...rest, maskKey: mask ? randomBytes(random, 4) : undefined });
}

function closePayload(code: number, reason = ''): Uint8Array {
  const text = new TextEncoder().encode(reason);
  return concat([Uint8Array.of(code >> 8, code & 0xff), text]);
}

/** One input: a scenario from the list in the module comment. */
function input(random: () => number): Uint8Array {
  const hello = () => wsFrame(random, { opcode: 2, payload: randomBytes(random, 66) });
  const valid = () =>
    concat([
      hello(),
      wsFrame(random, { opcode: 9, payload: randomBytes(random, below(random, 20)) }),
      wsFrame(random, { opcode: 2, payload: randomBytes(random, 20), fin: false }),
      wsFrame(random, { opcode: 0, payload: randomBytes(random, 20) }),
      wsFrame(random, { opcode: 2, payload: randomBytes(random, 116) }),
    ]);
  switch (below(random, 12)) {
    case 0:
      return concat([
        hello(),
        wsFrame(random, {
          opcode: [3, 4, 5, 6, 7, 11, 12, 15][below(random, 8)]!,
          payload: randomBytes(random, 4),
        }),
      ]);
    case 1:
      return wsFrame(random, {
        opcode: 2,
        payload: randomBytes(random, 8),
        rsv: 1 + below(random, 7),
      });
    case 2:
      return wsFrame(random, { opcode: 2, payload: randomBytes(random, 66), mask: false });
    case 3: {
      const declared = [2 ** 62, 100 * 1024 * 1024, 2 ** 53 + 1, MAX_PAYLOAD + 1, 1024 * 1024][
        below(random, 5)
      ]!;
      return wsFrame(random, {
        opcode: 2,
        payload: randomBytes(random, below(random, 300)),
        declared,
        form: 64,
      });
    }
    case 4:
      // Announces less than it carries: the rest reads as the next header.
      return wsFrame(random, {
        opcode: 2,
        payload: randomBytes(random, 40),
        declared: below(random, 40),
      });
    case 5:
      return wsFrame(random, {
        opcode: [8, 9, 10][below(random, 3)]!,
        payload: randomBytes(random, 126 + below(random, 200)),
        form: 16,
      });
    case 6:
      // Fragments interleaved: a continuation first, or a new message inside a fragmented one.
      return below(random, 2) === 0
        ? wsFrame(random, { opcode: 0, payload: randomBytes(random, 10) })
        : concat([
            wsFrame(random, { opcode: 2, payload: randomBytes(random, 10), fin: false }),
            wsFrame(random, { opcode: 2, payload: randomBytes(random, 10) }),
          ]);
    case 7: {
      const code = [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535][below(random, 9)]!;
      const payload =
        below(random, 3) === 0
          ? Uint8Array.of(3)
          : closePayload(code, below(random, 2) ? '\u00ff' : '');
      return wsFrame(random, { opcode: 8, payload });
    }
    case 8: {
      const all = valid();
      return all.subarray(0, below(random, all.length));
    }
    case 9:
      return randomBytes(random, below(random, 64));
    case 10:
      // A frame too large for the handshake, announced honestly.
      return wsFrame(random, {
        opcode: 2,
        payload: randomBytes(random, HANDSHAKE_MAX + 1 + below(random, 2000)),
      });
    default:
      return mutate(random, valid());
  }
}

const context: LinkContext = { clock: manualClock(), log: () => {} };

/** Feeds `bytes` (in random chunks) to a fresh link, as a peer would; resolves with what happened. */
async function feed(
  random: () => number,
  bytes: Uint8Array,
  handshake: boolean,
): Promise<{ ending: LinkEnding; largest: number }> {
  const [ours, theirs] = duplexPair();
  const guard = handshake ? guardSocket(ours, context, 'fuzz') : undefined;
  const ws = new (WebSocket as unknown as new (...args: unknown[]) => WebSocket)(
    null,
    undefined,
    {},
  );
  (ws as unknown as { setSocket: (...args: unknown[]) => void }).setSocket(ours, Buffer.alloc(0), {
    maxPayload: MAX_PAYLOAD,
    allowSynchronousEvents: true,
    skipUTF8Validation: true,
  });
  const link = wsLink(ws, { context, socket: ours, remote: undefined, guard });
  let largest = 0;
  link.attach({
    frame: (frame) => {
      largest = Math.max(largest, frame.length);
    },
    drain: () => {},
    end: () => {},
  });
  theirs.on('data', () => {});
  theirs.on('error', () => {});
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + below(random, bytes.length - at);
    theirs.write(bytes.subarray(at, at + n));
    at += n;
  }
  theirs.end();
  return { ending: await link.closed(), largest };
}

async function fuzz(seed: number, count: number, handshake: boolean) {
  const random = prng(seed);
  const seen = new Map<string, number>();
  const BATCH = 500;
  for (let done = 0; done < count; done += BATCH) {
    const runs: Promise<void>[] = [];
    for (let i = 0; i < BATCH && done + i < count; i++) {
      runs.push(
        feed(random, input(random), handshake).then(({ ending, largest }) => {
          seen.set(ending.code, (seen.get(ending.code) ?? 0) + 1);
          if (!ALLOWED.has(ending.code))
            throw new Error(`ended with ${ending.code}: ${ending.reason}`);
          if (largest > (handshake ? HANDSHAKE_MAX : MAX_PAYLOAD)) {
            throw new Error(`a frame of ${largest} bytes got through`);
          }
        }),
      );
    }
    await Promise.all(runs);
  }
  return seen;
}

describe('ws framing, fuzzed', () => {
  it('60 000 inputs before the handshake end their own link with a code, none larger than a handshake message', async () => {
    const seen = await fuzz(0x5eed1, 60_000, true);
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(60_000);
    // The scenarios reach the refusals they aim at.
    expect(seen.get('ERR_WS_PROTOCOL')).toBeGreaterThan(1000);
    expect(seen.get('ERR_HANDSHAKE_TOO_LARGE')).toBeGreaterThan(1000);
  }, 120_000);

  it('40 000 inputs after the handshake end their own link with a code, none above the frame limit', async () => {
    const seen = await fuzz(0x5eed2, 40_000, false);
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(40_000);
    expect(seen.get('ERR_FRAME_TOO_LARGE')).toBeGreaterThan(100);
    expect(seen.get('ERR_WS_PROTOCOL')).toBeGreaterThan(1000);
  }, 120_000);
});
