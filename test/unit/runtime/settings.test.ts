import { describe, expect, it } from 'vitest';
import { isCallsignError } from '../../../src/errors.ts';
import { parseSettings } from '../../../src/runtime/settings.ts';

describe('parseSettings --debug-level', () => {
  it('takes a log level in any case', () => {
    expect(parseSettings(['--debug-level=console'], {}).debugLevel).toBe('CONSOLE');
    expect(parseSettings(['--debug-level', 'Debug'], {}).debugLevel).toBe('DEBUG');
    expect(parseSettings(['--debug-level=FAULT'], {}).debugLevel).toBe('FAULT');
  });

  it('refuses a level that is none of them, in any case', () => {
    let caught: unknown;
    try {
      parseSettings(['--debug-level=loud'], {});
    } catch (err) {
      caught = err;
    }
    expect(isCallsignError(caught, 'ERR_INVALID_SETTINGS')).toBe(true);
    expect(String((caught as Error).message)).toMatch(/LOUD/);
  });
});
