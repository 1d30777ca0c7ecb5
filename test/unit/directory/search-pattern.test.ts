import { describe, expect, it } from 'vitest';
import { compileSearchPattern, MAX_PATTERN_COST } from '../../../src/directory/index.ts';
import { codeOfThrow, pick, seeded } from './fixtures.ts';

describe('compileSearchPattern', () => {
  it('anchors the whole pattern', () => {
    const test = (pattern: string, name: string) => compileSearchPattern(pattern).regex.test(name);
    expect(test('dev', 'device')).toBe(false);
    expect(test('dev.*', 'device')).toBe(true);
    expect(test('a|b', 'a')).toBe(true);
    expect(test('a|b', 'ab')).toBe(false);
    expect(test('a|b', 'b')).toBe(true);
    expect(test('^dev$', 'dev')).toBe(true);
    expect(test('.*-1', 'x-1')).toBe(true);
    expect(test('.*-1', 'x-12')).toBe(false);
  });

  it.each([
    ['device-[0-9]+', 'device-', ''],
    ['^device-.*$', 'device-', ''],
    ['.*\\.eu', '', '.eu'],
    ['orders\\..*\\.eu', 'orders.', '.eu'],
    ['abc', 'abc', 'abc'],
    ['ab?c', 'a', 'c'],
    ['ab*', 'a', ''],
    ['a{2}b', '', 'b'],
    ['a|b', '', ''],
    ['(?:a|b)-x', '', '-x'],
    ['x(?:a|b)', 'x', ''],
    ['\\d+-x', '', '-x'],
    ['\\x41bc', '', 'bc'],
    ['a\\b', 'a', ''],
    ['[a]bc', '', 'bc'],
    ['a.c', 'a', 'c'],
    ['a\\-b\\/c', 'a-b/c', 'a-b/c'],
  ])('finds the literal prefix and suffix of %s', (pattern, prefix, suffix) => {
    expect(compileSearchPattern(pattern)).toMatchObject({ prefix, suffix });
  });

  it.each([
    ['[a-z]+-42\\..*', ['-42.']],
    ['(?:a|b)-x[0-9]y', ['-x', 'y']],
    ['ab?cd', ['a', 'cd']],
    ['a|bcd', []],
    ['^abc$', ['abc']],
    ['x\\by', ['x', 'y']],
  ])('finds the literal runs of %s', (pattern, literals) => {
    expect(compileSearchPattern(pattern).literals).toEqual(literals);
  });

  it('finds no literals with the i flag, and whole code points with u', () => {
    expect(compileSearchPattern('dev-.*', 'i')).toMatchObject({
      prefix: '',
      suffix: '',
      literals: [],
    });
    expect(compileSearchPattern('a😀?', 'u')).toMatchObject({ prefix: 'a', suffix: '' });
    expect(compileSearchPattern('\\u{61}b', 'u')).toMatchObject({ prefix: '', suffix: 'b' });
  });

  it.each([
    '(a+)+',
    '(a*)*',
    '(\\w+\\s?)*',
    '(a|ab)*',
    '(?:a|b)+',
    '(a+){2}',
    '(x(a?))+y',
    '(?<n>a+)+',
  ])('refuses the repeated ambiguous group in %s', (pattern) => {
    expect(codeOfThrow(() => compileSearchPattern(pattern))).toBe('ERR_INVALID_SEARCH');
  });

  it.each([
    '.*.*.*.*',
    'a?'.repeat(27),
    '[a-z]+-[a-z]+-[a-z]+-[a-z]+',
    '(?:a|b)(?:a|b)'.repeat(14),
    '.*-.*-.*-(?:a|b|c|d|e)',
  ])('refuses %s as too costly', (pattern) => {
    expect(codeOfThrow(() => compileSearchPattern(pattern))).toBe('ERR_INVALID_SEARCH');
  });

  it.each([
    'device-.*',
    '.*-sensor-.*-[0-9]+',
    '(?:eu|us|ap)-[a-z]+-[0-9]{1,3}',
    '(ab)+',
    '(a+)?',
    '(?:-[0-9])*x',
    'a?'.repeat(26),
    '.*-42[0-9]*\\.(?:eu|us|ap)-[a-z]+',
    '.*a|.*b|.*c|.*d',
    '(?=dev)[a-z]+',
    '[(+*]+',
    'a{2,}?b',
    '\\(a+\\)+',
  ])('takes %s', (pattern) => {
    expect(codeOfThrow(() => compileSearchPattern(pattern))).toBe('no error');
  });

  it('keeps the cost limit above three unbounded quantifiers and below four', () => {
    expect(MAX_PATTERN_COST).toBeGreaterThanOrEqual(256 ** 3);
    expect(MAX_PATTERN_COST).toBeLessThan(256 ** 4);
  });

  it.each([
    ['', ''],
    ['(', ''],
    ['a', 'g'],
    ['a', 'y'],
    ['a', 'm'],
    ['a', 'd'],
    ['a', 'v'],
    ['a', 'ss'],
    ['x'.repeat(1025), ''],
  ])('refuses pattern %j with flags %j', (pattern, flags) => {
    expect(codeOfThrow(() => compileSearchPattern(pattern, flags))).toBe('ERR_INVALID_SEARCH');
  });

  it('finds literals that every matching name really has (random patterns)', () => {
    const random = seeded(7);
    const atoms = ['a', 'b', '-', '\\.', '.', '[ab]', '\\d', '(?:a|b)', '(ab)', '^', '$', '\\x61'];
    const quantifiers = ['', '', '', '?', '*', '+', '{2}', '{1,2}'];
    const names = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
        pick(random, ['a', 'b', '-', '.', '1']),
      ).join(''),
    );
    let checked = 0;
    const wrong: string[] = [];
    for (let k = 0; k < 1500; k++) {
      const branches = random() < 0.15 ? 2 : 1;
      const pattern = Array.from({ length: branches }, () =>
        Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
          const atom = pick(random, atoms);
          return atom === '^' || atom === '$' ? atom : atom + pick(random, quantifiers);
        }).join(''),
      ).join('|');
      const flags = random() < 0.2 ? pick(random, ['u', 's', 'i']) : '';
      let compiled: ReturnType<typeof compileSearchPattern>;
      try {
        new RegExp(pattern, flags);
        compiled = compileSearchPattern(pattern, flags);
      } catch {
        continue;
      }
      const oracle = new RegExp(`^(?:${pattern})$`, flags);
      for (const name of names) {
        const matches = oracle.test(name);
        if (compiled.regex.test(name) !== matches) wrong.push(`${pattern} on ${name}`);
        if (!matches) continue;
        checked++;
        if (
          !name.startsWith(compiled.prefix) ||
          !name.endsWith(compiled.suffix) ||
          !compiled.literals.every((literal) => name.includes(literal))
        ) {
          wrong.push(
            `${pattern} on ${name}: ${compiled.prefix} ${compiled.literals} ${compiled.suffix}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });
});
