/**
 * Waits until `condition` holds, looking every few milliseconds, and throws
 * if it does not within `ms`: how tests wait for a state instead of
 * sleeping, with a deadline instead of an asserted time.
 */
export async function until(condition: () => boolean, ms = 10_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
