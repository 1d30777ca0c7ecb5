/**
 * What a connection is given and what it tells its owner: its tunables
 * (docs/transport.md) and how it ended.
 *
 * @module
 */
import type { ErrorCode } from '../errors.ts';
import type { Windows } from './flow.ts';
import type { Overflow } from './overflow.ts';

/** Tunables of a connection; see docs/transport.md. */
export interface ConnectionOptions {
  /** The largest frame plaintext, in bytes. Default 1 MiB. */
  maxFrameSize: number;
  /** The largest message (after fragments are put together), in bytes. Default 64 MiB. */
  maxMessageSize: number;
  /** Bytes unfinished fragmented messages may hold per connection. Default: maxMessageSize. */
  maxReassemblyBytes: number;
  /** Send a keep-alive probe after this much silence from the peer, in ms. Default 1000. */
  keepaliveMs: number;
  /** Close as Abandoned after this much silence from the peer, in ms. Default 2500. */
  deadAfterMs: number;
  /** What this side lets the peer have in flight; see flow.ts. */
  windows: Windows;
  /** The overflow policy of senders that chose none. */
  overflow: Overflow;
}

/** How a connection ended, as its owner hears it. */
export interface Ending {
  /** True when this side ended it (Closed); false when the peer did or it was lost (Abandoned). */
  here: boolean;
  code: ErrorCode | undefined;
  reason: string;
}
