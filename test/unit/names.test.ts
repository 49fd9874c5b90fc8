// Which entries are services and which patterns can name one (SPEC 1), and glob matching (SPEC 6).
import { describe, expect, it } from 'vitest';
import { isGlob, matchNames } from '../../src/core/glob.js';
import { isServiceName, patternProblem } from '../../src/core/names.js';

describe('isServiceName (SPEC 1)', () => {
  it.each([
    'web', 'http-api', 'worker_2', 'x.sh', 'a.b.c', 'swp', 'bak', 'web.swp.old', 'disabled', 'web~x', 'WEB',
  ])('%j can be a service', (name) => {
    expect(isServiceName(name)).toBe(true);
  });

  it.each([
    ['the empty name', ''],
    ['a leading dot', '.hidden'],
    ['"."', '.'],
    ['".."', '..'],
    ['a ~ suffix', 'web~'],
    ['a .swp suffix', 'web.swp'],
    ['a .swp suffix with a leading dot too', '.web.swp'],
    ['a .bak suffix', 'web.bak'],
    ['a .orig suffix', 'web.orig'],
    ['a .disabled suffix', 'web.disabled'],
    ['a "/"', 'a/b'],
    ['a NUL', 'a\0b'],
    ['a newline', 'web\n'],
    ['a tab', 'a\tb'],
    ['an escape', 'a\x1bb'],
    ['a DEL', 'a\x7fb'],
  ])('%s is never a service', (_, name) => {
    expect(isServiceName(name)).toBe(false);
  });
});

describe('patternProblem', () => {
  it.each([
    ['../x', /\//],
    ['a/b', /\//],
    ['/etc/passwd', /\//],
    ['..', /\./],
    ['.', /\./],
    ['.*', /\./],
    ['', /empty/],
    ['a\nb', /control/],
  ])('%j can never name a service', (pattern, reason) => {
    expect(patternProblem(pattern)).toMatch(reason);
  });

  it.each(['web', '*', 'http-*', '{web,api}', 'w?b', '[ab]*', 'x.sh'])('%j is a usable pattern', (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  });
});

describe('matchNames (minimatch)', () => {
  const names = ['web', 'api', 'http-a', 'http-b', 'db', 'worker', '.hidden', 'x.sh'];

  it.each<[string, string[]]>([
    ['*', ['api', 'db', 'http-a', 'http-b', 'web', 'worker', 'x.sh']],
    ['http-*', ['http-a', 'http-b']],
    ['{web,api}', ['api', 'web']],
    ['??', ['db']],
    ['w*', ['web', 'worker']],
    ['[ad]*', ['api', 'db']],
    ['*.sh', ['x.sh']],
    ['web', ['web']],
    ['nothing-*', []],
    ['we', []],
  ])('%j matches %j, sorted', (pattern, expected) => {
    expect(matchNames(pattern, names)).toEqual(expected);
  });

  it.each(['*', '?hidden', '*hidden', '?*', '*.*'])('%j never matches a dot name', (pattern) => {
    expect(matchNames(pattern, ['.hidden'])).toEqual([]);
  });

  it('reads a leading "!" as a plain character, not as negation', () => {
    expect(matchNames('!web', ['web', 'api'])).toEqual([]);
  });

  it('does not change the list it is given', () => {
    const list = ['b', 'a'];
    matchNames('*', list);
    expect(list).toEqual(['b', 'a']);
  });
});

describe('isGlob', () => {
  it.each([
    ['web', false], ['http-8080', false], ['my.svc', false],
    ['w*', true], ['w?b', true], ['[wx]eb', true], ['a[b]c', true], ['{web,api}', true], ['@(web|api)', true], ['+(a)', true], ['!(web)', true],
  ])('%s: %s', (pattern, expected) => {
    expect(isGlob(pattern)).toBe(expected);
  });
});
