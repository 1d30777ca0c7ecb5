/**
 * The sending half of a {@link Connection}: records go into a
 * {@link FramePacker}, each frame it ends is sealed (into a kept buffer when
 * it is large, see frame-buffers.ts; as the pieces node:crypto returns, for
 * a link that writes pieces, when it is sealed with AES-256-GCM) and handed
 * to the link, and the credit owed to the peer rides in the frame that goes
 * out.
 *
 * @module
 */
import { CONTROL, writeCredit } from '../wire/control.ts';
import { FramePacker, MAX_CONTROL_PAYLOAD } from '../wire/records.ts';
import { CHACHA_MAX_PLAINTEXT, FRAME_OVERHEAD, type FrameSealer } from '../wire/seal.ts';
import type { ReceiveFlow } from './flow.ts';
import { FrameBuffers } from './frame-buffers.ts';
import type { Link } from './link.ts';

/**
 * Messages posted in one turn are batched into frames of up to this many
 * bytes (a larger message still goes alone in its frame, up to
 * maxFrameSize). Larger frames save nothing: AES-256-GCM's set-up is a few
 * µs per 64 KiB, while the output buffer node:crypto allocates for a 1 MiB
 * frame costs page faults, and the receiver must gather every frame larger
 * than a socket read (64 KiB) into one buffer (bench/README.md).
 */
export const BATCH_FRAME_SIZE = 64 * 1024;

/** The most bytes one destination's credit takes in a CREDIT record (three varuints). */
const MAX_CREDIT_BYTES = 30;

/** Options of {@link FrameSender}. */
export interface FrameSenderInit {
  readonly link: Link;
  readonly sealer: FrameSealer;
  readonly maxFrameSize: number;
  /** The credit this side owes the peer, written into each frame that goes out. */
  readonly receiveFlow: ReceiveFlow;
  /** Counted once per frame handed to the link. */
  readonly counters: { framesSent: number };
}

/**
 * Packs, seals and writes one connection's frames. Whatever is packed is
 * written at the latest when the current turn of the event loop ends
 * ({@link FrameSender.schedule}); {@link FrameSender.flush} writes it at once.
 */
export class FrameSender {
  /** Where records are packed; a frame goes to the link each time one is full or flushed. */
  readonly packer: FramePacker;
  readonly #link: Link;
  readonly #receiveFlow: ReceiveFlow;
  readonly #buffers = new FrameBuffers();
  #scheduled = false;
  #linkEnded = false;

  constructor(init: FrameSenderInit) {
    this.#link = init.link;
    this.#receiveFlow = init.receiveFlow;
    const { sealer, counters } = init;
    const buffers = this.#buffers;
    this.packer = new FramePacker({
      maxFrameSize: init.maxFrameSize,
      targetFrameSize: Math.min(init.maxFrameSize, BATCH_FRAME_SIZE),
      onFrame: (plaintext) => {
        counters.framesSent++;
        const link = this.#link;
        if (link.sendParts !== undefined && plaintext.length > CHACHA_MAX_PLAINTEXT) {
          // node:crypto gives the ciphertext in a buffer of its own: written as it is, not copied.
          link.sendParts(sealer.sealParts(plaintext));
          return;
        }
        const buffer = buffers.take(plaintext.length + FRAME_OVERHEAD);
        if (buffer === undefined) {
          link.send(sealer.seal(plaintext));
          return;
        }
        link.send(sealer.seal(plaintext, buffer), () => buffers.giveBack(buffer));
      },
    });
  }

  /** True once the link has ended: nothing more is written. */
  get linkEnded(): boolean {
    return this.#linkEnded;
  }

  /** Packs a control record, to go out with this turn's frame. */
  control(op: number, payload?: Uint8Array): void {
    if (this.#linkEnded) return;
    this.packer.control(op, payload);
    this.schedule();
  }

  /** Makes sure what is packed is written when this turn ends. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flushLater);
  }

  readonly #flushLater = () => this.flush();

  /** Writes the credit owed, then what is packed, now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#linkEnded) return;
    const packer = this.packer;
    if (this.#receiveFlow.hasCredit) {
      packer.beginControl(CONTROL.credit);
      this.#receiveFlow.takeCredit(this.#giveCredit);
      packer.endControl();
    }
    packer.flush();
  }

  /** Writes credit owed for actor `to` into the CREDIT record begun, starting another when full. */
  readonly #giveCredit = (to: number, messages: number, bytes: number) => {
    const packer = this.packer;
    if (packer.bodyLength > MAX_CONTROL_PAYLOAD - MAX_CREDIT_BYTES) {
      packer.endControl();
      packer.beginControl(CONTROL.credit);
    }
    writeCredit(packer.writer, to, messages, bytes);
  };

  /** The link has ended: nothing more is written. */
  linkEnd(): void {
    this.#linkEnded = true;
  }

  /** Forgets the kept buffers (the connection ended). */
  release(): void {
    this.#buffers.release();
  }
}
