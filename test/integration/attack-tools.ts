import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { onTestFinished } from 'vitest';
import { parseEndpoint } from '../../src/index.ts';
import { wsFrameBytes } from '../helpers/ws-frames.ts';

export { until } from '../helpers/until.ts';

/**
 * What an attacker without the realm secret sends, as raw bytes on a socket:
 * for the attack tests of every listener. All waits are bounded.
 */

/** A raw socket to a callsign endpoint (`host:port` or `unix:/path`). */
export function rawSocket(endpoint: string): Promise<Socket> {
  const e = parseEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const socket = e.kind === 'unix' ? netConnect(e.path) : netConnect(e.port, e.host);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves when `socket` has closed (true) or after `ms` (false). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

/** Sends `bytes` on a fresh socket; resolves true when the listener then cut it within `ms`. */
export async function sendAndExpectCut(endpoint: string, bytes: Uint8Array, ms = 10_000) {
  const socket = await rawSocket(endpoint);
  socket.write(bytes);
  return closedWithin(socket, ms);
}

/** A socket that has completed a WebSocket upgrade, and nothing more. */
export async function upgraded(endpoint: string): Promise<Socket> {
  const socket = await rawSocket(endpoint);
  const key = randomBytes(16).toString('base64');
  socket.write(
    'GET / HTTP/1.1\r\nHost: callsign\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error('no upgrade response')), 10_000);
    const onClose = () => {
      clearTimeout(timer);
      reject(new Error('cut before the upgrade'));
    };
    socket.once('close', onClose);
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.off('close', onClose);
        clearTimeout(timer);
        if (got.startsWith('HTTP/1.1 101')) resolve();
        else reject(new Error(`upgrade refused: ${got.split('\r\n')[0]}`));
      }
    };
    socket.on('data', onData);
  });
  return socket;
}

/** A client WebSocket frame (masked unless told otherwise), with a length to announce if given. */
export function wsFrame(
  opcode: number,
  payload: Uint8Array,
  options: { mask?: boolean; declared?: number; fin?: boolean; rsv?: number } = {},
): Uint8Array {
  const { mask = true, ...rest } = options;
  return wsFrameBytes({ opcode, payload, ...rest, maskKey: mask ? randomBytes(4) : undefined });
}

/** The malformed frames of the issue, each sent right after the upgrade, before any handshake. */
export const BAD_FRAMES: Record<string, Uint8Array> = {
  'an invalid opcode': wsFrame(3, randomBytes(8)),
  'an unmasked client frame': wsFrame(2, randomBytes(66), { mask: false }),
  'reserved bits': wsFrame(2, randomBytes(8), { rsv: 4 }),
  'a length of 2^62': wsFrame(2, randomBytes(16), { declared: 2 ** 62 }),
  'a length of 100 MiB': wsFrame(2, randomBytes(1024), { declared: 100 * 1024 * 1024 }),
  'a 1 MiB frame, unfinished': wsFrame(2, randomBytes(4096), { declared: 1024 * 1024 }),
  'a long ping': wsFrame(9, randomBytes(300)),
  'a bad close code': wsFrame(8, Uint8Array.of(0x03, 0xe7)),
  'a continuation first': wsFrame(0, randomBytes(10)),
  'a text frame': wsFrame(1, Buffer.from('hello')),
};

/** Sends a real TLS ClientHello (node's TLS client) and resolves once the listener has cut it. */
export function tlsHello(endpoint: string, ms = 10_000): Promise<boolean> {
  const e = parseEndpoint(endpoint);
  return new Promise((resolve) => {
    const base = e.kind === 'unix' ? netConnect(e.path) : netConnect(e.port, e.host);
    base.on('error', () => {});
    const tls = tlsConnect({ socket: base, rejectUnauthorized: false, servername: 'callsign' });
    tls.on('error', () => {});
    const timer = setTimeout(() => resolve(false), ms);
    base.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The resident set size of process `pid`, in bytes (from /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS every 50 ms until stopped; gives the highest seen. */
export function sampleRss(pid: number): { stop(): number } {
  let max = rssOf(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssOf(pid));
    } catch {
      clearInterval(timer); // the process has gone; the test says so
    }
  }, 50);
  onTestFinished(() => clearInterval(timer));
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssOf(pid));
    },
  };
}

/** Destroys every socket of `sockets`. */
export function destroyAll(sockets: Socket[]): void {
  for (const s of sockets) s.destroy();
}
