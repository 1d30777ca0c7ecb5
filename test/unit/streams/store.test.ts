import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStreamStore } from '../../../src/streams/drivers.ts';
import { describeStreamStore } from '../../streams/describe-stream-store.ts';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describeStreamStore('memory', () => ({
  persistent: false,
  open: (now) => openStreamStore({ driver: 'memory', now }),
}));

describeStreamStore('lmdb', () => {
  let path: string | undefined;
  return {
    persistent: true,
    open(now) {
      if (!path) {
        path = mkdtempSync(join(tmpdir(), 'callsign-lmdb-'));
        folders.push(path);
      }
      return openStreamStore({ driver: 'lmdb', options: { path }, now });
    },
  };
});
