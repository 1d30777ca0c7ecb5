// The lmdb driver's journal against a real kill -9: a process that dies
// between two LMDB checkpoints leaves its acknowledged writes only in the
// journal, and the next open has every one of them. And one process at a
// time writes a store.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { runProgram, tempDir } from '../helpers/processes.ts';

const CRASH = 'test/integration/programs/stream-store-crash.ts';

describe('the journal of the lmdb driver', () => {
  for (const durability of ['commit', 'flush'] as const) {
    it(`keeps every write acknowledged under ${durability} durability across a kill -9 before any checkpoint`, async () => {
      const dir = tempDir('callsign-journal-');
      const run = await runProgram(CRASH, [dir, '3000', '1200', durability]);
      expect(run.stdout, run.stderr).toMatch(/stored 3000 acked 1200/);
      expect(readdirSync(dir).some((f) => f.startsWith('journal-'))).toBe(true);

      await using store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
      const info = await store.streamInfo('s');
      expect(info.messages).toBe(3000);
      const seen = new Set<number>();
      for (const partition of [0, 1]) {
        const records = await store.read('s', { partition, max: 10_000 });
        for (const r of records) seen.add(Number(new TextDecoder().decode(r.data)));
      }
      expect(seen.size).toBe(3000);
      // Nothing acknowledged comes again; what was not acknowledged does.
      const again = await store.pull('s', 'c', { max: 10_000 });
      expect(again).toHaveLength(3000 - 1200);
      // The duplicate window came back too: an id seen before is not stored again.
      const dup = await store.append(
        's',
        { data: new Uint8Array([1]), key: 'k0' },
        { messageId: 'm0' },
      );
      expect(dup.duplicate).toBe(true);
    }, 60_000);
  }

  it('lets one process at a time write a store', async () => {
    const dir = tempDir('callsign-journal-');
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    await store.createStream({ name: 's' });
    const second = await runProgram(CRASH, [dir, '1', '0', 'commit']);
    expect(second.stderr).toMatch(/ERR_STORAGE_BUSY/);
    await expect(openStreamStore({ driver: 'lmdb', options: { path: dir } })).rejects.toMatchObject(
      {
        code: 'ERR_STORAGE_BUSY',
      },
    );
  }, 30_000);
});
