/**
 * A signal that comes again this soon after the first is taken as the same
 * one: a Ctrl-C under `npx` reaches us twice (from the terminal, and
 * forwarded by npm).
 */
export const REPEATED_SIGNAL_MS = 500;

/**
 * Calls `first` on the first SIGINT or SIGTERM and `again` on each later one
 * (at least {@link REPEATED_SIGNAL_MS} after the first). Gives a function
 * that unsubscribes.
 */
export function onStopSignals(
  first: (signal: NodeJS.Signals) => void,
  again: (signal: NodeJS.Signals) => void,
): () => void {
  let firstAt: number | undefined;
  const listener = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      first(signal);
    } else if (now - firstAt >= REPEATED_SIGNAL_MS) {
      again(signal);
    }
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/** Resolves on the first SIGINT or SIGTERM (with it), and stops listening. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = onStopSignals(
      (signal) => {
        off();
        resolve(signal);
      },
      () => {},
    );
  });
}

/** Resolves when `signal` aborts. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
