// kill -9 between a delivery and its acknowledgement: a consumer that had
// caught up is given each new message in the write that stores it, and
// after the restart the store knows every one was delivered once, so
// `maxDeliveries` still holds.
import { describe, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { runProgram, tempDir } from '../helpers/processes.ts';

const CRASH = 'test/integration/programs/stream-delivery-crash.ts';

describe('delivery counts across a kill -9 of the host', () => {
  it('counts a delivery sent but not acknowledged before the kill, and stops at maxDeliveries', async () => {
    const dir = tempDir('callsign-delivery-crash-');
    const run = await runProgram(CRASH, [dir, '5']);
    for (let seq = 1; seq <= 5; seq++)
      expect(run.stdout, run.stderr).toContain(`delivered ${seq} 1`);

    await using store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    const info = await store.consumerInfo('s', 'c');
    expect(info.positions[0]?.pending).toBe(5);
    // Each comes again once (its second and last delivery), then never.
    const again = await store.pull('s', 'c', { max: 10 });
    expect(again.map((d) => [d.sequence, d.deliveryCount])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 2],
    ]);
    for (const d of again) expect(await store.nak('s', 'c', d.partition, d.sequence, 0)).toBe(true);
    expect(await store.pull('s', 'c', { max: 10 })).toEqual([]);
  }, 30_000);
});
