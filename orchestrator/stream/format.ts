/**
 * How the stream commands print: tables and summaries for people, one JSON
 * document (or one per line for views) with `--json`, and a progress line on
 * stderr for long views and purges.
 *
 * @module
 */

import type { ConsumerInfo, StoredRecord, StreamInfo } from '../../src/index.ts';
import { formatDuration, formatTable } from '../table.ts';

/** One row of `stream list`: a stream's counts, or the code saying why it cannot be reached now. */
export type StreamListRow =
  | {
      name: string;
      messages: number;
      bytes: number;
      partitions: number;
      consumers: number;
      unavailable?: undefined;
    }
  | { name: string; unavailable: string };

/** A list of streams as `stream list` prints it. */
export function formatStreamList(rows: readonly StreamListRow[]): string {
  if (rows.length === 0)
    return 'no streams: make one with `callsign stream create --name <name>`\n';
  return formatTable([
    ['STREAM', 'MESSAGES', 'BYTES', 'PARTITIONS', 'CONSUMERS'],
    ...rows.map((r) =>
      r.unavailable !== undefined
        ? [r.name, `unavailable (${r.unavailable})`, '', '', '']
        : [r.name, String(r.messages), String(r.bytes), String(r.partitions), String(r.consumers)],
    ),
  ]);
}

const limit = (n: number, unit = '') => (n === 0 ? 'none' : `${n}${unit}`);

/** One stream's configuration and state. */
export function formatStreamInfo(info: StreamInfo, now = Date.now()): string {
  const c = info.config;
  const lines = [
    `stream ${c.name}: ${info.messages} messages, ${info.bytes} bytes, ${info.consumers} consumers`,
    `  subjects   ${c.subjects.join(' ')}`,
    `  retention  ${c.retention}, discard ${c.discard}${c.compact ? ', compacted by key' : ''}, durability ${c.durability}`,
    `  limits     messages ${limit(c.maxMessages)}, bytes ${limit(c.maxBytes)}, age ${c.maxAgeMs ? formatDuration(c.maxAgeMs) : 'none'}, per subject ${limit(c.maxPerSubject)}, per key ${limit(c.maxPerKey)}, message size ${c.maxMessageSize}`,
    `  duplicates ${formatDuration(c.duplicateWindowMs)} window`,
    ...(c.storage || c.sealed
      ? [
          `  kept       ${c.storage ?? 'in the store'}${c.sealed ? ', sealed (ciphertext only)' : ''}`,
        ]
      : []),
    `  created    ${new Date(info.created).toISOString()} (${formatDuration(now - info.created)} ago)`,
  ];
  const table = formatTable([
    ['PARTITION', 'MESSAGES', 'BYTES', 'FIRST', 'LAST'],
    ...info.partitions.map((p) => [
      String(p.partition),
      String(p.messages),
      String(p.bytes),
      String(p.firstSequence),
      String(p.lastSequence),
    ]),
  ]);
  return `${lines.join('\n')}\n${table}`;
}

/** Consumers as `consumer list` prints them. */
export function formatConsumers(infos: readonly ConsumerInfo[]): string {
  if (infos.length === 0) return 'no consumers\n';
  return formatTable([
    ['CONSUMER', 'MODE', 'FILTER', 'ACK FLOOR', 'PENDING', 'WAITING'],
    ...infos.map((c) => [
      c.config.name,
      c.config.mode,
      c.config.filter,
      c.positions.map((p) => p.ackFloor).join(','),
      String(c.positions.reduce((n, p) => n + p.pending, 0)),
      String(c.positions.reduce((n, p) => n + p.waiting, 0)),
    ]),
  ]);
}

/** One consumer in full. */
export function formatConsumerInfo(c: ConsumerInfo): string {
  const start = c.config.start;
  const lines = [
    `consumer ${c.config.name} of ${c.stream}: ${c.config.mode}, filter ${c.config.filter}, start ${start.kind}`,
    `  ack wait ${formatDuration(c.config.ackWaitMs)}, max deliveries ${limit(c.config.maxDeliveries)}, max ack pending ${c.config.maxAckPending}`,
  ];
  const table = formatTable([
    ['PARTITION', 'ACK FLOOR', 'NEXT', 'PENDING', 'WAITING'],
    ...c.positions.map((p) => [
      String(p.partition),
      String(p.ackFloor),
      String(p.nextSequence),
      String(p.pending),
      String(p.waiting),
    ]),
  ]);
  return `${lines.join('\n')}\n${table}`;
}

const PRINTABLE = /^[\p{L}\p{N}\p{P}\p{S}\p{Zs}]*$/u;

/** A record as one line of `stream view`. */
export function formatRecord(r: StoredRecord): string {
  const data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const asText = data.toString('utf8');
  const preview =
    r.type !== undefined
      ? `${r.type} (${r.size} B)`
      : PRINTABLE.test(asText) && !asText.includes('\uFFFD')
        ? JSON.stringify(asText.length > 80 ? `${asText.slice(0, 80)}…` : asText)
        : `0x${data.subarray(0, 24).toString('hex')}${data.length > 24 ? '…' : ''} (${r.size} B)`;
  const key = r.key === undefined ? '' : `  key=${r.key}`;
  return `${r.partition}:${r.sequence}  ${new Date(r.publishTime).toISOString()}  ${r.subject}${key}  ${preview}\n`;
}

/** A record as one JSON line of `stream view --json` (data in base64). */
export function recordJson(r: StoredRecord): string {
  const data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64');
  return `${JSON.stringify({ ...r, data, publishTime: new Date(r.publishTime).toISOString() })}\n`;
}

/** Prints a progress line at most once a second: always with `force`, else only on a terminal. */
export function progressLine(write: (text: string) => void, force: boolean, tty: boolean) {
  let last = 0;
  const started = Date.now();
  return {
    show(text: string): void {
      const now = Date.now();
      if (!force && (!tty || now - started < 1000)) return;
      if (!force && now - last < 1000) return;
      last = now;
      write(tty && !force ? `\r${text}` : `${text}\n`);
    },
    end(): void {
      if (tty && !force && last > 0) write('\n');
    },
  };
}
