import { describe, expect, it } from 'vitest';
import { compileSearchPattern } from '../../../src/directory/index.ts';
import { RegexSearchIndex } from '../../../src/directory/regex-search-index.ts';

function candidates(index: RegexSearchIndex<string>, name: string): string[] {
  const out: string[] = [];
  index.candidates(name, (item) => out.push(item));
  return out.sort();
}

describe('RegexSearchIndex', () => {
  const patterns: Record<string, string> = {
    prefix: 'device-[0-9]+',
    suffix: '.*\\.eu-west',
    inside: '[a-z]+-42\\..*',
    shortPrefix: 'd[a-z]*',
    shortSuffix: '.*-1',
    none: '[a-z]+',
  };

  function filled(): RegexSearchIndex<string> {
    const index = new RegexSearchIndex<string>();
    for (const [item, pattern] of Object.entries(patterns)) {
      index.add(item, compileSearchPattern(pattern));
    }
    return index;
  }

  it('finds the searches a name could match, each once, and skips the others', () => {
    const index = filled();
    expect(index.size).toBe(6);
    expect(candidates(index, 'device-12')).toEqual(['none', 'prefix', 'shortPrefix']);
    expect(candidates(index, 'orders-42.eu-west')).toEqual(['inside', 'none', 'suffix']);
    expect(candidates(index, 'x-42.x-42.x-1')).toEqual(['inside', 'none', 'shortSuffix']);
    expect(candidates(index, 'q')).toEqual(['none']);
  });

  it('forgets what is deleted, and files an item once however often it is added', () => {
    const index = filled();
    index.add('prefix', compileSearchPattern('other-.*'));
    expect(index.size).toBe(6);
    expect(candidates(index, 'device-12')).toEqual(['none', 'shortPrefix']);
    expect(candidates(index, 'other-1')).toEqual(['none', 'prefix', 'shortSuffix']);
    for (const item of Object.keys(patterns)) index.delete(item);
    index.delete('never added');
    expect(index.size).toBe(0);
    expect(candidates(index, 'device-42.eu-west')).toEqual([]);
  });
});
