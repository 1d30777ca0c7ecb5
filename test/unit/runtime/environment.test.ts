import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryFromEnvironment, transportFromEnvironment } from '../../../src/index.ts';

describe('what createNode reads from the environment (the only library code that does)', () => {
  it('takes the realm file from CALLSIGN_REALM, else XDG_CONFIG_HOME, else HOME', () => {
    expect(transportFromEnvironment({ CALLSIGN_REALM: 'here/realm.json', HOME: '/h' })).toEqual({
      realmFile: resolve('here/realm.json'),
    });
    expect(transportFromEnvironment({ XDG_CONFIG_HOME: '/x', HOME: '/h' }).realmFile).toBe(
      join('/x', 'callsign', 'realm.json'),
    );
    // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
    expect(transportFromEnvironment({ XDG_CONFIG_HOME: 'x', HOME: '/h' }).realmFile).toBe(
      join('/h', '.config', 'callsign', 'realm.json'),
    );
  });

  it('takes the node key file from CALLSIGN_NODE_KEYS, and none when it is empty', () => {
    expect(transportFromEnvironment({ CALLSIGN_NODE_KEYS: '/k/a.json', HOME: '/h' }).keysFile).toBe(
      '/k/a.json',
    );
    expect('keysFile' in transportFromEnvironment({ CALLSIGN_NODE_KEYS: '', HOME: '/h' })).toBe(
      false,
    );
  });

  it('takes the directory above from CALLSIGN_GROUP before CALLSIGN_HOST, and none with CALLSIGN_NO_HOST=1', () => {
    expect(
      directoryFromEnvironment(
        { CALLSIGN_GROUP: 'unix:/g.sock', CALLSIGN_HOST: 'unix:/h.sock' },
        'p',
      ).parent,
    ).toBe('unix:/g.sock');
    expect(directoryFromEnvironment({ CALLSIGN_HOST: 'unix:/h.sock' }, 'p').parent).toBe(
      'unix:/h.sock',
    );
    expect(directoryFromEnvironment({ CALLSIGN_NO_HOST: '1' }, 'p').parent).toBeNull();
    expect(directoryFromEnvironment({ CALLSIGN_ROLE: 'sensor-1' }, 'p').where).toMatch(
      /^sensor-1 \(pid \d+\)$/,
    );
  });
});
