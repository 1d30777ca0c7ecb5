/**
 * Ctrl-C read as a key, for the commands that follow until the user stops
 * them (`log --follow`, `stream view --follow`).
 *
 * Why not the signal alone: on a terminal, Ctrl-C makes the terminal send
 * SIGINT to the whole foreground process group. Under `npx`, that group holds
 * npm and the script shell npm runs the command through; where that shell is
 * dash (Debian, Ubuntu), the shell dies of the signal and npm exits 130,
 * whatever the command did. With the terminal's input in raw mode, Ctrl-C is
 * an ordinary byte that only the command reads: no signal reaches anyone, the
 * command stops and ends with 0, and so do the shell and npm.
 *
 * SIGINT and SIGTERM still stop these commands (signals.ts) where the input is
 * not a terminal, or when sent by `kill`.
 *
 * @module
 */

/** Ctrl-C (ETX), Ctrl-D (EOT), Ctrl-\ (FS) and `q`: each ends a follow. */
const STOP_BYTES = new Set([0x03, 0x04, 0x1c, 0x71]);

/** Whether bytes read from a terminal in raw mode hold a key that stops a follow. */
export function hasStopKey(chunk: Uint8Array): boolean {
  for (const byte of chunk) if (STOP_BYTES.has(byte)) return true;
  return false;
}

/** The part of a terminal's input stream that {@link onStopKeys} uses. */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Calls `stop` once when the user presses a stop key ({@link hasStopKey}) on
 * the terminal `input` (process.stdin). Does nothing where `input` is not a
 * terminal. Gives a function that gives the terminal back as it was.
 */
export function onStopKeys(input: TerminalInput, stop: () => void): () => void {
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') return () => {};
  let stopped = false;
  const listener = (chunk: Buffer) => {
    if (stopped || !hasStopKey(chunk)) return;
    stopped = true;
    stop();
  };
  input.setRawMode(true);
  input.on('data', listener);
  input.resume();
  return () => {
    input.off('data', listener);
    input.setRawMode?.(false);
    input.pause();
  };
}
