import { describe, expect, it } from 'vitest';
import {
  compileSubjectMatcher,
  compileSubjectPattern,
  isValidSubject,
  isValidSubjectPattern,
  patternsOverlap,
  SubjectNameIndex,
  SubjectPatternIndex,
  subjectMatches,
} from '../../../src/directory/subject-pattern.ts';

describe('subjects and subject patterns', () => {
  it('checks subjects and patterns', () => {
    for (const ok of ['a', 'lab.strain.beam-3', 'x_y.Z9', 'µ.ε'])
      expect(isValidSubject(ok)).toBe(true);
    for (const bad of [
      '',
      '.',
      'a.',
      '.a',
      'a..b',
      'a b',
      'a.*',
      'a.>',
      'a\tb',
      'x'.repeat(1025),
      `${'a.'.repeat(64)}a`,
    ]) {
      expect(isValidSubject(bad)).toBe(false);
    }
    for (const ok of ['>', '*', 'a.*', 'a.>', '*.*.c', 'a.*.>'])
      expect(isValidSubjectPattern(ok)).toBe(true);
    for (const bad of ['', 'a.>.b', 'a*', 'a.b*', '>a', 'a..b', '>.>', 3, null])
      expect(isValidSubjectPattern(bad)).toBe(false);
  });

  it('matches * as one token and > as one or more at the end', () => {
    const cases: [string, string, boolean][] = [
      ['a.b', 'a.b', true],
      ['a.b', 'a.b.c', false],
      ['a.*', 'a.b', true],
      ['a.*', 'a', false],
      ['a.*', 'a.b.c', false],
      ['a.>', 'a.b.c', true],
      ['a.>', 'a', false],
      ['>', 'anything.at.all', true],
      ['*.b.*', 'x.b.y', true],
      ['*.b.*', 'x.c.y', false],
      ['a.*.>', 'a.b', false],
      ['a.*.>', 'a.b.c', true],
    ];
    for (const [pattern, subject, expected] of cases) {
      expect(subjectMatches(pattern, subject), `${pattern} ~ ${subject}`).toBe(expected);
      expect(compileSubjectPattern(pattern)(subject), `compiled ${pattern} ~ ${subject}`).toBe(
        expected,
      );
    }
  });

  it('compiles a matcher that also refuses names that are not subjects, as check-then-match does', () => {
    const patterns = ['a.b', 'a.*', 'a.>', '>', '*', '*.b.*', 'a.*.>', 'x(1).$', 'µ.*', 'a-b.>'];
    const names = [
      'a',
      'a.b',
      'a.b.c',
      'a.c',
      'x.b.y',
      'x(1).$',
      'x(1).y',
      'µ.ε',
      'a-b.c.d',
      'ab',
      'a.b.',
      '.a.b',
      'a..b',
      'a b.c',
      'a.*',
      'a.>',
      'a\tb.c',
      'a.\u0001',
      `a.${'x'.repeat(1030)}`,
      `a.${'b.'.repeat(70)}c`,
      'a.b\nc',
      '',
    ];
    for (const pattern of patterns) {
      const matcher = compileSubjectMatcher(pattern);
      for (const name of names) {
        const expected = isValidSubject(name) && subjectMatches(pattern, name);
        expect(matcher(name), `${pattern} ~ ${JSON.stringify(name)}`).toBe(expected);
      }
    }
    // Random names from an alphabet rich in the characters that matter.
    const alphabet = ['a', 'b', '.', '.', '*', '>', ' ', '-', '(', '$', '\\', 'é'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5_000; i++) {
      let name = '';
      const length = 1 + Math.floor(random() * 8);
      for (let k = 0; k < length; k++) name += alphabet[Math.floor(random() * alphabet.length)];
      for (const pattern of patterns) {
        const expected = isValidSubject(name) && subjectMatches(pattern, name);
        expect(compileSubjectMatcher(pattern)(name), `${pattern} ~ ${JSON.stringify(name)}`).toBe(
          expected,
        );
      }
    }
  });

  it('knows when two patterns can match one subject', () => {
    expect(patternsOverlap('a.*', 'a.b')).toBe(true);
    expect(patternsOverlap('a.>', 'a.b.c')).toBe(true);
    expect(patternsOverlap('a.*', 'a.b.c')).toBe(false);
    expect(patternsOverlap('a.b', 'a.c')).toBe(false);
    expect(patternsOverlap('*.b', 'a.*')).toBe(true);
    expect(patternsOverlap('>', 'x')).toBe(true);
  });

  it('finds the patterns a subject matches, and the subjects a pattern matches, as a scan would', () => {
    const patterns = [
      '>',
      'lab.>',
      'lab.*',
      'lab.*.0',
      'lab.strain.0',
      '*.strain.*',
      'other.>',
      'lab.temp.>',
    ];
    const subjects = [
      'lab',
      'lab.strain',
      'lab.strain.0',
      'lab.strain.1',
      'lab.temp.0',
      'lab.temp.0.x',
      'other.a',
      'x.strain.y',
    ];
    const byPattern = new SubjectPatternIndex<string>();
    for (const p of patterns) byPattern.add(p, p);
    const byName = new SubjectNameIndex<string>();
    for (const s of subjects) byName.add(s, s);
    for (const s of subjects) {
      const found: string[] = [];
      byPattern.matches(s, (p) => found.push(p));
      expect(found.sort(), s).toEqual(patterns.filter((p) => subjectMatches(p, s)).sort());
    }
    for (const p of patterns) {
      const found: string[] = [];
      byName.matching(p, (s) => found.push(s));
      expect(found.sort(), p).toEqual(subjects.filter((s) => subjectMatches(p, s)).sort());
    }
    byPattern.delete('lab.>');
    byPattern.add('>', 'lab.strain.*'); // moves
    const found: string[] = [];
    byPattern.matches('lab.x', (p) => found.push(p));
    expect(found.sort()).toEqual(['lab.*']);
    expect(byPattern.patternOf('>')).toBe('lab.strain.*');
    for (const p of patterns) byPattern.delete(p);
    expect(byPattern.size).toBe(0);
    for (const s of subjects) byName.delete(s);
    const none: string[] = [];
    byName.matching('>', (s) => none.push(s));
    expect(none).toEqual([]);
  });

  it('refuses invalid entries with ERR_INVALID_SUBJECT', () => {
    expect(() => new SubjectPatternIndex().add(1, 'a..b')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SUBJECT' }),
    );
    expect(() => new SubjectNameIndex().add(1, 'a.*')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_SUBJECT' }),
    );
  });
});
