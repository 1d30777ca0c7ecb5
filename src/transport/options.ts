import { CallsignError } from '../errors.ts';
import { DEFAULT_MAX_FRAME_SIZE, FRAME_OVERHEAD } from '../wire/seal.ts';
import type { ConnectionOptions } from './connection.ts';
import type { Windows } from './flow.ts';
import type { ListenerLimits } from './link.ts';
import { DEFAULT_OVERFLOW, type Overflow } from './overflow.ts';

/** Every tunable of a node's transport, with its default; see docs/transport.md. */
export interface TransportOptions
  extends ConnectionOptions,
    Omit<ListenerLimits, 'maxFrameBytes'> {}

/** The defaults of docs/transport.md. */
export const DEFAULT_WINDOWS: Windows = {
  actorMessages: 8192,
  actorBytes: 8 * 1024 * 1024,
  connectionBytes: 16 * 1024 * 1024,
};

const DEFAULTS: TransportOptions = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  maxMessageSize: 64 * 1024 * 1024,
  maxReassemblyBytes: 64 * 1024 * 1024,
  keepaliveMs: 1000,
  deadAfterMs: 2500,
  windows: DEFAULT_WINDOWS,
  overflow: DEFAULT_OVERFLOW,
  maxConnections: 1024,
  maxPending: 64,
  handshakeMs: 5000,
};

/** What the ws layer adds around a sealed frame: its own header, with room to spare. */
const WS_OVERHEAD = 16;

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new CallsignError(
      'ERR_INVALID_SETTINGS',
      `${name} must be a positive integer, not ${value}`,
    );
  }
  return value;
}

/** The options in force: `given` over the defaults, each checked. */
export function resolveOptions(given: Partial<TransportOptions>): TransportOptions {
  const o: TransportOptions = {
    ...DEFAULTS,
    ...given,
    windows: { ...DEFAULTS.windows, ...given.windows },
    overflow: { ...DEFAULTS.overflow, ...given.overflow },
  };
  for (const key of [
    'maxFrameSize',
    'maxMessageSize',
    'maxReassemblyBytes',
    'keepaliveMs',
    'deadAfterMs',
    'maxConnections',
    'maxPending',
    'handshakeMs',
  ] as const) {
    positive(key, o[key]);
  }
  for (const key of ['actorMessages', 'actorBytes', 'connectionBytes'] as const) {
    positive(`windows.${key}`, o.windows[key]);
  }
  if (!['block', 'drop-oldest', 'refuse'].includes(o.overflow.policy)) {
    throw new CallsignError('ERR_INVALID_SETTINGS', `unknown overflow policy ${o.overflow.policy}`);
  }
  if (!Number.isSafeInteger(o.overflow.limit) || o.overflow.limit < 0) {
    throw new CallsignError('ERR_INVALID_SETTINGS', 'overflow.limit must be 0 or more');
  }
  return o;
}

/** The listener limits of `options`. */
export function listenerLimits(options: TransportOptions): ListenerLimits {
  return {
    maxConnections: options.maxConnections,
    maxPending: options.maxPending,
    handshakeMs: options.handshakeMs,
    maxFrameBytes: maxFrameBytes(options),
  };
}

/** The largest frame, as the link carries it (sealed, with the ws header). */
export function maxFrameBytes(options: TransportOptions): number {
  return options.maxFrameSize + FRAME_OVERHEAD + WS_OVERHEAD;
}

/** Checks an overflow a sender chose. */
export function checkOverflow(overflow: Overflow): Overflow {
  return resolveOptions({ overflow }).overflow;
}
