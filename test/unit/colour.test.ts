// When output is coloured, and the colours of states and services (SPEC 15.4).
import { describe, expect, it } from 'vitest';
import { flagColour, painter, serviceColour, stateColour, wantsColour } from '../../src/core/colour.js';

describe('wantsColour', () => {
  const cases: Array<[string, boolean | undefined, Record<string, string>, boolean, boolean]> = [
    ['a terminal', undefined, {}, true, true],
    ['a pipe', undefined, {}, false, false],
    ['a dumb terminal', undefined, { TERM: 'dumb' }, true, false],
    ['NO_COLOR on a terminal', undefined, { NO_COLOR: '1' }, true, false],
    ['NO_COLOR empty counts as unset', undefined, { NO_COLOR: '' }, true, true],
    ['FORCE_COLOR on a pipe', undefined, { FORCE_COLOR: '1' }, false, true],
    ['FORCE_COLOR empty is on', undefined, { FORCE_COLOR: '' }, false, true],
    ['FORCE_COLOR=0 on a terminal', undefined, { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false', undefined, { FORCE_COLOR: 'false' }, true, false],
    ['FORCE_COLOR wins over NO_COLOR', undefined, { FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    ['--no-color wins over FORCE_COLOR', false, { FORCE_COLOR: '1' }, true, false],
    ['--color on a pipe, NO_COLOR set', true, { NO_COLOR: '1' }, false, true],
  ];
  it.each(cases)('%s', (_what, flag, env, isTTY, expected) => {
    expect(wantsColour({ flag, env, isTTY })).toBe(expected);
  });
});

describe('the colours', () => {
  it.each([
    ['running', 'green'], ['error', 'red'], ['not-executable', 'red'], ['orphaned', 'yellow'], ['stale', 'yellow'],
    ['unknown', 'yellow'], ['restarting', 'yellow'], ['starting', 'cyan'], ['waiting', 'cyan'], ['down', undefined],
  ])('state %s is %s', (state, colour) => {
    expect(stateColour(state)).toBe(colour);
  });

  it.each([['unhealthy', 'yellow'], ['flapping', 'yellow'], ['paused', undefined], ['once', undefined]])('flag %s is %s', (flag, colour) => {
    expect(flagColour(flag)).toBe(colour);
  });

  it('a service keeps its colour, and names spread over several', () => {
    expect(serviceColour('web')).toBe(serviceColour('web'));
    const names = ['web', 'db', 'worker', 'cache', 'queue', 'mail', 'api', 'cron'];
    expect(new Set(names.map(serviceColour)).size).toBeGreaterThan(2);
  });

  it('painter(false) leaves text as it is; painter(true) wraps it, and nothing for no colour or empty text', () => {
    expect(painter(false)('green', 'running')).toBe('running');
    expect(painter(true)('green', 'running')).toBe('\x1b[32mrunning\x1b[0m');
    expect(painter(true)(undefined, 'not running')).toBe('not running');
    expect(painter(true)('red', '')).toBe('');
  });
});
