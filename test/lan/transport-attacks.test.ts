import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRealm, serializeRealm } from '../../src/wire/realm.ts';
import { startLan } from '../helpers/netns.ts';
import { tempDir } from '../helpers/processes.ts';

/**
 * The LAN directory listens on every interface of its host: attacked from
 * another host of the LAN before the handshake, it must cut only the attacking
 * connections and still let a node of its realm in.
 */
describe('a LAN directory attacked from the LAN', () => {
  it('cuts garbage, HTTP, TLS and malformed ws frames, and still serves its realm', async () => {
    await using lan = await startLan({ hosts: 2, name: 'attack' });
    const dir = tempDir('callsign-lan-attack-');
    const realm = join(dir, 'realm.json');
    writeFileSync(realm, serializeRealm(createRealm('attack')), { mode: 0o600 });
    const env = (host: string) => ({
      CALLSIGN_REALM: realm,
      TMPDIR: dir,
      CALLSIGN_HOST: `unix:${join(dir, `${host}.sock`)}`,
    });
    const directory = lan.startProgram(
      'h1',
      'scopes/lan/directory.ts',
      ['--id=attacked', '--debug-level=CONSOLE'],
      env('h1'),
    );
    const [, port] = await directory.waitFor(/announced callsign-lan-\S+ on port (\d+)/);
    const attacker = lan.startProgram(
      'h2',
      'test/lan/programs/attack-listener.ts',
      [`--endpoint=${lan.address('h1')}:${port}`],
      env('h2'),
    );
    const out = (await attacker.output()) as {
      cut: Record<string, boolean>;
      connected: boolean;
      code: string | null;
    };
    expect(Object.entries(out.cut).filter(([, cut]) => !cut)).toEqual([]);
    expect(Object.keys(out.cut).length).toBeGreaterThanOrEqual(13);
    expect(out).toMatchObject({ connected: true, code: null });
    await directory.waitFor(/ERR_BAD_UPGRADE/);
    await directory.waitFor(/ERR_WS_PROTOCOL/);
    await directory.waitFor(/ERR_HANDSHAKE_TOO_LARGE/);
    expect(directory.child.exitCode).toBeNull();
  });
});
