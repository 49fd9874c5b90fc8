// When revive tries a service in ERROR again (SPEC 13.2): revive_sec x 2^k after the ERROR, at most an hour (or revive_sec).
import { describe, expect, it } from 'vitest';
import { revivalDue, revivalGap } from '../../src/core/revival.js';

const E = 1_700_000_000;

describe('revivalGap: doubles with each failed revival in a row, up to an hour', () => {
  it.each<[number, number, number]>([
    // The default revive_sec: 1, 2, 4, 8, 16, 32 minutes, then the hour.
    [0, 60, 60],
    [1, 60, 120],
    [2, 60, 240],
    [3, 60, 480],
    [4, 60, 960],
    [5, 60, 1920],
    [6, 60, 3600],
    [7, 60, 3600],
    [100, 60, 3600],
    // A revive_sec that reaches the hour exactly.
    [0, 900, 900],
    [1, 900, 1800],
    [2, 900, 3600],
    [3, 900, 3600],
    [0, 3600, 3600],
    [5, 3600, 3600],
    // Longer than an hour: that is the gap, from the first revival on.
    [0, 7200, 7200],
    [1, 7200, 7200],
    [40, 7200, 7200],
    // Fractions of a second double too.
    [0, 0.5, 0.5],
    [1, 0.5, 1],
    [3, 0.5, 4],
    [12, 0.5, 2048],
    [13, 0.5, 3600],
    [1, 1.5, 3],
    [2, 2.25, 9],
    // revive_sec=0: no gap at all.
    [0, 0, 0],
    [50, 0, 0],
  ])('after %i failed revivals, revive_sec %d: %d s', (revivals, reviveSec, gap) => {
    expect(revivalGap(revivals, reviveSec)).toBe(gap);
  });

  it.each([32, 33, 64, 1023, 1024, 1e6, 2 ** 31, Number.MAX_SAFE_INTEGER, 1e300, Infinity])(
    'a huge count (%d) overflows nothing: the cap, a finite number',
    (revivals) => {
      for (const reviveSec of [0, 0.001, 1, 60, 7200]) {
        const gap = revivalGap(revivals, reviveSec);
        expect(Number.isFinite(gap)).toBe(true);
        expect(gap).toBe(reviveSec === 0 ? 0 : Math.max(3600, reviveSec));
      }
    },
  );

  it('never shrinks as failures add up, and never passes the cap', () => {
    for (const reviveSec of [0.1, 1, 7, 60, 599.5, 3600, 5000]) {
      let last = 0;
      for (let k = 0; k < 80; k++) {
        const gap = revivalGap(k, reviveSec);
        expect(gap).toBeGreaterThanOrEqual(last);
        expect(gap).toBeLessThanOrEqual(Math.max(3600, reviveSec));
        last = gap;
      }
      expect(last).toBe(Math.max(3600, reviveSec));
    }
  });
});

describe('revivalDue: the ERROR\'s epoch plus the gap, in whole seconds', () => {
  it.each<[string, { revivals?: number; reviveSec?: number }, number]>([
    ['no keys: the default revive_sec, no revivals', {}, E + 60],
    ['revivals only: the default revive_sec', { revivals: 2 }, E + 240],
    ['revive_sec only: no revivals', { reviveSec: 300 }, E + 300],
    ['both', { revivals: 1, reviveSec: 300 }, E + 600],
    ['capped', { revivals: 9, reviveSec: 300 }, E + 3600],
    ['longer than an hour', { revivals: 9, reviveSec: 86_400 }, E + 86_400],
    ['a fraction rounds up: never before the gap', { reviveSec: 0.5 }, E + 1],
    ['a fraction rounds up after doubling', { revivals: 1, reviveSec: 1.25 }, E + 3],
    ['a whole result stays', { revivals: 1, reviveSec: 1.5 }, E + 3],
    ['revive_sec=0: due at once', { revivals: 7, reviveSec: 0 }, E],
    ['a huge revivals count', { revivals: 999_999_999_999_999, reviveSec: 60 }, E + 3600],
  ])('%s', (_, keys, due) => {
    const at = revivalDue({ epoch: E, keys });
    expect(at).toBe(due);
    expect(Number.isInteger(at)).toBe(true);
  });
});
