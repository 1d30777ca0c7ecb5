/**
 * `callsign stream view`, `purge` and `update`: reading every partition (or
 * one) from a start, following new messages, purging in steps, each with a
 * progress line; changing a stream's options, the others kept.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { CallsignError } from '../../src/errors.ts';
import type { StoredRecord, StreamInfo } from '../../src/index.ts';
import type { HostIo } from '../host.ts';
import { onStopSignals } from '../signals.ts';
import { onStopKeys } from '../stop-keys.ts';
import { formatRecord, formatStreamInfo, progressLine, recordJson } from './format.ts';
import { type Args, choiceOf, nameOf, print } from './options.ts';
import type { StreamTarget } from './target.ts';

/** View: every partition (or one), from a start, following new messages with `--follow`. */
/**
 * What `view` shows of a record of a sealed stream: opened with the key of
 * `--seal-key-file`, else marked sealed with its data left out (never the
 * ciphertext).
 */
async function sealedView(
  args: Args,
  info: StreamInfo,
): Promise<((r: StoredRecord) => StoredRecord) | undefined> {
  const file = args['seal-key-file'];
  if (file !== undefined && info.config.sealed !== true) {
    throw new CallsignError(
      'ERR_USAGE',
      `stream ${info.config.name} is not sealed: drop --seal-key-file`,
    );
  }
  if (info.config.sealed !== true) return undefined;
  if (file === undefined) {
    return (r) => ({ ...r, data: new Uint8Array(0), type: 'sealed: give --seal-key-file to open' });
  }
  let text: string;
  try {
    text = readFileSync(String(file), 'utf8').trim();
  } catch (error) {
    throw new CallsignError(
      'ERR_USAGE',
      `cannot read --seal-key-file ${String(file)}: ${(error as Error).message}`,
    );
  }
  // Loaded when it runs: this module is part of the command line's front.
  const { StreamSeal } = await import('../../src/index.ts');
  const seal = new StreamSeal(text);
  return (r) => {
    const opened = seal.open(r.data, { subject: r.subject, key: r.key });
    return { ...r, data: opened.data, type: opened.type, size: opened.data.length };
  };
}

export async function view(args: Args, io: HostIo, t: StreamTarget): Promise<void> {
  const stream = nameOf(args);
  const info = (await t.manage('info', stream)) as StreamInfo;
  const shownAs = await sealedView(args, info);
  const parts =
    args.partition === undefined
      ? info.partitions.map((p) => p.partition)
      : [Number(args.partition)];
  const start = String(args.start ?? 'earliest');
  const max = args.max === undefined ? Number.POSITIVE_INFINITY : Number(args.max);
  const since = /^\d{4}-\d\d-\d\d/.test(start) ? Date.parse(start) : undefined;
  const from = new Map<number, number>();
  for (const p of parts) {
    const pi = info.partitions[p];
    if (!pi) throw new CallsignError('ERR_INVALID_PARTITION', `${stream} has no partition ${p}`);
    const at =
      start === 'earliest' || since !== undefined
        ? pi.firstSequence
        : start === 'latest'
          ? Math.max(pi.lastSequence, 1)
          : start === 'new'
            ? pi.lastSequence + 1
            : /^\d+$/.test(start)
              ? Number(start)
              : undefined;
    if (at === undefined)
      throw new CallsignError(
        'ERR_USAGE',
        '--start is earliest, latest, new, a sequence or an ISO time',
      );
    from.set(p, at);
  }
  const total = info.partitions
    .filter((p) => parts.includes(p.partition))
    .reduce((n, p) => n + p.messages, 0);
  const progress = progressLine(io.stderr, args.progress === true, process.stderr.isTTY === true);
  const stop = new AbortController();
  const offSignals = args.follow
    ? onStopSignals(
        () => stop.abort(),
        () => stop.abort(),
      )
    : () => {};
  // On a terminal, Ctrl-C is read as a key: no SIGINT for npx's shell (stop-keys.ts).
  const offKeys = args.follow ? onStopKeys(process.stdin, () => stop.abort()) : () => {};
  const off = () => {
    offKeys();
    offSignals();
  };
  let shown = 0;
  try {
    for (;;) {
      let gotAny = false;
      for (const p of parts) {
        if (stop.signal.aborted || shown >= max) break;
        const waitMs = args.follow ? (parts.length > 1 ? 200 : 1000) : 0;
        const page = await t.read(stream, {
          partition: p,
          from: from.get(p) ?? 1,
          max: 1000,
          ...(args.filter ? { filter: String(args.filter) } : {}),
          waitMs,
        });
        const before = from.get(p) ?? 1;
        from.set(p, page.next);
        for (const r of page.records as StoredRecord[]) {
          if (since !== undefined && r.publishTime < since) continue;
          if (shown >= max) break;
          const v = shownAs ? shownAs(r) : r;
          io.stdout(args.json ? recordJson(v) : formatRecord(v));
          shown++;
        }
        // A filtered page may hold nothing and still move on past what it passed over.
        if (page.records.length > 0 || page.next > before) gotAny = true;
        progress.show(`viewed ${shown} of ${total} messages`);
      }
      if (stop.signal.aborted || shown >= max) break;
      if (!gotAny && !args.follow) break;
    }
  } finally {
    off();
    progress.end();
  }
}

/** Purge in steps of sequences, with a progress line. */
export async function purge(args: Args, io: HostIo, t: StreamTarget): Promise<void> {
  const stream = nameOf(args);
  const info = (await t.manage('info', stream)) as StreamInfo;
  const progress = progressLine(io.stderr, args.progress === true, process.stderr.isTTY === true);
  const step = 10_000;
  let removed = 0;
  for (const p of info.partitions) {
    if (args.partition !== undefined && Number(args.partition) !== p.partition) continue;
    const end = args['keep-from'] === undefined ? p.lastSequence + 1 : Number(args['keep-from']);
    for (let at = p.firstSequence + step; ; at += step) {
      const keepFrom = Math.min(at, end);
      const r = (await t.manage('purge', stream, {
        partition: p.partition,
        keepFrom,
        ...(args.filter === undefined ? {} : { filter: String(args.filter) }),
      })) as { removed: number };
      removed += r.removed;
      progress.show(`purged ${removed} of ${info.messages} messages`);
      if (keepFrom >= end) break;
    }
  }
  progress.end();
  print(io, args, { stream, removed }, () => `purged ${removed} messages from ${stream}\n`);
}

/**
 * Update: the stream's configuration with what `--stream.<option>` and
 * `--stream-config` change (the name and the partitions stay).
 */
export async function update(args: Args, io: HostIo, t: StreamTarget): Promise<void> {
  const stream = nameOf(args);
  // Loaded when it runs: this module is part of the command line's front.
  const { streamOptionFields } = await import('../../src/internal.ts');
  const changes = streamOptionFields(choiceOf(args).stream);
  if (Object.keys(changes).length === 0) {
    throw new CallsignError(
      'ERR_USAGE',
      'stream update needs what to change: --stream.<option> <value> or --stream-config file.json',
    );
  }
  if (changes.name !== undefined && changes.name !== stream) {
    throw new CallsignError('ERR_USAGE', 'stream update cannot rename a stream');
  }
  const current = (await t.manage('info', stream)) as StreamInfo;
  const info = (await t.manage('update', undefined, {
    ...current.config,
    ...changes,
    name: stream,
  })) as StreamInfo;
  print(io, args, info, () => `updated stream ${stream}\n${formatStreamInfo(info)}`);
}
