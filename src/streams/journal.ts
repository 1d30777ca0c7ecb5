/**
 * The journal of the `lmdb` driver: the changes of each write of the log
 * store, appended to a file (one `write(2)`, no fsync) before they are
 * acknowledged, while LMDB holds them in an open transaction that is
 * committed (and synced) only every so often. A process that dies (kill -9)
 * leaves its frames in the operating system; the next open applies those
 * LMDB does not have yet. A machine that crashes may lose the frames written
 * since the last sync: reading stops at the first frame that is not whole,
 * so what is applied is always a prefix of what was written.
 *
 * A frame: `CSJ1` (u32), payload length (u32), frame number (f64), CRC-32 of
 * the number and the payload (u32), the payload. Frame numbers follow each
 * other across files; files are named by their first frame's number and
 * removed once LMDB has synced every frame in them.
 *
 * @module
 */
import {
  closeSync,
  fdatasync,
  fsync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = 0x314a5343;
const HEADER = 20;
const PREFIX = 'journal-';
const SUFFIX = '.log';

/** One frame read back. */
export interface JournalFrame {
  readonly no: number;
  readonly payload: Buffer;
}

/** What {@link readJournal} found. */
export interface JournalContents {
  /** Whole frames, in order. */
  readonly frames: JournalFrame[];
  /** The journal files, oldest first. */
  readonly files: string[];
  /** True when a file ended in a frame that is not whole (a crash while writing, or damage). */
  readonly torn: boolean;
}

function fileName(first: number): string {
  return `${PREFIX}${String(first).padStart(16, '0')}${SUFFIX}`;
}

/** The journal files in `dir`, oldest first. */
export function journalFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX))
    .sort();
}

/**
 * Reads the whole frames of every journal file in `dir`, in order. Each
 * file is read up to its first frame that is short or fails its check.
 */
export function readJournal(dir: string): JournalContents {
  const files = journalFiles(dir);
  const frames: JournalFrame[] = [];
  let torn = false;
  for (const name of files) {
    const bytes = readFileSync(join(dir, name));
    let at = 0;
    while (at < bytes.length) {
      if (at + HEADER > bytes.length || bytes.readUInt32LE(at) !== MAGIC) {
        torn = true;
        break;
      }
      const length = bytes.readUInt32LE(at + 4);
      const end = at + HEADER + length;
      if (end > bytes.length) {
        torn = true;
        break;
      }
      const checked = crc32(
        bytes.subarray(at + HEADER, end),
        crc32(bytes.subarray(at + 8, at + 16)),
      );
      if (checked !== bytes.readUInt32LE(at + 16)) {
        torn = true;
        break;
      }
      frames.push({ no: bytes.readDoubleLE(at + 8), payload: bytes.subarray(at + HEADER, end) });
      at = end;
    }
  }
  return { frames, files, torn };
}

interface OpenFile {
  readonly name: string;
  readonly fd: number;
  /** The number of the last frame in it (0: none yet). */
  last: number;
  /** Syncs of it under way: its descriptor stays open until they end. */
  syncs: number;
  /** Released or closed while a sync ran: closed when the last one ends. */
  closeAfterSync: boolean;
}

/** Closes `file` now, or once the syncs under way on its descriptor end. */
function closeFile(file: OpenFile): void {
  if (file.syncs > 0) {
    file.closeAfterSync = true;
    return;
  }
  try {
    closeSync(file.fd);
  } catch {
    // closed already
  }
}

/**
 * Appends frames to the journal files of one folder (it is their only
 * writer). Frames go to the current file; {@link JournalWriter.rotate}
 * starts a new one, {@link JournalWriter.release} removes those LMDB has
 * synced, {@link JournalWriter.sync} waits for what was written to be on disk.
 */
export class JournalWriter {
  readonly #dir: string;
  #current: OpenFile | undefined;
  readonly #older: OpenFile[] = [];
  #next: number;
  #synced: number;
  #syncing = false;
  #dirSynced = true;
  #waiters: { target: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Bytes appended since the last rotation. */
  bytes = 0;

  /** Frames will be numbered from `next` on. */
  constructor(dir: string, next: number) {
    this.#dir = dir;
    this.#next = next;
    this.#synced = next - 1;
  }

  /** The number of the last frame appended (0 before the first). */
  get last(): number {
    return this.#next - 1;
  }

