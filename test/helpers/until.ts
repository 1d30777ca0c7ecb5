/**
 * Waits until `condition` holds, looking every 20 ms, and throws
 * (naming `what`) if it does not within `ms`: how tests wait for a state
 * instead of sleeping, with a deadline instead of an asserted time.
 */
export async function until(
  condition: () => boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
