import { CallsignError, isCallsignError } from '../errors.ts';
import { Reader, Writer } from '../messages/binary.ts';

/**
 * The plaintext of a frame is a sequence of records:
 *
 * ```
 * MESSAGE   u8 1, varuint to, varuint from, u32 length, body (an encoded message)
 * FRAGMENT  u8 2, varuint stream, u8 flags (1 first, 2 last),
 *           [first only: varuint to, varuint from, varuint total], u32 length, chunk
 * CONTROL   u8 3, u8 op, u32 length, payload
 * ```
 *
 * `to` and `from` are actor ids on the receiving and the sending node. A
 * message too large for one frame is cut into FRAGMENT records carried by
 * consecutive frames and put together again before it is decoded. Bodies are
 * length-prefixed so that a body that cannot be decoded is skipped without
 * losing the records after it.
 */
export const RECORD = { message: 1, fragment: 2, control: 3 } as const;

export { CONTROL } from './control.ts';

const FIRST = 1;
const LAST = 2;
/** The most header bytes a record can need besides its body. */
const MAX_HEADER = 1 + 3 * 10 + 1 + 4;
/** The largest payload of a control record written with {@link FramePacker.beginControl}. */
export const MAX_CONTROL_PAYLOAD = 512;

/** Options of {@link FramePacker}. */
export interface FramePackerInit {
  /** The largest frame plaintext, in bytes. */
  maxFrameSize: number;
  /**
   * Records are batched into a frame up to this many bytes; a record that
   * would take the frame past it starts the next frame, and a record larger
   * than it goes alone in its frame (up to `maxFrameSize`). Default:
   * `maxFrameSize`.
   */
  targetFrameSize?: number;
  /** Called with each finished frame plaintext (valid only during the call). */
  onFrame: (plaintext: Uint8Array) => void;
}

/**
 * Packs records into frames no larger than `maxFrameSize`, cutting large
 * bodies into fragments. `flush()` ends the current frame.
 */
export class FramePacker {
  readonly #max: number;
  readonly #target: number;
  readonly #onFrame: (plaintext: Uint8Array) => void;
  readonly #frame: Writer;
  readonly #initial: number;
  #nextStream = 1;
  #open: { to: number; from: number } | undefined;
  #recordStart = 0;
  #lengthAt = 0;
  #bodyStart = 0;

