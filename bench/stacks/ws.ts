/**
 * Raw `ws` binary frames over TCP on 127.0.0.1: the floor any WebSocket-based
 * transport is measured against.
 *
 * Every frame starts with one kind byte:
 *
 * | kind | direction | rest of the frame |
 * |---|---|---|
 * | `REQUEST` | client → server | payload; the server echoes the frame as `REPLY` |
 * | `BEGIN` | client → server | u32 count of messages the next push carries |
 * | `MESSAGE` | client → server | one pushed payload |
 * | `BATCH` | client → server | pushed payloads, each as u32 length + bytes |
 * | `DONE` | server → client | u32 count received, sent once the push is complete |
 *
 * The client masks with a zero key, as callsign does. Round trips send one
 * frame per request. Throughput comes in two variants:
 * `per-message` (one `send` per message, the natural code) and `per-tick`
 * (messages written in one event-loop turn combined into one frame of at most
 * 64 KiB). Both stop writing while more than 1 MiB is buffered.
 *
 * @module
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { PushOptions, Stack, StackClient, StackServer } from '../lib/stack.ts';
import { isEntryModule, runStackProcess } from '../lib/stack-process.ts';

const REQUEST = 1;
const REPLY = 2;
const BEGIN = 3;
const MESSAGE = 4;
const BATCH = 5;
const DONE = 6;

/** Largest combined frame of the `per-tick` variant. */
const MAX_BATCH_BYTES = 64 * 1024;
/** The sender waits for the socket to drain once this much is buffered. */
const HIGH_WATER_MARK = 1024 * 1024;
/** Largest frame the server accepts. */
const MAX_PAYLOAD = 16 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

function hasBufferutil(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false;
  try {
    createRequire(import.meta.url)('bufferutil');
    return true;
  } catch {
    return false;
  }
}

const WS_VERSION = (createRequire(import.meta.url)('ws/package.json') as { version: string })
  .version;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function controlFrame(kind: number, count: number): Buffer {
  const frame = Buffer.allocUnsafe(5);
  frame[0] = kind;
  frame.writeUInt32BE(count, 1);
  return frame;
}

/** Counts the messages of pushes on one server-side connection and confirms each push. */
class PushReceiver {
  private expected = 0;
  private received = 0;
  /** Payload bytes of the current push, so that delivery touches each message. */
  private bytes = 0;

  constructor(private readonly socket: WebSocket) {}

  begin(count: number): void {
    this.expected = count;
    this.received = 0;
    this.bytes = 0;
  }

  /** One message arrived; `message` is what an application would be handed. */
  deliver(message: Buffer): void {
    this.bytes += message.byteLength;
    this.received++;
    if (this.received === this.expected) this.socket.send(controlFrame(DONE, this.received));
  }

  /** Splits a `BATCH` frame into its messages. */
  deliverBatch(frame: Buffer): void {
    let offset = 1;
    while (offset < frame.byteLength) {
      if (offset + 4 > frame.byteLength) throw new Error('truncated batch header');
      const length = frame.readUInt32BE(offset);
      offset += 4;
      if (offset + length > frame.byteLength) throw new Error('truncated batch message');
      this.deliver(frame.subarray(offset, offset + length));
      offset += length;
    }
  }
}

function handleConnection(socket: WebSocket): void {
  const receiver = new PushReceiver(socket);
  socket.on('message', (data) => {
    const frame = toBuffer(data);
    switch (frame[0]) {
      case REQUEST:
        frame[0] = REPLY;
        socket.send(frame);
        break;
      case MESSAGE:
        receiver.deliver(frame.subarray(1));
        break;
      case BATCH:
        receiver.deliverBatch(frame);
        break;
      case BEGIN:
        receiver.begin(frame.readUInt32BE(1));
        break;
      default:
        socket.close(1003, 'unknown frame kind');
    }
  });
}

