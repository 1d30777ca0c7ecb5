import { connect } from 'node:net';
import { CallsignError } from '../src/errors.ts';
import { sleep } from '../src/index.ts';
import type { Home } from './home.ts';
import { ownProgram } from './package-files.ts';

/** The program of the group directory. */
export const GROUP_DIRECTORY_PROGRAM = ownProgram('scopes/group/directory');

/** How long the group directory may take to accept connections. */
export const DIRECTORY_READY_MS = 15_000;

/** The longest unix socket path (sockaddr_un.sun_path, less its NUL). */
const MAX_SOCKET_PATH = 107;

/** The group directory's settings on its command line. */
export function groupDirectoryArguments(home: Home): string[] {
  return [`--endpoint=${home.groupEndpoint}`];
}

/**
 * Checks that the group directory's socket path fits a unix socket.
 *
 * @throws CallsignError `ERR_INVALID_ENDPOINT` when the home is too deep.
 */
export function assertSocketPath(home: Home): void {
  if (Buffer.byteLength(home.groupSocket) > MAX_SOCKET_PATH) {
    throw new CallsignError(
      'ERR_INVALID_ENDPOINT',
      `the group socket ${home.groupSocket} is longer than ${MAX_SOCKET_PATH} bytes: use a home in a shorter path`,
    );
  }
}

/**
 * Waits until a connection to the unix socket at `path` succeeds.
 *
 * @throws CallsignError `ERR_GROUP_DIRECTORY_FAILED` when `exited` settles
 *   first or `ms` passes; `ERR_ABORTED` when `signal` aborts.
 */
export async function waitForSocket(
  path: string,
  init: { ms?: number; exited: Promise<unknown>; signal?: AbortSignal },
): Promise<void> {
  const ms = init.ms ?? DIRECTORY_READY_MS;
  const deadline = Date.now() + ms;
  let exited = false;
  void init.exited.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  for (;;) {
    if (await canConnect(path)) return;
    if (exited) {
      throw new CallsignError(
        'ERR_GROUP_DIRECTORY_FAILED',
        'the group directory exited before it accepted connections',
      );
    }
    if (Date.now() >= deadline) {
      throw new CallsignError(
        'ERR_GROUP_DIRECTORY_FAILED',
        `the group directory did not accept connections on ${path} within ${ms / 1000} s`,
      );
    }
    await sleep(50, init.signal);
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const timer = setTimeout(() => done(false), 1000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
