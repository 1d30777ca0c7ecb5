import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallsignError, ERROR_CODES, isCallsignError } from '../../src/errors.ts';

const ROOT = join(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('errors.ts') ? [path] : [];
  });
}

describe('error codes', () => {
  it('are unique', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it('are each documented in docs/errors.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const missing = ERROR_CODES.filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('are each used somewhere outside errors.ts (no dead codes)', () => {
    const text = ['src', 'orchestrator', 'scopes']
      .flatMap((d) => {
        try {
          return sources(join(ROOT, d));
        } catch {
          return [];
        }
      })
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = ERROR_CODES.filter((code) => !text.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('are compared by code, and keep the cause', () => {
    const cause = new Error('lower');
    const err = new CallsignError('ERR_CLOSED', 'closed', { cause });
    expect(isCallsignError(err, 'ERR_CLOSED')).toBe(true);
    expect(isCallsignError(err, 'ERR_ABORTED')).toBe(false);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('CallsignError');
  });
});