  constructor(init: FramePackerInit) {
    if (init.maxFrameSize < 1024) throw new RangeError('maxFrameSize must be at least 1024');
    this.#max = init.maxFrameSize;
    this.#target = Math.min(init.targetFrameSize ?? init.maxFrameSize, init.maxFrameSize);
    if (!(this.#target >= 1024)) throw new RangeError('targetFrameSize must be at least 1024');
    this.#onFrame = init.onFrame;
    // Room for a whole frame and one more record, so a frame buffer never grows twice.
    this.#initial = init.maxFrameSize + 64 * 1024;
    this.#frame = new Writer(Math.min(init.maxFrameSize, 64 * 1024));
  }

  /** Bytes in the frame under construction. */
  get pending(): number {
    return this.#frame.length;
  }

  /** Adds one message record. */
  message(to: number, from: number, body: Uint8Array): void {
    if (body.length + MAX_HEADER > this.#max) {
      this.#fragments(to, from, body);
      return;
    }
    this.#room(body.length + MAX_HEADER);
    const w = this.#frame;
    w.u8(RECORD.message);
    w.varuint(to);
    w.varuint(from);
    w.u32(body.length);
    w.raw(body);
  }

  /**
   * Starts a MESSAGE record and gives the writer to encode its body into,
   * straight into the frame; then call {@link FramePacker.commitMessage}
   * (or {@link FramePacker.retractMessage} / {@link FramePacker.abortMessage}).
   */
  beginMessage(to: number, from: number): Writer {
    this.#room(MAX_HEADER);
    const w = this.#frame;
    this.#recordStart = w.length;
    w.u8(RECORD.message);
    w.varuint(to);
    w.varuint(from);
    this.#lengthAt = w.length;
    w.u32(0);
    this.#bodyStart = w.length;
    this.#open = { to, from };
    return w;
  }

  /** Bytes of body (or control payload) written since {@link FramePacker.beginMessage} ({@link FramePacker.beginControl}). */
  get bodyLength(): number {
    return this.#frame.length - this.#bodyStart;
  }

  /** The writer of the record begun. */
  get writer(): Writer {
    return this.#frame;
  }

  /**
   * Ends the message begun. One that takes its frame past the target size
   * moves to the next (the frame before it is sent first); one larger than a
   * frame is cut into fragments.
   */
  commitMessage(): void {
    const open = this.#takeOpen();
    const w = this.#frame;
    const size = w.length - this.#bodyStart;
    if (w.length <= this.#target || (this.#recordStart === 0 && w.length <= this.#max)) {
      w.patchU32(this.#lengthAt, size);
      return;
    }
    if (size + MAX_HEADER <= this.#max) {
      w.patchU32(this.#lengthAt, size);
      const start = this.#recordStart;
      if (start > 0) {
        this.#onFrame(w.view().subarray(0, start));
        w.keepTail(start);
      }
      return;
    }
    const body = w.view().slice(this.#bodyStart);
    w.truncate(this.#recordStart);
    this.#fragments(open.to, open.from, body);
    this.#giveBack();
  }

  /** Takes the body of the message begun back out of the frame (a copy), as if it was never begun. */
  retractMessage(): Uint8Array {
    this.#takeOpen();
    const w = this.#frame;
    const body = w.view().slice(this.#bodyStart);
    w.truncate(this.#recordStart);
    this.#giveBack();
    return body;
  }

  /** Drops the message begun (its encoding failed). */
  abortMessage(): void {
    if (!this.#open) return;
    this.#open = undefined;
    this.#frame.truncate(this.#recordStart);
    this.#giveBack();
  }

  /** After a message much larger than a frame, the frame buffer goes back to its usual size. */
  #giveBack(): void {
    if (this.#frame.capacity > 4 * this.#max) this.#frame.shrink(this.#initial);
  }

  #takeOpen(): { to: number; from: number } {
    const open = this.#open;
    if (!open) throw new RangeError('no message begun');
    this.#open = undefined;
    return open;
  }

  /**
   * Starts a control record and gives the writer to write its payload into,
   * straight into the frame (at most {@link MAX_CONTROL_PAYLOAD} bytes); then
   * call {@link FramePacker.endControl}.
   */
  beginControl(op: number): Writer {
    this.#room(MAX_CONTROL_PAYLOAD + MAX_HEADER);
    const w = this.#frame;
    w.u8(RECORD.control);
    w.u8(op);
    this.#lengthAt = w.length;
    w.u32(0);
    this.#bodyStart = w.length;
    return w;
  }

  /** Ends the control record begun. */
  endControl(): void {
    const w = this.#frame;
    const length = w.length - this.#bodyStart;
    if (length > MAX_CONTROL_PAYLOAD) throw new RangeError('control payload too large');
    w.patchU32(this.#lengthAt, length);
  }

  /** Adds one control record. */
  control(op: number, payload: Uint8Array = EMPTY): void {
    if (payload.length + MAX_HEADER > this.#max) throw new RangeError('control payload too large');
    this.#room(payload.length + MAX_HEADER);
    const w = this.#frame;
    w.u8(RECORD.control);
    w.u8(op);
    w.u32(payload.length);
    w.raw(payload);
  }

  /** Ends the current frame, if it has anything in it. */
  flush(): void {
    if (this.#frame.length === 0) return;
    // A view, not a copy: the sealer copies it into the sealed frame at once.
    const plaintext = this.#frame.view();
    this.#onFrame(plaintext);
    this.#frame.reset();
  }

  /** Sends the frame first if `bytes` more would take it past the target size. */
  #room(bytes: number): void {
    const length = this.#frame.length;
    if (length > 0 && length + bytes > this.#target) this.flush();
  }

  #fragments(to: number, from: number, body: Uint8Array): void {
    const stream = this.#nextStream++;
    if (this.#nextStream > 0x7fffffff) this.#nextStream = 1;
    let offset = 0;
    while (offset < body.length) {
      this.#room(MAX_HEADER + 1);
      const w = this.#frame;
      const first = offset === 0;
      const room = this.#max - w.length - MAX_HEADER;
      const size = Math.min(room, body.length - offset);
      const last = offset + size === body.length;
      w.u8(RECORD.fragment);
      w.varuint(stream);
      w.u8((first ? FIRST : 0) | (last ? LAST : 0));
      if (first) {
        w.varuint(to);
        w.varuint(from);
        w.varuint(body.length);
      }
      w.u32(size);
      w.raw(body.subarray(offset, offset + size));
      offset += size;
      if (!last) this.flush();
    }
  }
}

const EMPTY = new Uint8Array(0);

/** What {@link FrameUnpacker.unpack} hands on. */
export interface RecordHandler {
  /** A whole message body for actor `to` from actor `from`. */
  message(to: number, from: number, body: Uint8Array): void;
  /** A control record. */
  control(op: number, payload: Uint8Array): void;
}

/** Options of {@link FrameUnpacker}. */
export interface FrameUnpackerInit {
  /** The largest message, in bytes, that fragments may add up to. */
  maxMessageSize: number;
  /** How many fragmented messages may be in flight at once. Default 16. */
  maxStreams?: number;
  /**
   * How many bytes the fragments of unfinished messages may hold in memory
   * together. Default: `maxMessageSize`.
   */
  maxReassemblyBytes?: number;
}

interface Partial {
  to: number;
  from: number;
  total: number;
  received: number;
  /** What this stream holds in memory (a kept view counts its whole frame). */
  held: number;
  chunks: Uint8Array[];
}

/**
 * Reads the records of frame plaintexts, putting fragments together again.
 * Any structural error throws ERR_MALFORMED_FRAME (or ERR_MESSAGE_TOO_LARGE,
 * ERR_FRAGMENT_BUDGET); the caller then closes the connection, since the
 * stream can no longer be trusted.
 *
 * Memory for unfinished messages grows with the bytes that actually arrived,
 * never with the total a first fragment announces, and stays within
 * `maxReassemblyBytes` for all streams together; {@link FrameUnpacker.release}
 * lets it all go.
 */
export class FrameUnpacker {
  readonly #maxMessage: number;
  readonly #maxStreams: number;
  readonly #budget: number;
  readonly #streams = new Map<number, Partial>();
  #held = 0;

  constructor(init: FrameUnpackerInit) {
    this.#maxMessage = init.maxMessageSize;
    this.#maxStreams = init.maxStreams ?? 16;
    this.#budget = init.maxReassemblyBytes ?? init.maxMessageSize;
  }

  /** Bytes held for unfinished messages. */
  get held(): number {
    return this.#held;
  }

  /** Forgets every unfinished message (when the connection ends). */
  release(): void {
    this.#streams.clear();
    this.#held = 0;
  }

  /** Reads every record of one frame plaintext. */
  unpack(plaintext: Uint8Array, handler: RecordHandler): void {
    const r = new Reader(plaintext);
    try {
      while (r.remaining > 0) {
        const kind = r.u8();
        if (kind === RECORD.message) {
          const to = r.varuint();
          const from = r.varuint();
          const body = r.raw(r.u32());
          handler.message(to, from, body);
        } else if (kind === RECORD.control) {
          const op = r.u8();
          handler.control(op, r.raw(r.u32()));
        } else if (kind === RECORD.fragment) {
          this.#fragment(r, plaintext, handler);
        } else {
          throw new CallsignError('ERR_MALFORMED_FRAME', `unknown record kind ${kind}`);
        }
      }
    } catch (err) {
      if (isCallsignError(err, 'ERR_MALFORMED_MESSAGE')) {
        throw new CallsignError('ERR_MALFORMED_FRAME', `malformed record: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  #fragment(r: Reader, plaintext: Uint8Array, handler: RecordHandler): void {
    const stream = r.varuint();
    const flags = r.u8();
    if (flags & ~(FIRST | LAST)) {
      throw new CallsignError('ERR_MALFORMED_FRAME', `bad fragment flags ${flags}`);
    }
    let partial = this.#streams.get(stream);
    if (flags & FIRST) {
      if (partial)
        throw new CallsignError('ERR_MALFORMED_FRAME', `fragment stream ${stream} restarted`);
      if (this.#streams.size >= this.#maxStreams) {
        throw new CallsignError('ERR_MALFORMED_FRAME', 'too many fragmented messages at once');
      }
      const to = r.varuint();
      const from = r.varuint();
      const total = r.varuint();
      if (total > this.#maxMessage) {
        throw new CallsignError(
          'ERR_MESSAGE_TOO_LARGE',
          `a message of ${total} bytes exceeds the limit of ${this.#maxMessage}`,
        );
      }
      partial = { to, from, total, received: 0, held: 0, chunks: [] };
      this.#streams.set(stream, partial);
    } else if (!partial) {
      throw new CallsignError('ERR_MALFORMED_FRAME', `fragment of unknown stream ${stream}`);
    }
    const chunk = r.raw(r.u32());
    if (partial.received + chunk.length > partial.total) {
      throw new CallsignError(
        'ERR_MALFORMED_FRAME',
        `fragments of stream ${stream} exceed their total`,
      );
    }
    if (flags & LAST) {
      if (partial.received + chunk.length !== partial.total) {
        throw new CallsignError('ERR_MALFORMED_FRAME', `stream ${stream} ended short of its total`);
      }
      this.#streams.delete(stream);
      this.#held -= partial.held;
      const body =
        partial.chunks.length === 0 ? chunk : concatChunks(partial.chunks, chunk, partial.total);
      handler.message(partial.to, partial.from, body);
      return;
    }
    // A chunk that fills most of its frame is kept as a view (holding the frame);
    // a small one is copied, so that small chunks cannot pin whole frames.
    const keepView = chunk.length * 2 >= plaintext.length;
    const held = keepView ? plaintext.length : chunk.length;
    if (this.#held + held > this.#budget) {
      throw new CallsignError(
        'ERR_FRAGMENT_BUDGET',
        `unfinished fragmented messages would hold ${this.#held + held} bytes, above the budget of ${this.#budget}`,
      );
    }
    partial.chunks.push(keepView ? chunk : chunk.slice());
    partial.received += chunk.length;
    partial.held += held;
    this.#held += held;
  }
}

function concatChunks(chunks: Uint8Array[], last: Uint8Array, total: number): Uint8Array {
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  body.set(last, at);
  return body;
}
