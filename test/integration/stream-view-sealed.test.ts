/**
 * `callsign stream view` of a sealed stream: with `--seal-key-file` it shows
 * the opened payloads; without, it says each payload is sealed and prints
 * no ciphertext; with another key it fails with `ERR_SEALED_KEY`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openStreamStore } from '../../src/streams/drivers.ts';
import { newStreamKey, SEALED_TYPE, StreamSeal } from '../../src/streams/sealed-payload.ts';
import { cliProject } from '../helpers/cli.ts';

it('stream view opens a sealed stream with --seal-key-file, and says "sealed" without it', async () => {
  const p = cliProject();
  const data = join(p.dir, 'data');
  const key = newStreamKey();
  const seal = new StreamSeal(key);
  const sealed = seal.seal(new TextEncoder().encode('secret-entry'), 'app.Entry', {
    subject: 'ledger',
    key: 'k1',
  });
  {
    await using store = await openStreamStore({ driver: 'lmdb', options: { path: data } });
    await store.createStream({ name: 'ledger', sealed: true });
    await store.append('ledger', { data: sealed, type: SEALED_TYPE, key: 'k1' });
  }
  const keyFile = join(p.dir, 'ledger.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  const at = ['--driver.path', data];
  const cipher = Buffer.from(sealed).toString('base64');

  const opened = await p.run([
    'stream',
    'view',
    'ledger',
    ...at,
    '--seal-key-file',
    keyFile,
    '--json',
  ]);
  expect(opened.code, opened.stderr).toBe(0);
  const record = JSON.parse(opened.stdout.trim());
  expect(Buffer.from(record.data, 'base64').toString()).toBe('secret-entry');
  expect(record.type).toBe('app.Entry');

  const text = await p.run(['stream', 'view', 'ledger', ...at, '--seal-key-file', keyFile]);
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toContain('app.Entry (12 B)');

  const closed = await p.run(['stream', 'view', 'ledger', ...at, '--json']);
  expect(closed.code, closed.stderr).toBe(0);
  const hidden = JSON.parse(closed.stdout.trim());
  expect(hidden.data).toBe('');
  expect(hidden.type).toMatch(/sealed/);
  expect(closed.stdout).not.toContain(cipher.slice(0, 40));
  const closedText = await p.run(['stream', 'view', 'ledger', ...at]);
  expect(closedText.stdout).toMatch(/sealed: give --seal-key-file to open/);

  writeFileSync(keyFile, newStreamKey());
  const wrong = await p.run(['stream', 'view', 'ledger', ...at, '--seal-key-file', keyFile]);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toMatch(/\(ERR_SEALED_KEY\)/);
}, 60_000);
