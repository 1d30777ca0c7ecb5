import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultStreamPath, openStreamStore } from '../../../src/streams/drivers.ts';
import { STORAGE_FILE } from '../../../src/streams/lmdb-backend.ts';

const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'callsign-files-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('where the lmdb driver keeps streams without a path', () => {
  it('takes the home from the environment it is given, never from its own process', async () => {
    const home = folder();
    expect(defaultStreamPath({ CALLSIGN_HOME: home })).toBe(join(home, 'streams'));
    expect(defaultStreamPath({ XDG_DATA_HOME: home })).toBe(join(home, 'callsign', 'streams'));
    const before = process.env.CALLSIGN_HOME;
    process.env.CALLSIGN_HOME = join(home, 'not-this-one');
    try {
      expect(defaultStreamPath({ XDG_DATA_HOME: home })).toBe(join(home, 'callsign', 'streams'));
      const store = await openStreamStore({ env: { CALLSIGN_HOME: home } });
      await store.createStream({ name: 'here' });
      await store.close();
      const again = await openStreamStore({ options: { path: join(home, 'streams') } });
      expect(await again.listStreams()).toEqual(['here']);
      await again.close();
    } finally {
      if (before === undefined) delete process.env.CALLSIGN_HOME;
      else process.env.CALLSIGN_HOME = before;
    }
  });
});

describe('the lmdb driver and files it did not write', () => {
  it('refuses a file that is not LMDB with ERR_STORAGE_CORRUPT', async () => {
    const dir = folder();
    writeFileSync(join(dir, STORAGE_FILE), Buffer.alloc(64 * 1024, 0x5a));
    await expect(openStreamStore({ driver: 'lmdb', options: { path: dir } })).rejects.toMatchObject(
      { code: 'ERR_STORAGE_CORRUPT' },
    );
  });

  it('refuses an LMDB file of someone else with ERR_STORAGE_CORRUPT, and leaves it as it was', async () => {
    const dir = folder();
    const foreign = open({ path: join(dir, STORAGE_FILE) });
    await foreign.put('theirs', { precious: true });
    await foreign.close();
    await expect(openStreamStore({ driver: 'lmdb', options: { path: dir } })).rejects.toMatchObject(
      { code: 'ERR_STORAGE_CORRUPT' },
    );
    const again = open({ path: join(dir, STORAGE_FILE) });
    expect(again.get('theirs')).toEqual({ precious: true });
    await again.close();
  });

  it('refuses a path that is a file, and unknown drivers and options', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(
      openStreamStore({ driver: 'lmdb', options: { path: join(dir, 'plain') } }),
    ).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    await expect(openStreamStore({ driver: 'tape' })).rejects.toMatchObject({
      code: 'ERR_INVALID_SETTINGS',
    });
    await expect(
      openStreamStore({ driver: 'lmdb', options: { path: dir, colour: 'red' } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_SETTINGS' });
  });

  it('a damaged record is ERR_STORAGE_CORRUPT for its reader; the other streams go on', async () => {
    const dir = folder();
    const store = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    await store.createStream({ name: 'good' });
    await store.createStream({ name: 'hurt' });
    await store.append('good', { data: new Uint8Array([1]) });
    await store.append('hurt', { data: new Uint8Array([2]) });
    await store.close();
    // Damage the record of `hurt` behind the driver's back.
    const env = open({ path: join(dir, STORAGE_FILE), maxDbs: 16 });
    const records = env.openDB({ name: 'records', encoding: 'binary' });
    const hurtId = (env.openDB({ name: 'streams' }).get('hurt') as { id: number }).id;
    await records.put([hurtId, 0, 1], Buffer.from([0xff, 1, 2]));
    await env.close();
    const reopened = await openStreamStore({ driver: 'lmdb', options: { path: dir } });
    await expect(reopened.read('hurt')).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    expect((await reopened.read('good')).map((r) => [...r.data])).toEqual([[1]]);
    expect((await reopened.append('good', { data: new Uint8Array([3]) })).sequence).toBe(2);
    await reopened.close();
  });
});