  #file(): OpenFile {
    if (!this.#current) {
      const name = fileName(this.#next);
      this.#current = {
        name,
        fd: openSync(join(this.#dir, name), 'w'),
        last: 0,
        syncs: 0,
        closeAfterSync: false,
      };
      this.#dirSynced = false;
    }
    return this.#current;
  }

  /**
   * Appends one frame of `chunks` (written with one `writev`) and returns its
   * number. Once it returns, the frame is in the operating system.
   *
   * @throws the file system's error (nothing is numbered then)
   */
  append(chunks: readonly Uint8Array[]): number {
    const file = this.#file();
    const no = this.#next;
    let length = 0;
    for (const c of chunks) length += c.byteLength;
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(length, 4);
    header.writeDoubleLE(no, 8);
    let check = crc32(header.subarray(8, 16));
    for (const c of chunks) check = crc32(c, check);
    header.writeUInt32LE(check, 16);
    const all = [header, ...chunks];
    const total = HEADER + length;
    let written = writevSync(file.fd, all);
    if (written < total) {
      // A short write (rare): the rest, in order.
      const flat = Buffer.concat(all);
      while (written < total) written += writeSync(file.fd, flat, written, total - written);
    }
    this.#next++;
    file.last = no;
    this.bytes += total;
    return no;
  }

  /** Starts a new file for the frames from now on (the old one stays until released). */
  rotate(): void {
    if (!this.#current) return;
    if (this.#current.last === 0) return;
    this.#older.push(this.#current);
    this.#current = undefined;
    this.bytes = 0;
  }

  /** Removes the older files whose every frame is at most `upTo` (LMDB has synced them). */
  release(upTo: number): void {
    while (this.#older.length > 0 && (this.#older[0] as OpenFile).last <= upTo) {
      const file = this.#older.shift() as OpenFile;
      unlinkSync(join(this.#dir, file.name));
      closeFile(file);
    }
    if (upTo > this.#synced) this.#synced = upTo;
    this.#settle();
  }

  /** Resolves once every frame appended so far is on disk (synced groups share one sync). */
  sync(): Promise<void> {
    const target = this.last;
    if (target <= this.#synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject });
      this.#startSync();
    });
  }

  #settle(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.target <= this.#synced) w.resolve();
      else this.#waiters.push(w);
    }
  }

  #startSync(): void {
    if (this.#syncing) return;
    const target = this.last;
    const files = [...this.#older, ...(this.#current ? [this.#current] : [])];
    const syncDir = !this.#dirSynced;
    this.#syncing = true;
    // A file released meanwhile (LMDB has synced its frames) stays open until its sync ends.
    const syncOne = (file: OpenFile) =>
      new Promise<void>((resolve, reject) => {
        file.syncs++;
        fdatasync(file.fd, (err) => {
          file.syncs--;
          if (file.closeAfterSync && file.syncs === 0) closeFile(file);
          if (err) reject(err);
          else resolve();
        });
      });
    const work = files.map(syncOne);
    if (syncDir) {
      work.push(
        new Promise<void>((resolve, reject) => {
          let fd: number;
          try {
            fd = openSync(this.#dir, 'r');
          } catch (err) {
            reject(err as Error);
            return;
          }
          fsync(fd, (err) => {
            closeSync(fd);
            if (err) reject(err);
            else resolve();
          });
        }),
      );
    }
    Promise.all(work).then(
      () => {
        if (syncDir) this.#dirSynced = true;
        this.#syncing = false;
        if (target > this.#synced) this.#synced = target;
        this.#settle();
        if (this.#waiters.length > 0) this.#startSync();
      },
      (err: Error) => {
        this.#syncing = false;
        // What a checkpoint made durable meanwhile is not failed by it.
        this.#settle();
        for (const w of this.#waiters.splice(0)) w.reject(err);
      },
    );
  }

  /** Closes the files (they stay on disk: a next open applies what LMDB lacks). */
  close(): void {
    for (const f of [...this.#older, ...(this.#current ? [this.#current] : [])]) closeFile(f);
    this.#older.length = 0;
    this.#current = undefined;
  }

  /** Removes every journal file (after LMDB synced all of them). */
  static removeAll(dir: string): void {
    for (const name of journalFiles(dir)) unlinkSync(join(dir, name));
  }
}
