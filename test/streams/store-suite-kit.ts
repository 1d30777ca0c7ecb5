/**
 * What the parts of the stream store compliance suite share: a clock moved
 * by hand, what a driver gives the suite (and what it declares it does
 * differently), and small helpers.
 */
import { expect, it, onTestFinished } from 'vitest';
import type { StreamStore } from '../../src/streams/store.ts';

/** A clock a test moves by hand (ms since the epoch). */
export interface TestClock {
  now: () => number;
  advance(ms: number): void;
}

export function testClock(start = 1_800_000_000_000): TestClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

/**
 * The tests of the suite that a driver may declare it cannot pass as
 * written: those that move a clock by hand (a driver whose servers keep
 * time cannot follow it), and features a driver maps differently.
 */
export type StoreFeature =
  | 'max-age-on-test-clock'
  | 'duplicate-window-on-test-clock'
  | 'starts-on-test-clock'
  | 'redelivery-on-test-clock'
  | 'pull-batch-on-test-clock'
  | 'ack-range-on-test-clock'
  | 'max-bytes-of-data'
  | 'flush-durability';

/**
 * A feature a driver does not have as the suite tests it: why, and a check
 * of what the driver does instead (it runs, visibly, in place of the test).
 */
export interface Unsupported {
  readonly reason: string;
  check(store: StreamStore): Promise<void>;
}

/** What a driver gives the suite. */
export interface StreamStoreSetup {
  /** Opens the store of this test; called again after close, it opens the same storage. */
  open(now: () => number): Promise<StreamStore>;
  /** True when what was stored is there again after close and open (not `memory`). */
  readonly persistent: boolean;
  /** What this driver does not do as the suite tests it (default: nothing). */
  readonly unsupported?: Readonly<Partial<Record<StoreFeature, Unsupported>>>;
  /** True when the store stamps appends by its servers' clock, not by the one given to `open`. */
  readonly serverClock?: boolean;
}

/**
 * A test of the suite that needs `feature`: run as written, or, when the
 * driver declares it unsupported, the driver's check in its place, its name
 * saying so.
 */
export function featureTest(
  driver: string,
  setup: () => StreamStoreSetup,
  feature: StoreFeature,
  title: string,
  test: () => Promise<void>,
): void {
  const unsupported = setup().unsupported?.[feature];
  if (!unsupported) {
    it(title, test);
    return;
  }
  it(`${title} [${driver} differs: ${unsupported.reason}]`, async () => {
    const s = setup();
    await unsupported.check(await openFor(s, testClock()));
  });
}

/** Opens a store for one test and closes it after. */
export async function openFor(setup: StreamStoreSetup, clock: TestClock): Promise<StreamStore> {
  const store = await setup.open(clock.now);
  onTestFinished(() => store.close());
  return store;
}

export const bytes = (text: string) => new TextEncoder().encode(text);
export const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Rejects with this code. */
export async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

/** A test's clock, setup and store (opened for it, closed after). */
export async function openWorld(
  setup: () => StreamStoreSetup,
): Promise<{ clock: TestClock; setup: StreamStoreSetup; store: StreamStore }> {
  const clock = testClock();
  const s = setup();
  return { clock, setup: s, store: await openFor(s, clock) };
}