async function serve(): Promise<StackServer> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
  });
  await once(server, 'listening');
  server.on('connection', handleConnection);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `ws://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * Sends frames, noting when the socket holds more than {@link HIGH_WATER_MARK}
 * bytes: like `stream.write`, {@link FrameWriter.send} then returns `false`
 * and {@link FrameWriter.drained} resolves once that frame reached the kernel.
 */
class FrameWriter {
  private draining: Promise<void> | undefined;

  constructor(private readonly socket: WebSocket) {}

  /** Sends `frame`; `false` means wait for {@link FrameWriter.drained} before sending more. */
  send(frame: Buffer): boolean {
    if (this.draining) {
      this.socket.send(frame);
      return false;
    }
    if (this.socket.bufferedAmount + frame.byteLength < HIGH_WATER_MARK) {
      this.socket.send(frame);
      return true;
    }
    this.draining = new Promise((resolve, reject) => {
      this.socket.send(frame, (error) => {
        this.draining = undefined;
        if (error) reject(error);
        else resolve();
      });
    });
    return false;
  }

  /** Resolves when sending may continue. */
  drained(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }
}

/** The interface both throughput variants give the sending loop. */
interface MessageWriter {
  /** Queues one message; `false` means await {@link MessageWriter.drained} first. */
  write(payload: Buffer): boolean;
  drained(): Promise<void>;
  /** Sends whatever is still queued. */
  flush(): void;
}

/** `per-message`: one frame, one `send` per message. */
class PerMessageWriter implements MessageWriter {
  private frame: Buffer | undefined;
  private source: Buffer | undefined;

  constructor(private readonly writer: FrameWriter) {}

  write(payload: Buffer): boolean {
    if (this.source !== payload) {
      this.source = payload;
      this.frame = Buffer.concat([Buffer.of(MESSAGE), payload]);
    }
    return this.writer.send(this.frame!);
  }

  drained(): Promise<void> {
    return this.writer.drained();
  }

  flush(): void {}
}

/**
 * `per-tick`: messages written in one event-loop turn go out as one `BATCH`
 * frame (several when they exceed {@link MAX_BATCH_BYTES}), sent at the end of
 * the turn or when full.
 */
class PerTickWriter implements MessageWriter {
  private batch = Buffer.allocUnsafe(MAX_BATCH_BYTES);
  private length = 1;
  private scheduled: NodeJS.Immediate | undefined;
  private open = true;

  constructor(private readonly writer: FrameWriter) {}

  write(payload: Buffer): boolean {
    const needed = 4 + payload.byteLength;
    if (this.length + needed > this.batch.byteLength) {
      this.open = this.sendBatch();
      if (1 + needed > this.batch.byteLength) this.batch = Buffer.allocUnsafe(1 + needed);
    }
    this.batch.writeUInt32BE(payload.byteLength, this.length);
    this.batch.set(payload, this.length + 4);
    this.length += needed;
    this.scheduled ??= setImmediate(() => this.flush());
    return this.open;
  }

  async drained(): Promise<void> {
    await this.writer.drained();
    this.open = true;
  }

  flush(): void {
    if (this.length > 1) this.open = this.sendBatch() && this.open;
  }

  private sendBatch(): boolean {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.batch[0] = BATCH;
    const frame = this.batch.subarray(0, this.length);
    this.batch = Buffer.allocUnsafe(MAX_BATCH_BYTES);
    this.length = 1;
    return this.writer.send(frame);
  }
}

/** Settles one outstanding wait (a reply, a push confirmation) or fails it. */
interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

class WsClient implements StackClient {
  private reply: Pending<Buffer> | undefined;
  private done: Pending<number> | undefined;
  private readonly writer: FrameWriter;
  private lastPayload: Uint8Array | undefined;
  private lastRequest: Buffer | undefined;
  private failure: Error | undefined;

  constructor(private readonly socket: WebSocket) {
    this.writer = new FrameWriter(socket);
    socket.on('message', (data) => {
      const frame = toBuffer(data);
      if (frame[0] === REPLY) {
        const reply = this.reply;
        this.reply = undefined;
        reply?.resolve(frame.subarray(1));
      } else if (frame[0] === DONE) {
        const done = this.done;
        this.done = undefined;
        done?.resolve(frame.readUInt32BE(1));
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.reply?.reject(error);
    this.done?.reject(error);
    this.reply = this.done = undefined;
  }

  request(payload: Uint8Array): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.lastPayload !== payload) {
      this.lastPayload = payload;
      this.lastRequest = Buffer.concat([Buffer.of(REQUEST), payload]);
    }
    return new Promise((resolve, reject) => {
      this.reply = { resolve, reject };
      this.socket.send(this.lastRequest!);
    });
  }

  async push(payload: Uint8Array, count: number, options: PushOptions): Promise<number> {
    if (this.failure) throw this.failure;
    const confirmed = new Promise<number>((resolve, reject) => {
      this.done = { resolve, reject };
    });
    const writer =
      options.variant === 'per-tick'
        ? new PerTickWriter(this.writer)
        : new PerMessageWriter(this.writer);
    const message = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.writer.send(controlFrame(BEGIN, count));
    for (let i = 0; i < count; i++) {
      if (!writer.write(message)) {
        await writer.drained();
        options.signal.throwIfAborted();
      }
    }
    writer.flush();
    return confirmed;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = once(this.socket, 'close').then(() => {});
    this.socket.close();
    return closed;
  }
}

/**
 * The client's masking key: zero, so that ws sends each frame as it is
 * instead of masking it into a new buffer. callsign dials this way too (see
 * docs/transport.md), so the floor it is measured against gets the same.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

async function connect(endpoint: string): Promise<StackClient> {
  const socket = new WebSocket(endpoint, {
    perMessageDeflate: false,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
    generateMask: zeroMask,
  });
  await once(socket, 'open');
  return new WsClient(socket);
}

/** Raw ws binary frames over TCP on 127.0.0.1. */
export const stack: Stack = {
  name: 'ws',
  description: `ws ${WS_VERSION} binary frames over TCP 127.0.0.1, zero mask${hasBufferutil() ? ', bufferutil' : ', no bufferutil'}`,
  variants: [
    { id: 'per-message', label: 'one send per message' },
    { id: 'per-tick', label: 'sends combined per event-loop turn' },
  ],
  available: async () => true,
  serve,
  connect,
};

if (isEntryModule(import.meta.url)) await runStackProcess(stack);
